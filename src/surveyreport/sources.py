"""The package's source files behind each stage, read from its imports, so that an edit reruns
exactly the stages that use the edited module.

A stage is a function of ``stages.py``; its sources are ``stages.py``, the modules that file
imports at its top, the modules the stage's function imports, and, in turn, every module
those import anywhere (at the top or inside a function: conservative, never stale).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def _imported(node: ast.AST, package: str) -> set[str]:
    """Modules of ``package`` imported anywhere under ``node`` (``from .x import y``, ``from . import x``)."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.ImportFrom) and child.level == 1:
            found |= {child.module.split(".")[0]} if child.module else {alias.name for alias in child.names}
        elif isinstance(child, ast.ImportFrom) and child.level == 0 and (child.module or "").startswith(f"{package}."):
            found.add(child.module.split(".")[1])
    return found


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _module_imports(path: Path, package: str) -> frozenset[str]:
    """The package's modules that the module at ``path`` imports (read once per run, shared by the stages)."""
    return frozenset(_imported(_tree(path), package))


def stage_sources(package_dir: str | Path, stage: str) -> list[str]:
    """The source files (sorted paths) that the stage ``stage`` of ``stages.py`` runs."""
    package_dir = Path(package_dir)
    name = package_dir.name
    tree = _tree(package_dir / "stages.py")
    top = {n for statement in tree.body if isinstance(statement, ast.ImportFrom) for n in _imported(statement, name)}
    function = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == stage)
    todo, seen = top | _imported(function, name) | {"__init__"}, {"stages"}
    while todo:
        module = todo.pop()
        path = package_dir / f"{module}.py"
        if module in seen or not path.exists():
            continue
        seen.add(module)
        todo |= _module_imports(path, name)
    return sorted(str(package_dir / f"{module}.py") for module in seen)
