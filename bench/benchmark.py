"""Benchmark the workflow and write a markdown table of median wall time and peak memory.

    python bench/benchmark.py [--runs 3] [--sizes 10000 100000 1000000] [--out bench/RESULTS.md] [--smoke [--built DIR]]

Everything runs in a temporary copy of the project, so ``results/`` is left alone.
Measured, each ``--runs`` times (median reported):

- cold build of the study (no ``results/``, no ``.snakemake/``);
- no-op rerun, next to ``snakemake --version`` in the same run;
- a template edit, a chart-style edit and a tier-rule edit: time, and the jobs that reran;
- the render floor: WeasyPrint alone, in a fresh interpreter, turning the report's final HTML
  into its PDF; the cold build as a multiple of it;
- the segment fan-out: the built study given a segments block of 20 segments (each of the whole
  sample, so that each report is as long as the full one), built again, as a multiple of 20
  render floors shared by the cores;
- the cold build through the SLURM profile (profiles/slurm), where a cluster answers `sinfo`
  (profiles/slurm/localhost-cluster.sh starts one on this machine); else the row says why not;
- each stage on the study's export, in a fresh interpreter, and how much of that is the
  interpreter starting and importing what the stage uses (the modules the stage had loaded
  when it finished, imported again in another fresh interpreter);
- each stage on generated exports of each ``--sizes`` respondents, alone in a fresh interpreter
  (its start and imports included), and DuckDB counting the same answers by tier straight from
  the same export file, in a fresh interpreter;
- ingest → crosstab as a build runs them, against DuckDB: one fresh interpreter starts the
  workflow's two fork servers for those four stages (``surveyreport.jobs.start``: each imports its
  stages' libraries), then runs each stage as its rule's job does (``jobs.run_stage``), in a process
  forked from its server, one after another. Its time includes that start and the servers'
  imports, not Snakemake's planning or scheduling of the jobs. It and DuckDB are measured in
  turn, and the ratio is the median of the pairs' ratios.

``--smoke`` (the tests' quick run: every row written, the times not worth comparing) measures
once, builds the study once (or copies ``--built``, a copy of the project already built), and
plans the cold build, the edits and the segment fan-out with Snakemake's dry run (the jobs they
would run) instead of running them; one segment; no SLURM build (the tests' cluster is not the
benchmark's); the stages' split is measured on the smallest generated export, whose times are
also its row at scale.

Peak memory is the largest resident set of any one process of the measured command
(``getrusage(RUSAGE_CHILDREN)``), e.g. the heaviest Snakemake job.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["ingest", "clean", "tier", "crosstab", "charts", "render"]
STUDY = "sales-training-2012"
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "returncode": run.returncode, "output": run.stdout + run.stderr}))
"""


def measure(argv: list[str], cwd: Path) -> dict:
    """Wall time and peak memory of one command, run from a fresh interpreter on the copy's package (its temporary
    files in the benchmark's temporary folder, removed at the end)."""
    env = {**os.environ, "PYTHONPATH": str(cwd / "src"), "TMPDIR": str(cwd.parent)}
    run = subprocess.run([sys.executable, "-c", MEASURE, *argv], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    if result["returncode"] != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(argv)}\n{result['output'][-3000:]}")
    return result


def median_of(results: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_mb"] for r in results),
        "output": results[-1]["output"],
    }


def snakemake(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", "4", *args]


def jobs_run(output: str) -> str:
    names = [m.group(1) for m in re.finditer(r"^(?:local)?rule (\w+):$", output, flags=re.M)]
    return ", ".join(n for n in names if n != "all") or "none"


def copy_project(target: Path) -> Path:
    from surveygen.project import copy_project as copy

    return copy(ROOT, target)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"benchmark edit: {old!r} not found in {path}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ----------------------------------------------------------------------------- the study


def study_rows(work: Path, runs: int, smoke: bool = False) -> list[tuple[str, dict | None, str]]:
    """The study's builds; ``smoke``: ``work`` is built, and the cold build and the edits are planned (dry runs)."""
    rows = []
    if smoke:
        cold = [measure(snakemake("--dry-run", "--forceall"), work)]
    else:
        cold = []
        for _ in range(runs):
            for name in ("results", ".snakemake", "logs", "benchmarks"):
                shutil.rmtree(work / name, ignore_errors=True)
            cold.append(measure(snakemake(), work))
    rows.append(("cold build (empty results/)", median_of(cold), jobs_run(cold[-1]["output"])))
    rows.append(("no-op rerun", median_of([measure(snakemake(), work) for _ in range(runs)]), "none"))
    rows.append(
        (
            "`snakemake --version`",
            median_of([measure([sys.executable, "-m", "snakemake", "--version"], work) for _ in range(runs)]),
            "",
        )
    )
    edits = {
        "template edit (report.html.j2)": (
            work / "config" / STUDY / "report.html.j2",
            "<h2>Key findings</h2>",
            "<h2>Key findings{n}</h2>",
        ),
        "chart-style edit (font_size)": (
            work / "config" / STUDY / "report.yaml",
            "font_size: 8.5",
            "font_size: 8.{n}",
        ),
        "tier-rule edit (a tier's label)": (
            work / "config" / STUDY / "config.yaml",
            "label: Ineffective,",
            "label: Ineffective{n},",
        ),
    }
    for what, (path, old, new) in edits.items():
        original = path.read_text(encoding="utf-8")
        results = []
        for n in range(runs):
            edit(path, old, new.format(n=n + 1 if "font_size" not in what else n + 6))
            results.append(measure(snakemake(*(["--dry-run"] if smoke else [])), work))
            path.write_text(original, encoding="utf-8")
        if not smoke:
            measure(snakemake(), work)  # back to the committed state, not timed
        rows.append((what, median_of(results), jobs_run(results[-1]["output"])))
    floor = render_floor(work, runs)
    rows.append(
        (f"render floor ({FLOOR_WHAT})", floor, f"the cold build is {rows[0][1]['seconds'] / floor['seconds']:.2f}× this")
    )
    rows.append(segment_row(work, runs, floor["seconds"], smoke))
    rows.append(slurm_row(work, runs, smoke))
    return rows


FLOOR_WHAT = "WeasyPrint alone, a fresh interpreter: the report's HTML to its PDF"
FLOOR = """
import sys, weasyprint
weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_variant="pdf/ua-1")
"""


def render_floor(work: Path, runs: int) -> dict:
    """WeasyPrint alone, in one fresh process, turning the report's final (self-contained) HTML into the PDF."""
    html, pdf = work / "results" / STUDY / "report.html", work / "floor.pdf"
    floor = median_of([measure([sys.executable, "-c", FLOOR, str(html), str(pdf)], work) for _ in range(runs)])
    pdf.unlink()
    return floor


SEGMENT_REPORTS = 20
SIZES = ["under_1000", "from_1000", "from_5000", "from_10000", "over_50000"]


def segments_block(count: int) -> str:
    """A segments block of ``count`` segments, each of every company size: each report is as long as the full one."""
    import yaml

    groups = [{"id": f"all_{i:02d}", "label": f"All sizes {i}", "choices": SIZES} for i in range(1, count + 1)]
    return "\n" + yaml.safe_dump({"segments": {"question": "company_size", "groups": groups}}, sort_keys=False)


def segment_row(work: Path, runs: int, floor: float, smoke: bool) -> tuple[str, dict, str]:
    """The segment fan-out: the built study given segments, built again (the full report's jobs stay done), against
    the segments' render floors shared by the cores. ``smoke``: one segment, planned (a dry run)."""
    from collections import Counter

    count, cores = 1 if smoke else SEGMENT_REPORTS, min(4, os.cpu_count() or 1)
    config = work / "config" / STUDY / "config.yaml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original + segments_block(count), encoding="utf-8")
    results = []
    for _ in range(runs):
        for name in ("segments", "split"):
            shutil.rmtree(work / "results" / ".work" / STUDY / name, ignore_errors=True)
        results.append(measure(snakemake(*(["--dry-run"] if smoke else [])), work))
    config.write_text(original, encoding="utf-8")
    if not smoke:
        measure(snakemake(), work)  # back to the committed state: the set without segments, not timed
    result = median_of(results)
    jobs = Counter(m.group(1) for m in re.finditer(r"^(?:local)?(?:rule|checkpoint) (\w+):$", result["output"], flags=re.M))
    ran = ", ".join(f"{n}× {name}" if n > 1 else name for name, n in jobs.items() if name != "all")
    what = (
        f"segment fan-out ({count} segment report{'s' if count > 1 else ''}, each of the whole sample; "
        f"{result['seconds'] / (count * floor / cores):.2f}× {count} render floors ÷ {cores} cores)"
    )
    return what, result, ran


def cluster_problem() -> str | None:
    """Why no SLURM cluster can take the build, or None where ``sinfo`` answers."""
    if shutil.which("sinfo") is None:
        return "no SLURM here (no `sinfo`)"
    try:
        run = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "`sinfo` did not answer in 30 s"
    if run.returncode != 0:
        return f"`sinfo` failed: {(run.stderr.strip().splitlines() or ['no message'])[-1][:80]}"
    return None


def slurm_row(work: Path, runs: int, smoke: bool) -> tuple[str, dict | None, str]:
    """The cold build through the SLURM profile (every job submitted with sbatch), where a cluster answers."""
    what = "cold build through SLURM (profiles/slurm)"
    problem = "--smoke (the tests' cluster is not the benchmark's)" if smoke else cluster_problem()
    if problem:
        return what, None, f"not measured: {problem}"
    cold = []
    for _ in range(runs):
        for name in ("results", ".snakemake", "logs", "benchmarks"):
            shutil.rmtree(work / name, ignore_errors=True)
        from surveygen.project import LOCAL_SLURM

        cold.append(measure(snakemake(*LOCAL_SLURM), work))
    return what, median_of(cold), jobs_run(cold[-1]["output"])


# ----------------------------------------------------------------------------- stages at scale


def stage_command(name: str, work: Path, data: Path, modules: Path | None = None) -> list[str]:
    """A fresh interpreter running one stage of the package on ``data``'s files.

    With ``modules``, the names of the modules loaded by the end are written there.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", name, "--work", str(work), "--data", str(data)]
    return command + (["--modules", str(modules)] if modules else [])


IMPORT_AGAIN = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def startup_rows(work: Path, runs: int, data: Path | None = None) -> dict[str, dict]:
    """Each stage on an export (the study's, or the one in ``data``): its wall time and peak memory, and the wall
    time of starting and importing alone."""
    own = data is None
    if own:
        data = work / "scale" / "study"
        data.mkdir(parents=True)
        shutil.copy2(work / "data" / "raw" / "sales_training_2012_qualtrics.csv", data / "export.csv")
    table = {}
    for name in STAGES:
        modules = data / f"{name}.modules.json"
        whole = median_of([measure(stage_command(name, work, data, modules), work) for _ in range(runs)])
        startup = median_of([measure([sys.executable, "-c", IMPORT_AGAIN, str(modules)], work) for _ in range(runs)])
        # Start-up alone can measure a little longer than the whole stage (run-to-run noise):
        # it is capped at the whole, and the stage's own work then reads 0.
        table[name] = {**whole, "startup": min(startup["seconds"], whole["seconds"])}
        print(f"  start-up: {name:<8} {whole['seconds']:.2f} s, start-up {startup['seconds']:.2f} s", file=sys.stderr)
    if own:
        shutil.rmtree(data)
    return table


@functools.cache
def study_config(study: Path) -> tuple[dict, dict]:
    """The study's configuration and report configuration, read once (as Snakemake reads them once for a run)."""
    import yaml

    return tuple(yaml.safe_load((study / name).read_text(encoding="utf-8")) for name in ("config.yaml", "report.yaml"))


def stage_arguments(name: str, work: Path, data: Path) -> tuple[dict, dict, dict]:
    """The named inputs, outputs and params of one stage of the study on ``data``'s files, as its rule gives them."""
    import glob

    study = work / "config" / STUDY
    config, report_config = study_config(study)
    codebook = str(study / "codebook.yaml")
    d = str(data)
    fonts = sorted(str(p) for p in (work / "report" / "fonts").glob("*.ttf"))
    if name == "ingest":
        return (
            {"export": f"{d}/export.csv", "codebook": codebook},
            {"responses": f"{d}/responses.arrow"},
            {"export_format": "auto"},
        )
    if name == "clean":
        outputs = {k: f"{d}/{k}.csv" for k in ("dispositions", "attrition", "recodes")}
        outputs["respondents"] = f"{d}/respondents.arrow"
        return {"responses": f"{d}/responses.arrow", "codebook": codebook}, outputs, {"cleaning": config["cleaning"]}
    if name == "tier":
        inputs = {"respondents": f"{d}/respondents.arrow", "codebook": codebook}
        return inputs, {"respondents": f"{d}/tiered.arrow"}, {"tiers": config["tiers"]}
    if name == "crosstab":
        outputs = {
            "crosstabs": f"{d}/crosstabs.csv",
            "chisquare": f"{d}/chisquare.csv",
            "scores": f"{d}/scores.csv",
            "pairwise": f"{d}/pairwise.csv",
            "workbook": f"{d}/crosstabs.xlsx",
        }
        params = {"tiers": config["tiers"], "statistics": config["statistics"], "title": config["about"]["title"]}
        return {"respondents": f"{d}/tiered.arrow", "codebook": codebook}, outputs, params
    if name == "charts":
        (data / "charts").mkdir(exist_ok=True)
        svgs = [f"{d}/charts/{e['id']}.svg" for e in report_config["exhibits"]]
        inputs = {"crosstabs": f"{d}/crosstabs.csv", "respondents": f"{d}/tiered.arrow", "codebook": codebook, "fonts": fonts}
        params = {
            "report": {"style": report_config["style"], "exhibits": report_config["exhibits"]},
            "tiers": config["tiers"],
            "statistics": config["statistics"],
        }
        return inputs, {"svgs": svgs, "ledger": f"{d}/charts/ledger.csv"}, params
    if name == "render":
        inputs = {
            "crosstabs": f"{d}/crosstabs.csv",
            "pairwise": f"{d}/pairwise.csv",
            "respondents": f"{d}/tiered.arrow",
            "attrition": f"{d}/attrition.csv",
            "export": f"{d}/export.csv",
            "codebook": codebook,
            "charts": sorted(glob.glob(f"{d}/charts/*.svg")),
            "charts_ledger": f"{d}/charts/ledger.csv",
            "stylesheet": str(work / "report" / "style.css"),
            "screen_stylesheet": str(work / "report" / "screen.css"),
            "fonts": fonts,
            "figures": [],
        }
        settings = {
            "study": config["about"],
            **{k: config[k] for k in ("cleaning", "tiers", "statistics")},
            "commit": "benchmark",
        }
        params = {
            "config": settings,
            "report": {**report_config, "unsupported_claims": "mark"},
            "template_dirs": [str(study), str(work / "report")],
            "fail": False,
        }
        return inputs, {"pdf": f"{d}/report.pdf", "html": f"{d}/report.html", "ledger": f"{d}/ledger.csv"}, params
    raise ValueError(f"no stage {name!r}")


def run_stage(name: str, work: Path, data: Path, modules: str | None = None) -> None:
    """One stage (or DuckDB's counts) in this interpreter; with ``modules``, the names of the modules loaded by the end
    are written there."""
    if name == "duckdb":
        print(json.dumps(duckdb_counts(f"{data}/export.csv", work)))
    elif name == BUILT:
        run_as_built(work, data)
    else:
        from surveyreport import stages

        getattr(stages, name)(*stage_arguments(name, work, data))
    if modules:  # a Snakemake job also loads snakemake.script, for its `snakemake` object
        loaded = ["snakemake.script", *(m for m in sys.modules if m != "__main__")]
        Path(modules).write_text(json.dumps(loaded), encoding="utf-8")


BUILT = "as-built"  # the stages of ``AS_BUILT`` run as a build runs them
AS_BUILT = ["ingest", "clean", "tier", "crosstab"]
AS_BUILT_WHAT = (
    "ingest → crosstab as a build runs them: the workflow's two fork servers start (importing these four stages' "
    "libraries side by side), and each stage runs in a process forked from its server, one after another "
    "(``surveyreport.jobs``, as a rule's job runs it; Snakemake's planning of the jobs not included); its time, as a "
    "multiple of DuckDB's row (the median of the ratios of runs taken in turn), and its peak memory (the largest "
    "process)"
)


def run_as_built(work: Path, data: Path) -> None:
    """The stages of ``AS_BUILT`` one after another as a build runs them: the fork servers start for them, and each
    stage runs as its rule's job does (``jobs.run_stage``), in a process forked from its server."""
    from surveyreport import jobs

    jobs.start(AS_BUILT)
    try:
        for name in AS_BUILT:
            jobs.run_stage(name, *stage_arguments(name, work, data), 1, [str(data / f"{name}.log")], fork=True)
    except jobs.StageFailed as stopped:
        raise SystemExit(str(stopped)) from None
    finally:
        jobs.stop()  # the servers reaped here: their jobs' peak memory is among this command's children's


def duckdb_counts(export: str, work: Path) -> int:
    """DuckDB: answers counted by tier (and in total) for every closed question, straight from the raw export."""
    import duckdb
    import yaml

    from surveyreport.codebook import load_codebook

    book = load_codebook(work / "config" / "sales-training-2012" / "codebook.yaml")
    tiers = yaml.safe_load((work / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))["tiers"]
    tier_question = book.question(tiers["question"])
    codes = {c.id: c.code for c in tier_question.choices}
    cases = " ".join(
        f"WHEN \"{tier_question.column}\" IN ({', '.join(repr(str(codes[c])) for c in level['choices'])}) THEN '{level['id']}'"
        for level in tiers["levels"]
    )
    selects = []
    for question in book.closed:
        if question.multi:
            for choice in question.choices:
                column = f"{question.column}_{choice.code}"
                selects.append(
                    f"SELECT '{question.id}' q, '{choice.code}' a, tier, count(*) FILTER (WHERE \"{column}\" = '1') n FROM r GROUP BY ALL"
                )
        else:
            selects.append(f"SELECT '{question.id}' q, \"{question.column}\" a, tier, count(*) n FROM r GROUP BY ALL")
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE r AS SELECT *, CASE {cases} END AS tier FROM read_csv('{export}', all_varchar=true, header=true) "
        "WHERE \"Status\" NOT LIKE '%ImportId%' AND \"Status\" <> 'Response Type'"
    )
    union = " UNION ALL ".join(selects)
    counts = con.execute(f"SELECT q, a, tier, sum(n) FROM ({union}) GROUP BY GROUPING SETS ((q, a, tier), (q, a))").fetchall()
    return len(counts)


def scale_rows(
    work: Path, sizes: list[int], runs: int, done: Callable[[dict], None], split: Callable[[Path], dict] | None = None
) -> dict[int, dict[str, dict]]:
    """Each stage at each size; ``done`` gets the table so far after every size. With ``split`` (``--smoke``), the
    first size's stages are those ``split`` measured on its export (the stages' start-up split)."""
    import yaml

    from surveygen.generate import generate
    from surveyreport.codebook import load_codebook

    codebook = load_codebook(work / "config" / STUDY / "codebook.yaml")
    spec = yaml.safe_load((work / "config" / STUDY / "reconstruction.yaml").read_text(encoding="utf-8"))
    table: dict[int, dict[str, dict]] = {}
    for size in sizes:
        data = work / "scale" / str(size)
        data.mkdir(parents=True)
        generate(codebook, spec, data / "export.csv", respondents=size)
        table[size] = {"export_mb": {"seconds": (data / "export.csv").stat().st_size / 1e6}}
        names = STAGES
        if split is not None and size == sizes[0]:
            table[size] |= split(data)
            names = []
        for name in names:
            try:
                table[size][name] = median_of([measure(stage_command(name, work, data), work) for _ in range(runs)])
            except SystemExit as failure:  # e.g. out of memory: recorded, and the later stages cannot run
                print(failure, file=sys.stderr)
                table[size][name] = {"failed": str(failure).splitlines()[-1][:80]}
                continue
            print(f"  {size:>9,} respondents: {name:<8} {table[size][name]['seconds']:7.2f} s", file=sys.stderr)
        table[size] |= as_built_against_duckdb(work, data, runs)
        shutil.rmtree(data)
        done(table)
    return table


def as_built_against_duckdb(work: Path, data: Path, runs: int) -> dict[str, dict]:
    """Ingest → crosstab as a build runs them (``run_as_built``) and DuckDB's counts (a fresh interpreter), measured
    in turn, ``runs`` pairs: each one's median, and the median of the pairs' ratios (``ratio``) under ``BUILT``."""
    pairs = []
    for _ in range(runs):
        try:
            pairs.append([measure(stage_command(name, work, data), work) for name in (BUILT, "duckdb")])
        except SystemExit as failure:  # e.g. out of memory: recorded
            print(failure, file=sys.stderr)
            failed = {"failed": str(failure).splitlines()[-1][:80]}
            return {BUILT: failed, "duckdb": failed}
    built, duckdb = median_of([p[0] for p in pairs]), median_of([p[1] for p in pairs])
    built["ratio"] = statistics.median(p[0]["seconds"] / p[1]["seconds"] for p in pairs)
    print(f"  as built: {built['seconds']:.2f} s, DuckDB {duckdb['seconds']:.2f} s: {built['ratio']:.2f}×", file=sys.stderr)
    return {BUILT: built, "duckdb": duckdb}


# ----------------------------------------------------------------------------- the table


def cell(result: dict) -> str:
    if "failed" in result:
        return f"failed: {result['failed']}"
    return f"{result['seconds']:.2f} s, {result['peak_mb']:.0f} MB"


def source_commit() -> str:
    """The commit being measured, marked when the working tree differs from it."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"`{commit}`" + (" (with uncommitted changes)" if dirty else "")


def study_cells(result: dict | None) -> str:
    """A study row's time and memory: dashes where it was not measured."""
    return "— | —" if result is None else f"{result['seconds']:.2f} s | {result['peak_mb']:.0f} MB"


def markdown(
    study: list[tuple[str, dict | None, str]],
    startup: dict[str, dict],
    scale: dict[int, dict[str, dict]],
    runs: int,
    commit: str,
    source: str = "the study's export",
) -> str:
    lines = [
        "# Benchmark",
        "",
        f"Commit {commit}; Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; median of {runs} runs. "
        "Peak memory: the largest resident set of any one process. Written by `bench/benchmark.py`.",
        "",
        "## The study (174 respondents)",
        "",
        "| what | median wall time | peak memory | jobs that ran |",
        "|---|---:|---:|---|",
    ]
    lines += [f"| {what} | {study_cells(r)} | {jobs} |" for what, r, jobs in study]
    if startup:
        no_op = next(r["seconds"] for what, r, _ in study if what == "no-op rerun")
        lines += [
            "",
            f"## Where the cold build's time goes (each stage on {source}, in a fresh interpreter)",
            "",
            "| stage | wall time | interpreter start and imports | the stage's own work |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {name} | {r['seconds']:.2f} s | {r['startup']:.2f} s | {r['seconds'] - r['startup']:.2f} s |"
            for name, r in startup.items()
        ]
        total = sum(r["seconds"] for r in startup.values())
        starting = sum(r["startup"] for r in startup.values())
        lines += [
            f"| all six, one after another | {total:.2f} s | {starting:.2f} s | {total - starting:.2f} s |",
            "",
            f"A build does not pay the start-up column per job: each job's stage runs in a process forked "
            f"from one of two servers that import the libraries once per run, side by side from its start "
            f"(src/surveyreport/jobs.py). "
            f"Snakemake's own start and checks (the no-op rerun) take {no_op:.2f} s; the stages' own work "
            f"adds to {total - starting:.2f} s.",
        ]
    if scale:
        sizes = sorted(scale)
        lines += [
            "",
            "## Each stage at scale (generated exports; a stage's row: the stage alone in a fresh interpreter)",
            "",
            "| stage | " + " | ".join(f"{s:,} respondents" for s in sizes) + " |",
            "|---|" + "---:|" * len(sizes),
            "| export size | " + " | ".join(f"{scale[s]['export_mb']['seconds']:.0f} MB" for s in sizes) + " |",
        ]
        for name in [*STAGES, "duckdb"]:
            label = "DuckDB: the same counts from the export" if name == "duckdb" else name
            lines.append(f"| {label} | " + " | ".join(cell(scale[s][name]) for s in sizes) + " |")
        built = [scale[s][BUILT] for s in sizes]
        lines.append(
            f"| {AS_BUILT_WHAT} | "
            + " | ".join(
                "—" if "failed" in r else f"{r['seconds']:.1f} s = {r['ratio']:.2f}× DuckDB (peak {r['peak_mb']:.0f} MB)"
                for r in built
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--smoke", action="store_true", help="a quick run that writes every row (one run of each)")
    parser.add_argument("--built", help="with --smoke: a copy of the project already built, to start from")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--modules", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
    if args.stage:
        run_stage(args.stage, Path(args.work), Path(args.data), args.modules)
        return
    commit = source_commit()  # before copying: the tree may change while the benchmark runs
    with tempfile.TemporaryDirectory(prefix="surveyreport-bench-") as tmp:
        if args.smoke and args.built:
            work = Path(shutil.copytree(args.built, Path(tmp) / "project", symlinks=True))
        else:
            work = copy_project(Path(tmp))
            if args.smoke:
                measure(snakemake(), work)  # the one build the smoke run's rows start from, not timed
        started = time.perf_counter()
        study = study_rows(work, args.runs, args.smoke)
        smallest = args.smoke and args.sizes  # the stages' split measured on the smallest export: its row at scale too
        source = f"a generated export of {min(args.sizes):,} respondents" if smallest else "the study's export"
        startup = {} if smallest else startup_rows(work, args.runs)
        print(f"study measured in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        def write(scale: dict) -> None:  # after each part, so a long run that is stopped keeps what it measured
            Path(args.out).write_text(markdown(study, startup, scale, args.runs, commit, source), encoding="utf-8")
            print(f"wrote {args.out}", file=sys.stderr)

        def split(data: Path) -> dict:
            startup.update(startup_rows(work, args.runs, data))
            return startup

        write({})
        if args.sizes:
            scale_rows(work, sorted(args.sizes), args.runs, write, split if smallest else None)


if __name__ == "__main__":
    main()
