"""A copy of the project's files a workflow run needs, for tests and benchmarks that build in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

PROJECT_FILES = ["Snakefile", "config", "data", "environment.yml", "profiles", "report", "src", "workflow"]


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
