"""The pipeline's stages as file-to-file functions: what each Snakemake rule runs.

Each stage imports the modules it needs when it runs: every rule is a fresh
interpreter, and the libraries behind other stages (scipy, matplotlib, WeasyPrint)
take seconds to import.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .atomic import write_atomically, write_text
from .codebook import load_codebook, load_yaml
from .errors import SurveyError
from .tidy import read_tidy, write_csv, write_tidy

log = logging.getLogger("surveyreport")


def ingest(export: str, codebook: str, export_format: str, out: str) -> None:
    from .exports import read_export
    from .schemas import validate

    book = load_codebook(codebook)
    responses = validate(read_export(export, book, export_format), book, "the ingested responses")
    write_tidy(responses, out)
    log.info("read %d responses from %s", len(responses), export)


def clean_stage(responses: str, codebook: str, cleaning: dict, out: dict[str, str]) -> None:
    from .clean import clean, require_respondents
    from .schemas import validate

    book = load_codebook(codebook)
    tables = clean(read_tidy(responses, book), cleaning, book)
    require_respondents(tables["attrition"], cleaning["min_respondents"])
    validate(tables["respondents"], book, "the cleaned respondents")
    write_tidy(tables.pop("respondents"), out["respondents"])
    for name, frame in tables.items():
        write_csv(frame, out[name])
    for row in tables["attrition"].itertuples():
        log.info("%-55s excluded %5d  remaining %6d", row.label, row.excluded, row.remaining)


def tier_stage(respondents: str, codebook: str, tiers: dict, out: str) -> None:
    from .schemas import validate
    from .tiers import assign_tiers

    book = load_codebook(codebook)
    tiered = validate(assign_tiers(read_tidy(respondents, book), tiers, book), book, "the tiered respondents", tiers)
    write_tidy(tiered, out)
    log.info("tiers: %s", tiered["tier"].value_counts(dropna=False).to_dict())


def crosstab_stage(respondents: str, codebook: str, tiers: dict, statistics: dict, title: str, out: dict[str, str]) -> None:
    from .crosstab import chi_square_tests, crosstab
    from .workbook import write_workbook

    book = load_codebook(codebook)
    frame = read_tidy(respondents, book)
    table = crosstab(frame, book, tiers["levels"], statistics)
    tests = chi_square_tests(table, book, tiers, statistics)
    write_csv(table, out["crosstabs"])
    write_csv(tests, out["chisquare"])
    created = frame["recorded"].max().to_pydatetime()
    write_atomically(
        out["workbook"], lambda tmp: write_workbook(table, tests, book, tiers["levels"], statistics, title, created, tmp)
    )


def results(crosstabs: str, respondents: str, codebook: str, verbatims: bool = False):
    """The measures of the study's exhibits and findings.

    Of the respondent rows only the columns needed are read: the field dates, and the typed
    texts (open answers, "Other" texts) with their order where ``verbatims`` are to be quoted.
    """
    import pandas as pd

    from .measures import Results

    book = load_codebook(codebook)
    columns = ["recorded"]
    if verbatims:
        columns += ["response_id"] + book.free_text_columns
    return Results(pd.read_csv(crosstabs), book, read_tidy(respondents, book, columns))


def charts_stage(
    crosstabs: str, respondents: str, codebook: str, report_config: dict, tiers: dict, fonts: str, out: list[str], ledger_out: str
) -> None:
    from . import charts
    from .ledger import Ledger

    data = results(crosstabs, respondents, codebook)
    charts.apply_style(report_config["style"], fonts)
    by_id = {Path(path).stem: path for path in out}
    ledger = Ledger()
    with ledger.active():
        for exhibit in report_config["exhibits"]:
            start = len(ledger.entries)
            figure = charts.draw_exhibit(exhibit, data, report_config["style"], tiers["levels"])
            write_atomically(by_id[exhibit["id"]], lambda tmp: charts.save_svg(figure, tmp))
            for entry in ledger.entries[start:]:
                entry["source"] = f"figure {exhibit['id']}; {entry['source']}".rstrip("; ")
    write_csv(ledger.frame(), ledger_out)


def render_stage(
    crosstabs: str,
    respondents: str,
    attrition: str,
    export: str,
    codebook: str,
    template_dir: str,
    charts_out: list[str],
    charts_ledger: str,
    config: dict,
    report_config: dict,
    figures: str | None,
    fail: bool,
    out: dict[str, str],
) -> None:
    import pandas as pd

    from . import report
    from .ledger import Ledger
    from .measures import failures, verify_layout

    data = results(crosstabs, respondents, codebook, verbatims=True)
    chart_urls = {Path(p).stem: f"charts/{Path(p).name}" for p in charts_out}
    ledger = Ledger()
    with ledger.active():
        context = report.build_context(
            config, report_config, data, pd.read_csv(attrition), report.sha256(export), chart_urls
        )
        html = report.render_html(template_dir, context, report_config.get("template", "report.html.j2"))
    templates = Path(template_dir)
    assets = {"style.css": templates / "style.css"}
    assets |= {f"fonts/{p.name}": p for p in (templates / "fonts").glob("*.ttf")}
    assets |= {f"charts/{Path(p).name}": Path(p) for p in charts_out}
    pages = report.write_pdf(html, assets, out["pdf"], context["field"]["last"].to_pydatetime())
    layout = verify_layout(load_yaml(figures), pages) if figures else []
    for c in layout:
        held = "holds" if c.holds else "DOES NOT HOLD"
        log.info("published figure %s (%s): expected %s, computed %s: %s", c.figure, c.check, c.expected, c.computed, held)
    failed = failures(layout)
    if fail and failed:
        raise SurveyError(failed, file=figures)
    write_text(out["html"], report.self_contained(html, assets))
    entries = pd.concat([ledger.frame(), pd.read_csv(charts_ledger, dtype=str, keep_default_na=False)])
    write_csv(entries.drop_duplicates(), out["ledger"])
    log.info("wrote %s: %d pages, %d numbers in the ledger", out["pdf"], pages, len(entries))


def verify_stage(crosstabs: str, respondents: str, codebook: str, figures: str | None, fail: bool, out: str) -> None:
    from .measures import failures, verification_markdown, verify

    published = load_yaml(figures) if figures else []
    checks = verify(results(crosstabs, respondents, codebook), published)
    text = verification_markdown(checks, published)
    log.info("\n%s", text)
    failed = failures(checks)
    if fail and failed:
        raise SurveyError(failed, file=figures)
    write_text(out, text)
