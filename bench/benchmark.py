"""Benchmark the workflow and write a markdown table of median wall time and peak memory.

    python bench/benchmark.py [--runs 3] [--sizes 10000 100000 1000000] [--out bench/RESULTS.md] [--smoke]

Everything runs in a temporary copy of the project, so ``results/`` is left alone.
Measured, each ``--runs`` times (median reported):

- cold build of the study (no ``results/``, no ``.snakemake/``);
- no-op rerun, next to ``snakemake --version`` in the same run;
- a template edit, a chart-style edit and a tier-rule edit: time, and the jobs that reran;
- the segment fan-out: the built study given a segments block (one segment per company size),
  built again, beside as many renders of the full report shared by the cores;
- each stage on the study's export, in a fresh interpreter, and how much of that is the
  interpreter starting and importing what the stage uses (the modules the stage had loaded
  when it finished, imported again in another fresh interpreter);
- each stage on generated exports of each ``--sizes`` respondents, and DuckDB counting the
  same answers by tier straight from the same export file.

``--smoke`` (the tests' quick run, every row filled, the times not worth comparing): one run of
each, and no build back to the committed state after an edit (the next edit's build reruns the
same jobs and more).

Peak memory is the largest resident set of any one process of the measured command
(``getrusage(RUSAGE_CHILDREN)``), e.g. the heaviest Snakemake job.
"""

from __future__ import annotations

import argparse
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
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "returncode": run.returncode, "output": run.stdout + run.stderr}))
"""


def measure(argv: list[str], cwd: Path) -> dict:
    """Wall time and peak memory of one command, run from a fresh interpreter on the copy's package."""
    env = {**os.environ, "PYTHONPATH": str(cwd / "src")}
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


def study_rows(work: Path, runs: int, smoke: bool = False) -> list[tuple[str, dict, str]]:
    rows = []
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
            work / "config" / "sales-training-2012" / "report.html.j2",
            "<h2>Key findings</h2>",
            "<h2>Key findings{n}</h2>",
        ),
        "chart-style edit (font_size)": (
            work / "config" / "sales-training-2012" / "report.yaml",
            "font_size: 8.5",
            "font_size: 8.{n}",
        ),
        "tier-rule edit (a tier's label)": (
            work / "config" / "sales-training-2012" / "config.yaml",
            "label: Ineffective,",
            "label: Ineffective{n},",
        ),
    }
    for what, (path, old, new) in edits.items():
        original = path.read_text(encoding="utf-8")
        results = []
        for n in range(runs):
            edit(path, old, new.format(n=n + 1 if "font_size" not in what else n + 6))
            results.append(measure(snakemake(), work))
            path.write_text(original, encoding="utf-8")
        if not smoke:
            measure(snakemake(), work)  # back to the committed state, not timed
        rows.append((what, median_of(results), jobs_run(results[-1]["output"])))
    rows.append(segment_row(work, runs))
    return rows


STUDY = "sales-training-2012"
SEGMENTS = "\nsegments:\n  question: company_size\n  label: company size\n"


def render_seconds(work: Path, folder: str = "") -> float:
    """The wall time of the last render job in ``benchmarks/<study>/<folder>`` (Snakemake's benchmark file)."""
    table = (work / "benchmarks" / STUDY / folder / "render.tsv").read_text(encoding="utf-8").splitlines()
    return float(table[1].split("\t")[0])


def segment_row(work: Path, runs: int) -> tuple[str, dict, str]:
    """The segment fan-out: the built study given segments, built again (the full report's jobs stay done)."""
    from collections import Counter

    measure(snakemake(), work)  # the study up to date (after --smoke's last edit), not timed
    config = work / "config" / STUDY / "config.yaml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original + SEGMENTS, encoding="utf-8")
    results = []
    for _ in range(runs):
        for name in ("segments", "split"):
            shutil.rmtree(work / "results" / ".work" / STUDY / name, ignore_errors=True)
        results.append(measure(snakemake(), work))
    reports = sorted((work / "results" / STUDY / "segments").glob("*/report.pdf"))
    floor = len(reports) * render_seconds(work) / min(4, os.cpu_count() or 1)
    config.write_text(original, encoding="utf-8")
    measure(snakemake(), work)  # back to the committed state: the set without segments, not timed
    result = median_of(results)
    jobs = Counter(m.group(1) for m in re.finditer(r"^(?:local)?(?:rule|checkpoint) (\w+):$", result["output"], flags=re.M))
    ran = ", ".join(f"{n}× {name}" if n > 1 else name for name, n in jobs.items() if name != "all")
    what = (
        f"segment fan-out ({len(reports)} segment reports by company size; "
        f"{result['seconds'] / floor:.2f}× their renders shared by the cores)"
    )
    return what, result, ran


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


def startup_rows(work: Path, runs: int) -> dict[str, dict]:
    """Each stage on the study's export: its wall time, and that of starting and importing alone."""
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
        table[name] = {"seconds": whole["seconds"], "startup": min(startup["seconds"], whole["seconds"])}
        print(f"  the study: {name:<8} {whole['seconds']:.2f} s, start-up {startup['seconds']:.2f} s", file=sys.stderr)
    shutil.rmtree(data)
    return table


def run_stage(name: str, work: Path, data: Path, modules: str | None = None) -> None:
    import glob

    import yaml

    from surveyreport import stages

    config = yaml.safe_load((work / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))
    report_config = yaml.safe_load((work / "config" / "sales-training-2012" / "report.yaml").read_text(encoding="utf-8"))
    codebook = str(work / "config" / "sales-training-2012" / "codebook.yaml")
    d = str(data)
    study = work / "config" / "sales-training-2012"
    fonts = sorted(str(p) for p in (work / "report" / "fonts").glob("*.ttf"))
    if name == "ingest":
        stages.ingest(
            {"export": f"{d}/export.csv", "codebook": codebook}, {"responses": f"{d}/responses.arrow"}, {"export_format": "auto"}
        )
    elif name == "clean":
        outputs = {k: f"{d}/{k}.csv" for k in ("dispositions", "attrition", "recodes")}
        outputs["respondents"] = f"{d}/respondents.arrow"
        stages.clean({"responses": f"{d}/responses.arrow", "codebook": codebook}, outputs, {"cleaning": config["cleaning"]})
    elif name == "tier":
        stages.tier(
            {"respondents": f"{d}/respondents.arrow", "codebook": codebook},
            {"respondents": f"{d}/tiered.arrow"},
            {"tiers": config["tiers"]},
        )
    elif name == "crosstab":
        outputs = {
            "crosstabs": f"{d}/crosstabs.csv",
            "chisquare": f"{d}/chisquare.csv",
            "scores": f"{d}/scores.csv",
            "workbook": f"{d}/crosstabs.xlsx",
        }
        params = {"tiers": config["tiers"], "statistics": config["statistics"], "title": config["about"]["title"]}
        stages.crosstab({"respondents": f"{d}/tiered.arrow", "codebook": codebook}, outputs, params)
    elif name == "charts":
        (data / "charts").mkdir(exist_ok=True)
        svgs = [f"{d}/charts/{e['id']}.svg" for e in report_config["exhibits"]]
        inputs = {"crosstabs": f"{d}/crosstabs.csv", "respondents": f"{d}/tiered.arrow", "codebook": codebook, "fonts": fonts}
        params = {
            "report": {"style": report_config["style"], "exhibits": report_config["exhibits"]},
            "tiers": config["tiers"],
            "statistics": config["statistics"],
        }
        stages.charts(inputs, {"svgs": svgs, "ledger": f"{d}/charts/ledger.csv"}, params)
    elif name == "render":
        inputs = {
            "crosstabs": f"{d}/crosstabs.csv",
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
        stages.render(inputs, {"pdf": f"{d}/report.pdf", "html": f"{d}/report.html", "ledger": f"{d}/ledger.csv"}, params)
    elif name == "duckdb":
        print(json.dumps(duckdb_counts(f"{d}/export.csv", work)))
    if modules:  # a Snakemake job also loads snakemake.script, for its `snakemake` object
        loaded = ["snakemake.script", *(m for m in sys.modules if m != "__main__")]
        Path(modules).write_text(json.dumps(loaded), encoding="utf-8")


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


def scale_rows(work: Path, sizes: list[int], runs: int, done: Callable[[dict], None]) -> dict[int, dict[str, dict]]:
    """Each stage at each size; ``done`` gets the table so far after every size."""
    import yaml

    from surveygen.generate import generate
    from surveyreport.codebook import load_codebook

    codebook = load_codebook(work / "config" / "sales-training-2012" / "codebook.yaml")
    spec = yaml.safe_load((work / "config" / "sales-training-2012" / "reconstruction.yaml").read_text(encoding="utf-8"))
    table: dict[int, dict[str, dict]] = {}
    for size in sizes:
        data = work / "scale" / str(size)
        data.mkdir(parents=True)
        generate(codebook, spec, data / "export.csv", respondents=size)
        table[size] = {"export_mb": {"seconds": (data / "export.csv").stat().st_size / 1e6}}
        for name in [*STAGES, "duckdb"]:
            try:
                table[size][name] = median_of([measure(stage_command(name, work, data), work) for _ in range(runs)])
            except SystemExit as failure:  # e.g. out of memory: recorded, and the later stages cannot run
                print(failure, file=sys.stderr)
                table[size][name] = {"failed": str(failure).splitlines()[-1][:80]}
                continue
            print(f"  {size:>9,} respondents: {name:<8} {table[size][name]['seconds']:7.2f} s", file=sys.stderr)
        shutil.rmtree(data)
        done(table)
    return table


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


def markdown(
    study: list[tuple[str, dict, str]], startup: dict[str, dict], scale: dict[int, dict[str, dict]], runs: int, commit: str
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
    lines += [f"| {what} | {r['seconds']:.2f} s | {r['peak_mb']:.0f} MB | {jobs} |" for what, r, jobs in study]
    if startup:
        no_op = next(r["seconds"] for what, r, _ in study if what == "no-op rerun")
        lines += [
            "",
            "## Where the cold build's time goes (each stage on the study's export, in a fresh interpreter)",
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
            f"Snakemake's own start and checks (the no-op rerun) add {no_op:.2f} s: a chain of these jobs "
            f"cannot take less than {no_op + starting:.2f} s before any stage does its work.",
        ]
    if scale:
        sizes = sorted(scale)
        lines += [
            "",
            "## Each stage at scale (generated exports)",
            "",
            "| stage | " + " | ".join(f"{s:,} respondents" for s in sizes) + " |",
            "|---|" + "---:|" * len(sizes),
            "| export size | " + " | ".join(f"{scale[s]['export_mb']['seconds']:.0f} MB" for s in sizes) + " |",
        ]
        for name in [*STAGES, "duckdb"]:
            label = "DuckDB: the same counts from the export" if name == "duckdb" else name
            lines.append(f"| {label} | " + " | ".join(cell(scale[s][name]) for s in sizes) + " |")
        ratios = []
        for s in sizes:
            if any("failed" in scale[s][n] for n in ("ingest", "clean", "tier", "crosstab", "duckdb")):
                ratios.append("—")
                continue
            ours = sum(scale[s][n]["seconds"] for n in ("ingest", "clean", "tier", "crosstab"))
            ratios.append(f"{ours:.1f} s = {ours / scale[s]['duckdb']['seconds']:.1f}× DuckDB")
        lines.append("| ingest → crosstab | " + " | ".join(ratios) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--smoke", action="store_true", help="a quick run that fills every row (one run of each)")
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
        work = copy_project(Path(tmp))
        started = time.perf_counter()
        study = study_rows(work, args.runs, args.smoke)
        startup = startup_rows(work, args.runs)
        print(f"study measured in {time.perf_counter() - started:.0f} s", file=sys.stderr)

        def write(scale: dict) -> None:  # after each part, so a long run that is stopped keeps what it measured
            Path(args.out).write_text(markdown(study, startup, scale, args.runs, commit), encoding="utf-8")
            print(f"wrote {args.out}", file=sys.stderr)

        write({})
        if args.sizes:
            scale_rows(work, args.sizes, args.runs, write)


if __name__ == "__main__":
    main()
