"""The study run through SLURM (profiles/slurm) on a one-node cluster on this machine.

profiles/slurm/localhost-cluster.sh installs Debian's slurm-wlm and munge and starts
slurmctld and slurmd; the workflow then submits every job with sbatch. The test is
skipped where that cannot be done (not root, no apt-get, or the daemons do not start).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import RESULTS, ROOT, copy_project, snakemake

pytestmark = pytest.mark.e2e

SCRIPT = ROOT / "profiles" / "slurm" / "localhost-cluster.sh"
CONF = Path("/etc/slurm/slurm.conf")


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("starting a SLURM cluster needs root (apt-get, slurmctld, slurmd)")
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        pytest.skip("SLURM is not installed and there is no apt-get to install it")
    run = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        subprocess.run(["sh", str(SCRIPT), "stop"], capture_output=True)
        pytest.skip(f"a local SLURM cluster could not be started: {(run.stderr or run.stdout).strip()[-500:]}")
    yield CONF
    subprocess.run(["sh", str(SCRIPT), "stop"], capture_output=True, check=True)
    assert not CONF.exists() and not CONF.is_symlink(), "stopping the cluster leaves no SLURM configuration"


def test_slurm_run_gives_the_local_report_bytes(cluster, build, tmp_path):
    workdir = copy_project(tmp_path / "project")
    run = snakemake(
        workdir,
        "--executor", "slurm",
        "--workflow-profile", "profiles/slurm",
        "--slurm-no-account",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--latency-wait", "5",
    )  # fmt: skip
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", run.stdout + run.stderr)
    assert len(submitted) == 7, "every rule but `all` and `publish` (local rules) is a SLURM job"
    for name in ("report.pdf", "crosstab/crosstabs.csv", "verification.md"):
        assert (workdir / RESULTS / name).read_bytes() == (build / RESULTS / name).read_bytes(), name
