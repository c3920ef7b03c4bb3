"""A copy of the project's files a workflow run needs, for tests and benchmarks that build in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

PROJECT_FILES = ["Snakefile", "config", "data", "environment.yml", "profiles", "report", "src", "workflow"]
# Snakemake's options for a build through profiles/slurm on the one-node cluster of profiles/slurm/localhost-cluster.sh
# (no accounts). The plugin checks the jobs this many seconds after the last one ended, and 10 s later at each check
# that finds none ended: 8 s is longer than most of a study's jobs take on two cores (2 s cost 14 s a job).
LOCAL_SLURM = [
    "--executor", "slurm",
    "--workflow-profile", "profiles/slurm",
    "--slurm-no-account",
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "8",
    "--latency-wait", "5",
]  # fmt: skip


def copy_project(root: str | Path, target: str | Path) -> Path:
    """Copy what a run of the workflow needs from the project at ``root`` into ``target``."""
    root, target = Path(root), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, target / name)
    return target
