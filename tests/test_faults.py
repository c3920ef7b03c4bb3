"""Faults lose nothing: the published set stays as it was until a whole run succeeds.

The main table (``CHAIN``) runs in one copy of the built project, one fault after another:
a SIGKILL of the process group at each job in turn, and a failure at each stage in turn
(bad input, an empty study, an unwritable output, a full disk, a published figure that no
longer holds). After each: the expected exit code, the one line naming the problem in the
console and in the job's log (no traceback), the published set byte-identical to the last
good build, no temporary file left. Each fault is undone before the next run, which then
gets past the job that failed (its outputs are checked against the reference build), and
the last run, with no fault, brings every published and work file back to the reference
bytes. Chaining the faults shares the rebuilds between them (a fault at ingest would
otherwise rebuild everything after it once per case).

An unwritable directory is made immutable (``chattr +i``; not root: ``chmod a-w``); a full
disk is a 16 kB tmpfs mounted in a private mount namespace (``unshare``). Where either cannot
be made here, the steps that need it are skipped, with the reason.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from surveyreport import publish as publishing
from surveyreport.atomic import write_atomically
from surveyreport.clean import require_respondents
from surveyreport.errors import SurveyError, file_problem, run_step

from .conftest import LOGS, RESULTS, WORK, digests

pytestmark = pytest.mark.e2e

STUDY = "sales-training-2012"
EXPORT = "data/raw/sales_training_2012_qualtrics.csv"
FIGURES = "config/sales-training-2012/published_figures.yaml"
OUTPUTS = {  # each job's files in the work area
    "ingest": ["ingest/responses.arrow"],
    "clean": ["clean/respondents.arrow", "clean/dispositions.csv", "clean/attrition.csv", "clean/recodes.csv"],
    "tier": ["tier/respondents.arrow"],
    "crosstab": ["crosstab/crosstabs.csv", "crosstab/chisquare.csv", "crosstab/pairwise.csv", "crosstab/crosstabs.xlsx"],
    "verify": ["verification.md"],
    "charts": ["charts/ledger.csv", "charts/sourcing.svg"],
    "render": ["report.pdf", "report.html", "ledger.csv"],
    "publish": [publishing.MANIFEST],
}
ORDER = list(OUTPUTS)


# ----------------------------------------------------------------------------- running Snakemake


def namespace_command() -> list[str] | None:
    """How to enter a private mount namespace here, or None where it cannot be done."""
    command = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--mount"]
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run([*command, "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"], capture_output=True)
    return command if probe.returncode == 0 else None


def set_writable(path: Path, writable: bool) -> None:
    """Let nobody (not even root) create or remove files in the directory ``path``, or let them again."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i" if writable else "+i", str(path)], check=True, capture_output=True)
    else:
        path.chmod(0o755 if writable else 0o555)


def can_make_unwritable() -> bool:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        try:
            set_writable(Path(folder), False)
        except (OSError, subprocess.CalledProcessError):
            return False
        set_writable(Path(folder), True)
        return True


NAMESPACE = namespace_command()
UNWRITABLE = can_make_unwritable()
CANNOT = {
    "full": None if NAMESPACE else "no private mount namespace here (unshare --mount fails): cannot mount a full file system",
    "unwritable": None if UNWRITABLE else "cannot make a directory unwritable here (chattr +i fails)",
}
DENIED = "operation not permitted" if os.geteuid() == 0 else "permission denied"


def run(workdir: Path, *args: str, full: str = "", kill_at: str | None = None) -> tuple[int, str]:
    """Run Snakemake in ``workdir``: its exit code and console output.

    ``full``: a directory where a 16 kB file system, already nearly full, is mounted first (in
    a private mount namespace); ``kill_at``: a job at whose start (its log file appears)
    Snakemake's process group is killed with SIGKILL.
    """
    command = [sys.executable, "-m", "snakemake", "--cores", "4", *args]
    if full:  # with a file in it, Snakemake leaves the directory (a mount point) alone
        mount = f"mount -t tmpfs -o size=16k tmpfs '{full}' && head -c 8192 /dev/zero > '{full}/filler'"
        command = [*NAMESPACE, "sh", "-c", mount + ' && exec "$@"', "sh", *command]
    console = workdir / "console.txt"
    with open(console, "w") as out:
        process = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if kill_at:
            started = workdir / LOGS / f"{kill_at}.log"
            deadline = time.monotonic() + 300
            while not started.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            if process.poll() is None:  # else the job never started: the exit code says so
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=300)
    return process.returncode, console.read_text()


def temporary_files(workdir: Path) -> list[str]:
    """Temporary files under results/."""
    return sorted(str(p.relative_to(workdir)) for p in (workdir / "results").rglob("*.tmp"))


@pytest.fixture(scope="module")
def reference(build):
    """The last good build: its published and work files."""
    return {"published": digests(build / RESULTS), "work": digests(build / WORK)}


@pytest.fixture
def built(build, tmp_path):
    """A private copy of the built project."""
    return shutil.copytree(build, tmp_path / "project", symlinks=True)


# ----------------------------------------------------------------------------- the faults


def edit(workdir: Path, path: str, change) -> None:
    file = workdir / path
    file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")


def bad_value(text: str) -> str:
    """Row 10 of the export answers Q6 with a code the question does not have."""
    rows = text.split("\n")
    header = rows[0].split(",")
    cells = rows[9].split(",")
    cells[header.index("Q6")] = "7"
    rows[9] = ",".join(cells)
    return "\n".join(rows)


def one_person(text: str) -> str:
    """Every response of the export given the same e-mail address: one person answering again and again."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("RecipientEmail")
    for row in rows[3:]:
        row[column] = "the.same.person@example.com"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@dataclass
class Step:
    fault: str
    job: str
    exit: int
    message: str = ""  # the one line in the console and in the job's log
    args: tuple = ()
    edit: tuple = ()  # (file, change) applied before the run and undone after it
    unwritable: str = ""  # a directory no file can be created in during the run
    full: str = ""  # a directory on a full file system during the run

    @property
    def id(self):
        return f"{self.fault} at {self.job}"

    @property
    def cannot(self):
        """Why this fault cannot be made here, or None."""
        return CANNOT["unwritable"] if self.unwritable else CANNOT["full"] if self.full else None


CHAIN = [
    Step("kill", "ingest", -9, args=("--forcerun", "ingest")),
    Step("bad value in the export", "ingest", 1, f"{EXPORT}, row 10, column 'Q6': unexpected value '7'", edit=(EXPORT, bad_value)),
    Step("kill", "clean", -9),
    Step("an export of one person", "clean", 1,
         "fewer than cleaning.min_respondents (30); the rule that removed the most is 'duplicate' "
         "(Second response from the same person)", edit=(EXPORT, one_person)),
    Step("kill", "tier", -9),
    Step("unwritable output", "tier", 1, f"cannot write {WORK}/tier/respondents.arrow: {DENIED}",
         unwritable=f"{WORK}/tier"),
    Step("kill", "crosstab", -9),
    Step("dry run after a kill", "crosstab", 0, args=("--dry-run",)),
    Step("disk full", "crosstab", 1, f"cannot write {WORK}/crosstab/crosstabs.csv: no space left on device",
         full=f"{WORK}/crosstab"),
    Step("kill", "verify", -9, args=("--forcerun", "verify")),
    Step("a published figure no longer holds", "verify", 1, "F1 (respondents): published 175, computed 174",
         edit=(FIGURES, lambda text: text.replace("{measure: respondents, expect: 174}", "{measure: respondents, expect: 175}"))),
    Step("kill", "charts", -9, args=("--forcerun", "charts")),
    Step("unwritable output", "charts", 1, f"cannot write {WORK}/charts/company_size.svg: {DENIED}",
         unwritable=f"{WORK}/charts"),
    Step("kill", "render", -9),
    Step("unwritable output", "render", 1, f"cannot write {WORK}/report.pdf: {DENIED}", unwritable=WORK),
    Step("kill", "publish", -9),
    Step("unwritable output", "publish", 1, f"cannot write results/.published/{STUDY}/{{slot}}",
         unwritable=f"results/.published/{STUDY}"),
    Step("no fault", "all", 0),
]  # fmt: skip


@pytest.fixture(scope="module")
def chain(build, tmp_path_factory):
    """Each step's exit code, console, job log, published and temporary files, and the work files then."""
    workdir = shutil.copytree(build, tmp_path_factory.mktemp("faults") / "project", symlinks=True)
    # what an interrupted run of the old layout, or of the helper writing every output, leaves
    (workdir / WORK / "report.pdf.tmp").write_bytes(b"%PDF-1.7 half")
    (workdir / WORK / "crosstab" / ".crosstabs.csv.x1y2z3.tmp").write_text("question,")
    seen = {}
    for step in CHAIN:
        if step.cannot:
            continue
        original = None
        if step.edit:
            path, change = step.edit
            original = (workdir / path).read_bytes()
            edit(workdir, path, change)
        if step.unwritable:  # with a file in it, Snakemake does not try to remove the directory after the failure
            (workdir / step.unwritable / "placeholder").write_text("")
            set_writable(workdir / step.unwritable, False)
        if step.fault == "kill":
            (workdir / LOGS / f"{step.job}.log").unlink(missing_ok=True)
        # the published set's other slot, the one publish writes (the killed publish before may have finished)
        message = step.message.format(slot="b" if os.readlink(workdir / RESULTS).endswith("/a") else "a")
        code, console = run(workdir, *step.args, full=step.full, kill_at=step.job if step.fault == "kill" else None)
        if original is not None:
            (workdir / step.edit[0]).write_bytes(original)
        if step.unwritable:
            set_writable(workdir / step.unwritable, True)
            (workdir / step.unwritable / "placeholder").unlink()
        log = workdir / LOGS / f"{step.job}.log"
        seen[step.id] = {
            "exit": code,
            "message": message,
            "console": console,
            "log": log.read_text() if log.exists() else "",
            "published": digests(workdir / RESULTS),
            "work": digests(workdir / WORK),
            "temporary": temporary_files(workdir),
        }
    return seen


@pytest.mark.parametrize("step", CHAIN, ids=[step.id for step in CHAIN])
def test_a_fault_leaves_the_published_set_as_it_was(chain, reference, step):
    if step.cannot:
        pytest.skip(step.cannot)
    seen = chain[step.id]
    assert seen["exit"] == step.exit, seen["console"][-3000:]
    assert seen["published"] == reference["published"]
    if seen["message"]:
        assert seen["message"] in seen["console"] and seen["message"] in seen["log"], seen["console"][-3000:]
        lines = [line for line in seen["log"].splitlines() if seen["message"] in line]
        assert len(lines) == 1 and lines[0].startswith("ERROR surveyreport: ")
    assert "Traceback" not in seen["console"] and "Traceback" not in seen["log"]
    if step.fault != "kill":
        assert seen["temporary"] == []


@pytest.mark.parametrize("step", [s for s in CHAIN if s.fault == "kill"], ids=lambda s: s.job)
def test_the_run_after_a_kill_removes_the_stale_lock_and_gets_past_the_jobs_before(chain, reference, step):
    """The next run needs no --unlock; the jobs up to the killed one ran again to the reference bytes."""
    after = CHAIN[CHAIN.index(step) + 1]
    if after.cannot:
        pytest.skip(after.cannot)
    assert "removed the lock an interrupted run left" in chain[after.id]["console"]
    if step.args:  # forced to run alone: nothing before it ran
        return
    done = [name for job in ORDER[: ORDER.index(step.job)] for name in OUTPUTS[job] if job != "verify"]
    assert {name: chain[step.id]["work"][name] for name in done} == {name: reference["work"][name] for name in done}


def test_a_dry_run_after_a_kill_shows_the_killed_job_again(chain):
    console = chain["dry run after a kill at crosstab"]["console"]
    assert re.search(r"^crosstab\s+1$", console, flags=re.M), console[-2000:]
    assert "Nothing to be done" not in console


def test_the_run_after_the_last_fault_gives_back_every_reference_byte(chain, reference):
    seen = chain["no fault at all"]
    assert seen["published"] == reference["published"]
    assert seen["work"] == reference["work"]


# ----------------------------------------------------------------------------- one fault, one copy


@pytest.mark.parametrize(
    "export, message",
    [
        ("no/such/file.csv", "export no/such/file.csv does not exist"),
        ("data/raw", "export data/raw is a directory, not a file"),
        ("data/raw/export.fifo", "export data/raw/export.fifo is a FIFO (named pipe), not a file"),
    ],
    ids=["missing", "directory", "fifo"],
)
def test_an_export_that_is_not_a_file_stops_the_run_before_any_job(built, reference, export, message):
    os.mkfifo(built / "data" / "raw" / "export.fifo")
    code, console = run(built, "--config", f"export={export}")
    assert code == 1
    assert console.splitlines()[-1] == message and "Traceback" not in console
    assert digests(built / RESULTS) == reference["published"]
    code, console = run(built)
    assert code == 0 and "Nothing to be done" in console


def test_a_published_file_changed_by_hand_is_published_again(built, reference):
    (built / RESULTS / "crosstab" / "crosstabs.csv").write_text("edited by hand\n")
    (built / RESULTS / "report.html").unlink()
    code, console = run(built)
    assert code == 0, console[-2000:]
    assert "crosstab/crosstabs.csv was changed or removed since it was published" in console
    assert re.findall(r"^localrule (\w+):$", console, flags=re.M) == ["publish", "all"]
    assert digests(built / RESULTS) == reference["published"]


def test_a_results_directory_of_the_earlier_layout_is_replaced_by_the_link(built, reference):
    published = built / RESULTS
    target = published.resolve()
    published.unlink()
    shutil.copytree(target, published)
    (published / publishing.SUMS).unlink()
    code, console = run(built)
    assert code == 0, console[-2000:]
    assert published.is_symlink()
    assert digests(published) == reference["published"]
    assert sorted(p.name for p in (built / "results" / ".published" / STUDY).iterdir()) == ["a"]


def test_a_deliverable_missing_from_the_work_area_is_made_again(built):
    (built / WORK / "crosstab" / "chisquare.csv").unlink()
    code, console = run(built, "--dry-run")
    assert code == 0
    assert re.search(r"^crosstab\s+1$", console, flags=re.M), console[-2000:]


def test_every_output_has_the_mode_the_umask_gives(build):
    mask = os.umask(0)
    os.umask(mask)
    modes = {str(p): oct(p.stat().st_mode & 0o777) for p in (build / "results").rglob("*") if p.is_file()}
    assert len(modes) > 40
    assert set(modes.values()) == {oct(0o666 & ~mask)}, modes


# ----------------------------------------------------------------------------- the pieces


def test_an_atomic_write_follows_the_umask_and_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    previous = os.umask(0o027)
    try:
        write_atomically(path, lambda tmp: Path(tmp).write_text("new\n"))
    finally:
        os.umask(previous)
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640

    def full(tmp):
        Path(tmp).write_text("par")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(SurveyError, match=f"^cannot write {re.escape(str(path))}: no space left on device$"):
        write_atomically(path, full)
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_an_os_error_in_a_step_is_one_line_in_the_log(tmp_path, capsys):
    log = tmp_path / "logs" / "step.log"

    def step():
        open(tmp_path / "missing" / "input.csv")

    with pytest.raises(SystemExit) as exit:
        run_step(step, log)
    assert exit.value.code == 1
    expected = f"ERROR surveyreport: {tmp_path}/missing/input.csv: no such file or directory\n"
    assert log.read_text() == expected
    assert capsys.readouterr().err == expected


def test_an_input_that_is_not_a_file_is_named_as_what_it_is(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    (tmp_path / "export.csv").write_text("a\n")
    assert file_problem(tmp_path / "export.csv") is None
    assert file_problem(tmp_path / "none.csv") == f"{tmp_path}/none.csv does not exist"
    assert file_problem(tmp_path / "link") == f"{tmp_path}/link does not exist (a symbolic link to a missing file)"
    assert file_problem(tmp_path) == f"{tmp_path} is a directory, not a file"
    assert file_problem(tmp_path / "pipe") == f"{tmp_path}/pipe is a FIFO (named pipe), not a file"
    assert file_problem("/dev/null") == "/dev/null is a character device, not a file"


def test_too_few_respondents_stop_cleaning_naming_the_rule_that_removed_the_most():
    attrition = pd.DataFrame(
        {
            "reason": ["raw", "incomplete", "duplicate", "kept"],
            "label": ["Raw", "Unfinished", "Answered twice", "Valid"],
            "excluded": [0, 12, 49987, 0],
            "remaining": [50000, 49988, 1, 1],
        }
    )
    require_respondents(attrition, 1)
    with pytest.raises(SurveyError) as error:
        require_respondents(attrition, 30)
    assert str(error.value) == (
        "cleaning keeps 1 of 50,000 responses, fewer than cleaning.min_respondents (30); "
        "the rule that removed the most is 'duplicate' (Answered twice): 49,987"
    )


def published_study(tmp_path, files):
    work = tmp_path / "results" / ".work" / "s"
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    return work, tmp_path / "results" / "s"


def test_publishing_replaces_the_whole_set_or_nothing(tmp_path, monkeypatch):
    work, published = published_study(tmp_path, {"report.pdf": "one", "crosstab/crosstabs.csv": "1"})
    names = ["report.pdf", "crosstab/crosstabs.csv"]
    publishing.publish(work, names, published, work / publishing.MANIFEST)
    first = digests(published)
    assert os.readlink(published) == ".published/s/a"
    assert (published / publishing.SUMS).read_text() == (work / publishing.MANIFEST).read_text()
    (work / "report.pdf").write_text("two")
    (work / "crosstab/crosstabs.csv").write_text("2")
    copy = shutil.copyfile
    for fail_at in range(len(names)):
        calls = []

        def failing(source, target, calls=calls, fail_at=fail_at):
            calls.append(source)
            if len(calls) > fail_at:
                raise OSError(errno.ENOSPC, "No space left on device")
            return copy(source, target)

        monkeypatch.setattr(shutil, "copyfile", failing)
        with pytest.raises(SurveyError, match="no space left on device"):
            publishing.publish(work, names, published, work / "manifest")
        assert digests(published) == first
        assert sorted(p.name for p in (tmp_path / "results" / ".published" / "s").iterdir()) == ["a"]
    monkeypatch.setattr(shutil, "copyfile", copy)
    publishing.publish(work, names, published, work / publishing.MANIFEST)
    assert os.readlink(published) == ".published/s/b"
    assert (published / "report.pdf").read_text() == "two"
    assert sorted(p.name for p in (tmp_path / "results" / ".published" / "s").iterdir()) == ["b"]


def test_leftovers_are_removed_only_when_no_other_run_or_job_is_going(tmp_path, monkeypatch):
    monkeypatch.setenv(publishing.RUN_LOCK, "")  # prepare names the lock for the jobs: undone after the test
    work, published = published_study(tmp_path, {"report.pdf": "one"})
    publishing.publish(work, ["report.pdf"], published, work / publishing.MANIFEST)
    snakemake_dir = tmp_path / ".snakemake"
    leftovers = [
        snakemake_dir / "locks" / "0.input.lock",
        work / ".report.pdf.abc.tmp",
        tmp_path / "results" / ".published" / "s" / "b" / "x",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left")
    lock = tmp_path / "results" / ".work" / ".lock"
    other_run = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other_run, fcntl.LOCK_SH)
    try:
        assert len(publishing.prepare(tmp_path / "results", "s", snakemake_dir)) == 1
    finally:
        os.close(other_run)
    # a job whose Snakemake was killed goes on: it holds the lock the run named to it
    step = (
        "import time; from surveyreport.errors import run_step; run_step(lambda: print('running', flush=True) or time.sleep(60))"
    )
    job = subprocess.Popen(
        [sys.executable, "-c", step], env={**os.environ, publishing.RUN_LOCK: str(lock)}, stdout=subprocess.PIPE, text=True
    )
    try:
        assert job.stdout.readline() == "running\n"
        assert publishing.prepare(tmp_path / "results", "s", snakemake_dir) == [
            "another run, or a job of an interrupted one, is still going here: its lock stays until it ends"
        ]
        assert all(path.exists() for path in leftovers)
    finally:
        job.kill()
        job.wait()
    notes = publishing.prepare(tmp_path / "results", "s", snakemake_dir)
    assert len(notes) == 3 and all(note.startswith("removed ") for note in notes), notes
    assert not any(path.exists() for path in leftovers)
    assert (published / "report.pdf").read_text() == "one"
