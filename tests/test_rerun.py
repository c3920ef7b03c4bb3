"""Rerun triggers as a researcher expects: an edit reruns the steps it affects, and only those."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import LOGS, RESULTS, WORK, snakemake

pytestmark = pytest.mark.e2e


def planned(workdir):
    """The rules a dry run would execute (without the `all` target)."""
    run = snakemake(workdir, "--dry-run")
    assert run.returncode == 0, run.stderr[-2000:]
    output = run.stdout + run.stderr
    if "Nothing to be done" in output:
        return set()
    table = output.split("Job stats:")[1].split("total")[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", table, flags=re.M)} - {"all"}


@pytest.fixture
def built(build, tmp_path):
    """A private copy of the built project, with its results and Snakemake's records."""
    return shutil.copytree(build, tmp_path / "project", symlinks=True)


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_nothing_reruns_without_an_edit(built):
    assert planned(built) == set()


def test_a_template_edit_reruns_the_render_alone(built):
    edit(
        built / "config" / "sales-training-2012" / "report.html.j2", "<h2>Key findings</h2>", "<h2>Key findings of the study</h2>"
    )
    assert planned(built) == {"render", "publish"}


def test_a_stylesheet_edit_reruns_the_render_alone(built):
    edit(built / "report" / "style.css", "--accent: #2b6f8e;", "--accent: #2b6f8f;")
    assert planned(built) == {"render", "publish"}


def test_a_screen_stylesheet_edit_reruns_the_render_alone(built):
    edit(built / "report" / "screen.css", "max-width: 7in;", "max-width: 8in;")
    assert planned(built) == {"render", "publish"}


def test_an_edit_of_the_checks_reruns_the_stages_that_check(built):
    edit(built / "src" / "surveyreport" / "checks.py", '"""Checks of', '"""The checks of')
    assert planned(built) == {"render", "verify", "publish"}


def test_an_edit_of_the_pdf_code_reruns_the_render_alone(built):
    edit(built / "src" / "surveyreport" / "pdf.py", '"""The report\'s PDF', '"""The PDF')
    assert planned(built) == {"render", "publish"}


def test_a_chart_style_edit_reruns_charts_and_render(built):
    edit(built / "config" / "sales-training-2012" / "report.yaml", "font_size: 8.5", "font_size: 9")
    assert planned(built) == {"charts", "render", "publish"}


def test_a_finding_wording_edit_reruns_the_render_alone(built):
    edit(
        built / "config" / "sales-training-2012" / "report.yaml", "heading: Joining forces", "heading: Joining forces with sales"
    )
    assert planned(built) == {"render", "publish"}


def test_a_tier_rule_edit_reruns_tiering_and_what_depends_on_it(built):
    edit(
        built / "config" / "sales-training-2012" / "config.yaml",
        "{id: ineffective, label: Ineffective,",
        "{id: ineffective, label: Least effective,",
    )
    assert planned(built) == {"tier", "crosstab", "charts", "render", "verify", "publish"}


def test_a_cleaning_threshold_edit_reruns_from_cleaning_on(built):
    edit(built / "config" / "sales-training-2012" / "config.yaml", "max_share_of_median: 0.33", "max_share_of_median: 0.3")
    assert planned(built) == {"clean", "tier", "crosstab", "charts", "render", "verify", "publish"}


def test_a_codebook_edit_reruns_from_ingest(built):
    edit(built / "config" / "sales-training-2012" / "codebook.yaml", "label: Mobile learning}", "label: Mobile learning apps}")
    assert planned(built) == {"ingest", "clean", "tier", "crosstab", "charts", "render", "verify", "publish"}


TIMERS_LEFT = """
import json, sys, threading
from snakemake.cli import main
sys.argv = ["snakemake", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    # a cancelled timer ends by itself at once (on a busy machine it may still be alive here): count the others
    timers = [t.name for t in threading.enumerate() if isinstance(t, threading.Timer) and not t.finished.is_set()]
    print(json.dumps({"exit": exit.code, "timers": timers}))
"""


def timers_left(workdir, *args):
    """Snakemake run in a fresh interpreter: its exit code, and the timers still running when it returned."""
    run = subprocess.run([sys.executable, "-c", TIMERS_LEFT, "--cores", "1", *args], cwd=workdir, capture_output=True, text=True)
    assert run.stdout.strip(), run.stderr[-2000:]
    return json.loads(run.stdout.splitlines()[-1])


def test_snakemake_leaves_no_timer_to_wait_for_when_its_jobs_are_done(built):
    """The workflow cancels the job rate limiter's last timer, which would hold the exit up to a second."""
    assert timers_left(built, "--forcerun", "verify") == {"exit": 0, "timers": []}
    edit(built / "config" / "sales-training-2012" / "codebook.yaml", "column: Q6", "column: Q6_missing")  # ingest fails
    assert timers_left(built) == {"exit": 1, "timers": []}


def test_provenance_report_lists_the_results_with_captions(built):
    run = snakemake(built, "--report", "results/provenance.html")
    assert run.returncode == 0, run.stderr[-2000:]
    html = (built / "results" / "provenance.html").read_text(encoding="utf-8", errors="replace")
    for name in ("report.pdf", "crosstabs.xlsx", "attrition.csv", "verification.md", "sourcing.svg"):
        assert name in html
    assert "Wilson interval" in html  # a caption


def test_a_failed_rerun_leaves_nothing_partial_and_keeps_the_last_good_results(build, built):
    """Bad input stops the run with a located message; the last good report, tables and charts stay as they were."""
    export = built / "data" / "raw" / "sales_training_2012_qualtrics.csv"
    rows = export.read_text(encoding="utf-8").split("\n")
    header = rows[0].split(",")
    cells = rows[9].split(",")
    cells[header.index("Q6")] = "7"
    rows[9] = ",".join(cells)
    export.write_text("\n".join(rows), encoding="utf-8")
    before = files(build / RESULTS)

    run = snakemake(built)

    assert run.returncode != 0
    log = (built / LOGS / "ingest.log").read_text(encoding="utf-8")
    assert f"{export.relative_to(built)}, row 10, column 'Q6': unexpected value '7'" in log
    assert "Traceback" not in log
    assert files(built / RESULTS) == before  # the published set is as it was
    assert not list((built / "results").rglob("*.tmp")), "a temporary file was left"
    removed = set(files(build / WORK)) - set(files(built / WORK))
    assert removed == {Path("ingest") / "responses.arrow"}  # Snakemake removes the failed step's own output, nothing else


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
