"""The benchmark runs from the repository and writes every row of its table (what it measures is not asserted).

It runs the quick mode (`--smoke`) from the tests' shared build; `make benchmark` runs the full measurement.
"""

import re
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.e2e

SECONDS = r"(-?\d+\.\d\d) s"


@pytest.fixture(scope="module")
def table(build, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, "bench/benchmark.py", "--smoke", "--built", str(build), "--sizes", "2000", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return out.read_text(encoding="utf-8")


def section(table, heading):
    """The text of the section whose heading starts with ``heading``."""
    parts = re.split(r"^## ", table, flags=re.M)
    (text,) = [part for part in parts if part.startswith(heading)]
    return text


def row(table, label):
    """The cells of the table row whose first cell is ``label``."""
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row {label!r} in\n{table}")


def test_the_table_names_the_commit_it_measured(table):
    commit = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert f"Commit `{commit}" in table.splitlines()[2]


@pytest.mark.parametrize(
    "label, jobs",
    [
        ("cold build (empty results/)", "ingest, clean, tier, crosstab, charts, verify, render, publish"),
        ("no-op rerun", "none"),
        ("template edit (report.html.j2)", "render, publish"),
        ("chart-style edit (font_size)", "charts, render, publish"),
        ("tier-rule edit (a tier's label)", "tier, crosstab, charts, verify, render, publish"),
    ],
)
def test_each_build_of_the_study_has_its_time_memory_and_the_jobs_that_ran(table, label, jobs):
    seconds, memory, ran = row(section(table, "The study"), label)
    assert re.fullmatch(SECONDS, seconds) and re.fullmatch(r"\d+ MB", memory)
    assert sorted(ran.split(", ")) == sorted(jobs.split(", "))  # verify runs beside charts: in either order


def test_the_render_floor_and_the_cold_build_against_it(table):
    (label,) = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| render floor")]
    seconds, memory, ratio = row(section(table, "The study"), label)
    assert re.fullmatch(SECONDS, seconds) and re.fullmatch(r"\d+ MB", memory)
    cold = float(re.fullmatch(SECONDS, row(table, "cold build (empty results/)")[0]).group(1))
    printed = float(re.fullmatch(r"the cold build is (\d+\.\d\d)× this", ratio).group(1))
    assert printed == pytest.approx(cold / float(seconds[:-2]), abs=0.01)  # of the times before they were rounded


def test_the_segment_fan_out_row_gives_its_ratio_to_the_render_floors(table):
    (line,) = [line for line in table.splitlines() if line.startswith("| segment fan-out")]
    what, seconds, memory, jobs = [c.strip() for c in line.strip("|").split("|")]
    assert re.fullmatch(
        r"segment fan-out \(1 segment report, each of the whole sample; \d+\.\d\d× 1 render floors ÷ \d cores\)", what
    )
    assert re.fullmatch(SECONDS, seconds) and "segments" in jobs.split(", ")  # --smoke plans it: the split comes first


def test_the_slurm_row_says_why_it_was_not_measured(table):
    assert row(table, "cold build through SLURM (profiles/slurm)") == [
        "—",
        "—",
        "not measured: --smoke (the tests' cluster is not the benchmark's)",
    ]


def test_the_cold_build_split_adds_up_and_no_share_is_negative(table):
    table = section(table, "Where the cold build's time goes (each stage on a generated export of 2,000 respondents")
    stages = ["ingest", "clean", "tier", "crosstab", "charts", "render"]
    split = {name: [float(re.fullmatch(SECONDS, c).group(1)) for c in row(table, name)] for name in stages}
    for name, (whole, startup, own) in split.items():
        assert 0 <= startup <= whole and own >= 0, name
        assert own == pytest.approx(whole - startup, abs=0.011), name
    total = [float(re.fullmatch(SECONDS, c).group(1)) for c in row(table, "all six, one after another")]
    assert total[0] == pytest.approx(sum(s[0] for s in split.values()), abs=0.05)
    assert total[1] == pytest.approx(sum(s[1] for s in split.values()), abs=0.05)


def test_every_stage_at_scale_and_duckdb_have_a_time_and_a_peak(table):
    table = section(table, "Each stage at scale")
    assert "| 2,000 respondents |" in table
    for name in ["ingest", "clean", "tier", "crosstab", "charts", "render", "DuckDB: the same counts from the export"]:
        (cell,) = row(table, name)
        assert re.fullmatch(r"\d+\.\d\d s, \d+ MB", cell), (name, cell)
    (line,) = [line for line in table.splitlines() if line.startswith("| ingest → crosstab as a build runs them")]
    what, ratio = [c.strip() for c in line.strip("|").split("|")]
    assert "two fork servers" in what and "each stage runs in a process forked from its server" in what
    assert re.fullmatch(r"\d+\.\d s = \d+\.\d\d× DuckDB \(peak \d+ MB\)", ratio)
