"""The study run through SLURM (profiles/slurm) on a one-node cluster on this machine.

profiles/slurm/localhost-cluster.sh installs Debian's slurm-wlm and munge and starts
munged, slurmctld and slurmd; the workflow then submits every job with sbatch. The test says
so on the console before it does; it is skipped where that cannot be done (not root, no
apt-get, or the daemons do not start) and with SKIP_SLURM=1.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from surveygen.project import LOCAL_SLURM

from .conftest import RESULTS, ROOT, copy_project, digests, with_segments_block

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.long,
    pytest.mark.skipif(bool(os.environ.get("SKIP_SLURM")), reason="SKIP_SLURM is set"),
    pytest.mark.skipif(os.geteuid() != 0, reason="starting a SLURM cluster needs root (apt-get, munged, slurmctld, slurmd)"),
    pytest.mark.skipif(
        shutil.which("slurmctld") is None and shutil.which("apt-get") is None,
        reason="SLURM is not installed and there is no apt-get to install it",
    ),
]

SCRIPT = ROOT / "profiles" / "slurm" / "localhost-cluster.sh"
STATE = Path("/run/slurm-localhost")
CONF = Path("/etc/slurm/slurm.conf")
NAMES = ("munged", "slurmctld", "slurmscriptd", "slurmd", "slurmstepd")


def processes():
    """(PID, name) of every munge or SLURM process running on the machine (an ended one not yet reaped is not)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, state = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2]
        if name in NAMES and state not in "ZX":
            found.add((int(stat.parent.name), name))
    return found


def recorded():
    """The daemons the script says it started: name -> PID."""
    return {path.stem: int(path.read_text().split()[0]) for path in STATE.glob("*.started")}


def alive(pid):
    """Whether the process runs (an ended one not yet reaped does not)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


@pytest.fixture(scope="module", autouse=True)
def alone():
    """The script serves one cluster per machine: a start would use another test run's, and a stop end it."""
    if STATE.exists():
        pytest.skip(f"{STATE} exists: a cluster of this script is up (another test run's?); one SLURM test at a time")


@pytest.fixture(scope="module")
def bystanders(tmp_path_factory):
    """Processes named like the cluster's daemons that the script did not start: it must leave them alone."""
    folder = tmp_path_factory.mktemp("bystanders")
    started = []
    for name in ("munged", "slurmctld", "slurmd"):
        shutil.copy(shutil.which("sleep"), folder / name)
        started.append(subprocess.Popen([folder / name, "600"]))
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_a_start_that_fails_part_way_ends_what_it_started(bystanders, tmp_path):
    """A slurmd that ends at once, leaving a process behind: munged and slurmctld, started and recorded, are stopped,
    and so is what slurmd left in its session; nothing else is touched."""
    left = tmp_path / "left.pid"
    fake = tmp_path / "bin" / "slurmd"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {left}\nexit 1\n")
    fake.chmod(0o755)
    before = processes()
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    start = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=300, env=env)
    if re.search(r"SLURM: (munged|slurmctld) ended|installing slurm-wlm and munge failed", start.stderr):
        pytest.skip(f"munged and slurmctld could not be started: {start.stderr.strip()[-500:]}")
    assert start.returncode == 1 and "SLURM: slurmd ended" in start.stderr, start.stdout + start.stderr
    assert "SLURM did not come up" in start.stderr
    assert not alive(int(left.read_text())), "what slurmd left in its session is ended"
    assert not processes() - before, "munged and slurmctld, which did start, are stopped"
    assert all(process.poll() is None for process in bystanders), "processes it did not start still run"
    assert not STATE.exists() and not CONF.exists() and not CONF.is_symlink()


@pytest.fixture(scope="module")
def cluster(pytestconfig, request):
    with pytestconfig.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(
            f"\n{Path(__file__).name}: starting munged, slurmctld and slurmd on this machine "
            "(installing Debian's slurm-wlm and munge with apt-get if missing); stopped when the test ends; "
            "SKIP_SLURM=1 skips this",
            file=sys.stderr,
        )
    request.getfixturevalue("bystanders")
    before = processes()
    run = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        subprocess.run(["sh", str(SCRIPT), "stop"], capture_output=True)
        pytest.skip(f"a local SLURM cluster could not be started: {(run.stderr or run.stdout).strip()[-500:]}")
    yield before
    subprocess.run(["sh", str(SCRIPT), "stop"], capture_output=True, check=True)


def test_start_starts_its_own_daemons_once(cluster, bystanders):
    daemons = recorded()
    assert sorted(daemons) == ["munged", "slurmctld", "slurmd"]
    assert not {process.pid for process in bystanders} & set(daemons.values()), "no process is adopted by name"
    again = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert recorded() == daemons, "a second start starts nothing new"


def test_slurm_run_gives_the_local_bytes_segment_reports_included(cluster, request, tmp_path):
    """The study with segments, built cold through SLURM: every published file is the local build's, byte for byte."""
    workdir = copy_project(tmp_path / "project")
    with_segments_block(workdir)
    command = [sys.executable, "-m", "snakemake", "--cores", "4", *LOCAL_SLURM]
    try:  # a cluster that goes away under it leaves the plugin asking for its jobs' status forever
        run = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired as expired:
        output = (expired.stderr or b"")[-2000:].decode(errors="replace")  # bytes, whatever text= says
        pytest.fail(f"the build through SLURM did not end in 15 minutes: {output}")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    local = request.getfixturevalue("segmented_build")  # the local build, asked for only now: made meanwhile by another worker
    built = (local / RESULTS / "segments" / "segments.csv").read_text(encoding="utf-8").count(",built")
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", run.stdout + run.stderr)
    # every rule but `all` and `publish` (local rules) is a SLURM job: the study's seven, the split (with every
    # segment's crosstabs), every segment's charts, and each built segment's render
    assert built == 2 and len(submitted) == 7 + 1 + 1 + built
    ours, theirs = digests(workdir / RESULTS), digests(local / RESULTS)
    assert sorted(ours) == sorted(theirs) and any(name.startswith("segments/europe/") for name in ours)
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_stop_ends_exactly_what_start_started(cluster, bystanders):
    daemons = recorded()
    stop = subprocess.run(["sh", str(SCRIPT), "stop"], capture_output=True, text=True, timeout=120)
    assert stop.returncode == 0, stop.stderr
    assert not [name for name, pid in daemons.items() if alive(pid)], "every daemon it started is stopped"
    left = {pid for pid, _ in processes() - cluster} - {process.pid for process in bystanders}
    assert not left, "no munge or SLURM process is left that was not running before"
    assert all(process.poll() is None for process in bystanders), "processes it did not start still run"
    assert not STATE.exists(), "no state, spool, key or log is left"
    assert not CONF.exists() and not CONF.is_symlink(), "no SLURM configuration is left"
