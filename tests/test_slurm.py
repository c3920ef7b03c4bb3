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

from .conftest import RESULTS, ROOT, copy_project, snakemake

pytestmark = [
    pytest.mark.e2e,
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
NAMES = ("munged", "slurmctld", "slurmd", "slurmstepd")


def processes():
    """(PID, name) of every munge or SLURM daemon running on the machine."""
    found = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue  # ended meanwhile
        if name in NAMES:
            found.add((int(comm.parent.name), name))
    return found


def recorded():
    """The daemons the script says it started: name -> PID."""
    return {path.stem: int(path.read_text().split()[0]) for path in STATE.glob("*.started")}


def alive(pid):
    return Path(f"/proc/{pid}").exists()


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


def test_slurm_run_gives_the_local_report_bytes(cluster, request, tmp_path):
    workdir = copy_project(tmp_path / "project")
    # The plugin checks the jobs this many seconds after the last one ended, and 10 s later at each check that finds
    # none ended: 8 s is longer than most of this study's jobs take on two cores (2 s cost 14 s a job).
    run = snakemake(
        workdir,
        "--executor", "slurm",
        "--workflow-profile", "profiles/slurm",
        "--slurm-no-account",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "8",
        "--latency-wait", "5",
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", run.stdout + run.stderr)
    assert len(submitted) == 7, "every rule but `all` and `publish` (local rules) is a SLURM job"
    build = request.getfixturevalue("build")  # the local build, asked for only now: made meanwhile by another worker
    for name in ("report.pdf", "crosstab/crosstabs.csv", "verification.md"):
        assert (workdir / RESULTS / name).read_bytes() == (build / RESULTS / name).read_bytes(), name


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
