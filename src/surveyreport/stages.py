"""The pipeline's stages as file-to-file functions: what each Snakemake rule runs.

Each stage takes the rule's named ``input``, ``output`` and ``params`` as mappings, so a
rule's ``run:`` directive is one call (``surveyreport.jobs.run_stage``), and the benchmark and
tests call the same functions with the same names. Each stage imports the modules it needs
where it uses them: this module is imported by every job, and the libraries behind other
stages (scipy, matplotlib, WeasyPrint) take seconds to import (the fork servers of
``surveyreport.jobs`` import them once per run).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import write_atomically, write_text
from .codebook import load_codebook, load_yaml
from .errors import SurveyError
from .tidy import (
    TIER,
    kept_rows,
    read_table,
    read_tidy,
    tidy_frame,
    with_columns,
    write_csv,
    write_table,
    write_tidy,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("surveyreport")


Files = dict  # a rule's named inputs or outputs: name -> path, or list of paths


def _memory(decay_ms: int = 1000) -> None:
    """How a stage over the whole table takes memory. Arrow's allocations from jemalloc where pyarrow has it:
    Arrow's default, mimalloc, hands pages back and faults them in again at every large table (ingesting a
    million rows: over 2 s of system time, not 1). jemalloc's background thread hands memory let go back after
    ``decay_ms`` (jemalloc's default: a second); ingest, whose steps each take longer, after a tenth of a second,
    so that what one step let go does not stay to add to the next one's (a million rows in a process of its own:
    a peak of about 1.1 GB, not 1.4 to 1.6; each later stage holds less, and handing back that soon would cost it
    as much time again in faults: cleaning a million rows 2.2 s, not 1.9). A job forked from a fork server has no
    such thread (jemalloc starts it where pyarrow is loaded, in the server, and a forked process does not get it
    back): there memory goes back only as the job allocates, whatever the delay, and ingesting a million rows
    peaks at 1.2 to 1.5 GB. And numpy's arrays on ordinary pages, not the huge pages it asks Linux for by
    default (``NUMPY_MADVISE_HUGEPAGE``, unless set): a stage's arrays live for a step or two, and faulting each
    in 2 MB at a time costs more than it saves (a million rows: ingest and cleaning about 0.2 s less in all)."""
    import numpy as np
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(decay_ms)
    except NotImplementedError:  # a pyarrow built without it (Windows)
        pass
    # what the variable sets when numpy is imported (numpy's own switch, not public: a numpy without it keeps its way)
    huge_pages = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    if huge_pages and "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        huge_pages(False)


def ingest(input: Files, output: Files, params: dict) -> None:
    from .platforms import read_export
    from .schemas import validate

    _memory(decay_ms=100)
    book = load_codebook(input["codebook"])
    responses = validate(read_export(input["export"], book, params["export_format"]), book, "the ingested responses")
    write_tidy(responses, output["responses"])
    log.info("read %d responses from %s", len(responses), input["export"])


def clean(input: Files, output: Files, params: dict) -> None:
    """The ingested responses recoded and cut to the respondents kept: the columns cleaning reads or changes are
    read into pandas, the others cut as Arrow holds them (``kept_rows``). What cleaning changed is validated (the
    recoded columns, on every row kept), the rest was when ingest wrote it."""
    from .clean import KEPT, clean, columns_read, recoded_columns, require_respondents
    from .schemas import validate_change

    _memory()
    book = load_codebook(input["codebook"])
    cleaning = params["cleaning"]
    read = read_table(input["responses"], columns_read(cleaning, book))
    tables = clean(tidy_frame(read, book, input["responses"]), cleaning, book)
    require_respondents(tables["attrition"], cleaning["min_respondents"])
    kept, changed = (tables["dispositions"]["disposition"] == KEPT).to_numpy(), tables.pop("respondents")
    respondents = kept_rows(input["responses"], kept, changed)
    recoded = changed[recoded_columns(cleaning.get("recode_other", []), book)]
    validate_change(respondents.slice(0, 0).to_pandas(), recoded, book, "the cleaned respondents")
    write_table(respondents, output["respondents"])
    for name, frame in tables.items():
        write_csv(frame, output[name])
    for row in tables["attrition"].itertuples():
        log.info("%-55s excluded %5d  remaining %6d", row.label, row.excluded, row.remaining)


def tier(input: Files, output: Files, params: dict) -> None:
    """The respondents with their tier (and weight) added: the columns the rules read are read into pandas, the
    new ones validated and written after the others, which are copied as Arrow holds them."""
    from .schemas import validate_change
    from .tiers import assign_tiers

    _memory()
    book, tiers, weights = load_codebook(input["codebook"]), params["tiers"], params.get("weights")
    respondents = read_table(input["respondents"])
    read = [tiers["question"], *(weights["targets"] if weights else [])]
    read = dict.fromkeys(c for c in read if c in respondents.column_names)
    tiered = assign_tiers(tidy_frame(respondents.select(list(read)), book, input["respondents"]), tiers, book)
    added = [TIER]
    if weights:  # the study's weights block: each respondent's weight, and how it was reached
        from .weights import WEIGHT, rake

        tiered, summary, targets = rake(tiered, weights, input["respondents"])
        added.append(WEIGHT)
    table = with_columns(respondents, tiered[added])
    what = "the weighted respondents" if weights else "the tiered respondents"
    validate_change(table.slice(0, 0).to_pandas(), tiered[added], book, what, tiers, weighted=bool(weights))
    if weights:
        write_csv(summary, output["weighting"])
        write_csv(targets, output["weight_targets"])
        log.info("weights:\n%s", summary.to_string(index=False))
    write_table(table, output["respondents"])
    log.info("tiers: %s", tiered[TIER].value_counts(dropna=False).to_dict())


def crosstab(input: Files, output: Files, params: dict) -> None:
    from .crosstab import chi_square_tests, crosstab_and_pairs, read_columns
    from .scores import scores
    from .workbook import write_workbook

    _memory()
    book, tiers, statistics = load_codebook(input["codebook"]), params["tiers"], params["statistics"]
    banners = params.get("banners", [])
    frame = read_tidy(input["respondents"], book, [*read_columns(book, banners), "recorded"])
    table, pairs = crosstab_and_pairs(frame, book, tiers, statistics, banners)
    tests = chi_square_tests(table, book, tiers, statistics)
    scored, score_tests = scores(frame, book, tiers, statistics)
    write_csv(table, output["crosstabs"])
    write_csv(tests, output["chisquare"])
    write_csv(scored, output["scores"])
    write_csv(pairs, output["pairwise"])
    created = frame["recorded"].max().to_pydatetime()
    weighting = weighting_tables(input)
    write_atomically(
        output["workbook"],
        lambda tmp: write_workbook(
            table, tests, book, tiers, statistics, params["title"], created, tmp, (scored, score_tests), weighting, banners, pairs
        ),
    )


def weighting_context(input: Files) -> dict | None:
    """What the methodology says of the weights: the summary's measures and the targets by question, or None."""
    tables = weighting_tables(input)
    if tables is None:
        return None
    from .context import weighting

    return weighting(*tables)


def weighting_tables(input: Files):
    """The weighting summary and target table the tier stage wrote, or None for an unweighted study."""
    import pandas as pd

    if "weighting" not in input:
        return None
    return pd.read_csv(input["weighting"], keep_default_na=False), pd.read_csv(input["weight_targets"])


def results(input: Files, verbatims: bool = False):
    """The measures of the study's exhibits and findings, from the crosstabs and the respondents, with the
    scores and the crosstab's pairwise tests where given (``scores``, ``pairwise``).

    Of the respondent rows only the columns needed are read: the field dates, and the typed
    texts (open answers, "Other" texts) with their order where ``verbatims`` are to be quoted.
    """
    import pandas as pd

    from .crosstab import read_pairs
    from .results import Results

    book = load_codebook(input["codebook"])
    columns = ["recorded"]
    if verbatims:
        columns += ["response_id"] + book.free_text_columns
    scored = pd.read_csv(input["scores"], keep_default_na=False, na_values=[""]) if input.get("scores") else None
    pairs = read_pairs(input["pairwise"]) if input.get("pairwise") else None
    return Results(pd.read_csv(input["crosstabs"]), book, read_tidy(input["respondents"], book, columns), scored, pairs)


def charts(input: Files, output: Files, params: dict) -> None:
    """Each exhibit's chart, and the ledger of the numbers they print; the phone layouts (the same numbers) are
    drawn beside them in a forked process where the job has two threads."""
    from . import charts

    data, report_config = results(input), params["report"]
    # a value label has a decimal only on a base of at least the minimum for a test
    style = {**report_config["style"], "min_base": params["statistics"]["min_base"]}
    charts.apply_style(style, Path(input["fonts"][0]).parent)
    by_id = {Path(path).stem: path for path in output["svgs"]}
    exhibits, levels = report_config["exhibits"], params["tiers"]["levels"]
    phones = [(exhibit, by_id[f"{exhibit['id']}.phone"]) for exhibit in exhibits if f"{exhibit['id']}.phone" in by_id]
    _beside(
        lambda: _draw_phones(phones, data, charts.phone(style), levels),
        lambda: write_csv(_draw_charts(exhibits, by_id, data, style, levels), output["ledger"]),
        params.get("threads", 1),
    )


def _draw_charts(exhibits: list[dict], by_id: dict, data, style: dict, levels: list) -> pd.DataFrame:
    """Each exhibit's chart, written to its SVG; the ledger of the numbers they print."""
    from . import charts
    from .ledger import Ledger

    ledger = Ledger()
    with ledger.active():
        for exhibit in exhibits:
            start = len(ledger.entries)
            figure = charts.draw_exhibit(exhibit, data, style, levels)
            write_atomically(by_id[exhibit["id"]], lambda tmp, figure=figure: charts.save_svg(figure, tmp))
            for entry in ledger.entries[start:]:
                entry["source"] = f"figure {exhibit['id']}; {entry['source']}".rstrip("; ")
    return ledger.frame()


def _draw_phones(phones: list[tuple[dict, str]], data, style: dict, levels: list) -> None:
    """The HTML twin's layout of each exhibit on a phone, where asked: the same numbers, not in the ledger."""
    from . import charts
    from .ledger import quiet

    with quiet():
        for exhibit, path in phones:
            figure = charts.draw_exhibit(exhibit, data, style, levels)
            write_atomically(path, lambda tmp, figure=figure: charts.save_svg(figure, tmp))


def _beside(task, main, processes: int) -> None:
    """``task`` in a process forked from this one while this one does ``main`` (one after the other on one
    process). ``main``'s error comes first (the task is the same kind of work on the same data); the task's is
    raised here after ``main`` is done: its one line, or the traceback of a fault of the code."""
    import multiprocessing
    import os
    import sys

    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        task()
        main()
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def forked() -> None:
        code = 1
        try:
            task()
            code = 0
        except BaseException as error:  # sent to the job's process, which says it once
            send.send(_stopped(error))
        finally:  # a fork's end: none of the job's exit handlers (a job forks from a thread: threading's fail)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    child = context.Process(target=forked)
    child.start()
    try:
        main()
    finally:
        child.join()
    if child.exitcode != 0:
        stopped = (
            receive.recv() if receive.poll() else (False, f"a process forked by this job ended (exit code {child.exitcode})")
        )
        raise SurveyError(stopped[1]) if stopped[0] else RuntimeError(stopped[1])


def _stopped(error: BaseException) -> tuple[bool, str]:
    """Why a forked process stopped: (True, its one line) for an error in the data, on the disk or of memory,
    else (False, the traceback)."""
    import traceback

    from .errors import one_line

    line = one_line(error)
    return (True, line) if line is not None else (False, traceback.format_exc())


def _figures(input: Files) -> str | None:
    """The published figures' file, where the study has one."""
    return input["figures"][0] if input["figures"] else None


def render(input: Files, output: Files, params: dict) -> None:
    """The report: HTML from the templates (the study's own first), the PDF, and the ledger of its numbers."""
    import pandas as pd

    from .checks import failures, verify_layout
    from .context import build_context
    from .ledger import Ledger
    from .pdf import write_pdf
    from .publish import sha256
    from .standalone import self_contained
    from .templates import render_html

    data, report_config, figures = results(input, verbatims=True), params["report"], _figures(input)
    chart_urls = {Path(p).stem: f"charts/{Path(p).name}" for p in input["charts"]}
    ledger = Ledger()
    with ledger.active():
        context = build_context(
            params["config"], report_config, data, pd.read_csv(input["attrition"]), sha256(input["export"]), chart_urls
        )
        context["weighting"] = weighting_context(input)
        html = render_html(params["template_dirs"], context, report_config.get("template", "layout.html.j2"))
    assets = {"style.css": Path(input["stylesheet"]), "screen.css": Path(input["screen_stylesheet"])}
    assets |= {f"fonts/{Path(p).name}": Path(p) for p in input["fonts"]}
    assets |= {f"charts/{Path(p).name}": Path(p) for p in input["charts"]}
    pages = write_pdf(html, assets, output["pdf"], context["field"]["last"].to_pydatetime())
    layout = verify_layout(load_yaml(figures, "the published figures"), pages) if figures else []
    for c in layout:
        held = "holds" if c.holds else "DOES NOT HOLD"
        log.info("published figure %s (%s): expected %s, computed %s: %s", c.figure, c.check, c.expected, c.computed, held)
    failed = failures(layout)
    if params["fail"] and failed:
        raise SurveyError(failed, file=figures)
    write_text(output["html"], self_contained(html, assets))
    entries = pd.concat([ledger.frame(), pd.read_csv(input["charts_ledger"], dtype=str, keep_default_na=False)])
    write_csv(entries.drop_duplicates(), output["ledger"])
    log.info("wrote %s: %d pages, %d numbers in the ledger", output["pdf"], pages, len(entries))


def verify(input: Files, output: Files, params: dict) -> None:
    from .checks import failures, verification_markdown, verify

    figures = _figures(input)
    published = load_yaml(figures, "the published figures") if figures else []
    checks = verify(results(input), published)
    text = verification_markdown(checks, published)
    log.info("\n%s", text)
    failed = failures(checks)
    if params["fail"] and failed:
        raise SurveyError(failed, file=figures)
    write_text(output["verification"], text)


def publish(input: Files, output: Files, params: dict) -> None:
    import os

    from .publish import publish

    files = input["files"] + input.get("segments", [])
    names = [os.path.relpath(path, params["work"]) for path in files]
    publish(params["work"], names, params["published"], output["manifest"])


def segments(input: Files, output: Files, params: dict) -> None:
    """Split the tiered respondents once, and tabulate each segment large enough in the same pass.

    The output folder gets each such segment's table and attrition, and its crosstabs in
    ``<segment>/crosstab/`` (as the segment's report folder publishes them); the summary lists every segment.
    """
    import pandas as pd

    from .segments import segment_attrition, split

    book, rule = load_codebook(input["codebook"]), params["segments"]
    tables, summary = split(read_tidy(input["respondents"], book), rule, params["min_respondents"])
    attrition, folder = pd.read_csv(input["attrition"]), Path(output["tables"])
    folder.mkdir(parents=True, exist_ok=True)
    calls = []
    for group in rule["groups"]:
        if group["id"] in tables:
            respondents = folder / f"{group['id']}.arrow"
            write_tidy(tables[group["id"]], respondents)
            kept = len(tables[group["id"]])
            write_csv(segment_attrition(attrition, group, rule, kept), folder / f"{group['id']}.attrition.csv")
            calls.append(({**input, "respondents": str(respondents)}, _in(folder / group["id"] / "crosstab", CROSSTABS), params))
    _in_processes(crosstab, calls, params.get("threads", 1))
    write_csv(summary, output["summary"])
    for row in summary.itertuples():
        note = f"segment {row.segment} ({row.label}): {row.respondents:,} respondents, {row.report}"
        (log.info if row.report == "built" else log.warning)(note)


CROSSTABS = {
    "crosstabs": "crosstabs.csv",
    "chisquare": "chisquare.csv",
    "scores": "scores.csv",
    "pairwise": "pairwise.csv",
    "workbook": "crosstabs.xlsx",
}


def _in(folder: Path, names: dict) -> Files:
    """The files ``names`` (name -> file name) in ``folder``."""
    return {name: str(folder / file) for name, file in names.items()}


def segment_charts(input: Files, output: Files, params: dict) -> None:
    """Every built segment's charts in ``<segment>/`` of the output folder: matplotlib started once, the
    segments shared by the job's processes (forked once it is imported)."""
    from . import charts as _  # noqa: F401 (imported before the processes fork: each has it)
    from .segments import built

    tables, folder = Path(input["tables"]), Path(output["charts"])
    layouts = [exhibit["id"] + layout for exhibit in params["report"]["exhibits"] for layout in ("", ".phone")]
    calls = [
        (
            {**input, **_in(tables / segment / "crosstab", CROSSTABS), "respondents": str(tables / f"{segment}.arrow")},
            {"svgs": [str(folder / segment / f"{name}.svg") for name in layouts], "ledger": str(folder / segment / "ledger.csv")},
            {**params, "threads": 1},  # the segments share the job's processes
        )
        for segment in built(input["summary"])
    ]
    _in_processes(charts, calls, params.get("threads", 1))
    folder.mkdir(parents=True, exist_ok=True)  # no segment built: the folder all the same


def _in_processes(stage, calls: list[tuple], processes: int) -> None:
    """``stage`` on each call's arguments, on up to ``processes`` processes forked from this one (which has
    imported what the stage needs); each call writes its own files, so the bytes are the same on one process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if processes < 2 or len(calls) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for call in calls:
            stage(*call)
        return
    with ProcessPoolExecutor(min(processes, len(calls)), mp_context=multiprocessing.get_context("fork")) as pool:
        for done in [pool.submit(stage, *call) for call in calls]:
            done.result()


def segment_render(input: Files, output: Files, params: dict) -> None:
    """A segment's report, with the crosstabs and charts it is drawn from beside it, as its folder is published.

    Those were made for every segment at once (by the split and by ``segment_charts``); they are copied here.
    """
    import shutil

    segment = params["segment"]
    tables, drawn = Path(input["tables"]) / segment / "crosstab", Path(input["charts"]) / segment
    copies = {output[name]: tables / Path(output[name]).name for name in CROSSTABS}
    copies |= {path: drawn / Path(path).name for path in [*output["charts"], output["charts_ledger"]]}
    for target, source in copies.items():
        write_atomically(target, lambda tmp, source=source: shutil.copyfile(source, tmp))
    render(
        {**input, **{name: output[name] for name in ("crosstabs", "scores", "pairwise", "charts", "charts_ledger")}},
        {name: output[name] for name in ("pdf", "html", "ledger")},
        params,
    )


def diff(input: Files, output: Files, params: dict) -> None:
    """What changed between the published set and an earlier build (a results folder, or a commit built aside)."""
    from .diff import compare, earlier_build
    from .diffreport import summary, write

    base, study = params["base"], params["study"]
    if not base:
        raise SurveyError("no base to compare with", expected="--config base=COMMIT or base=RESULTS_FOLDER")
    old, old_label = earlier_build(base, study, ".")
    result = compare(old, params["published"])
    out = write(result, Path(output["markdown"]).parent, old_label, f"{study} (this checkout)")
    log.info("%s\n%s", summary(result), out / "diff.md")


STAGES = {
    stage.__name__: stage
    for stage in (ingest, clean, tier, crosstab, charts, render, verify, publish, diff, segments, segment_charts, segment_render)
}


def named(files) -> Files:
    """A Snakemake rule's named inputs, outputs or params as a plain mapping (lists as lists)."""
    return {name: list(value) if isinstance(value, list) else value for name, value in files.items()}
