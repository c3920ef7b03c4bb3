"""The code behind each stage, read from the package's imports, and how the import modules are layered."""

import ast
from pathlib import Path

from surveyreport.sources import stage_sources

from .conftest import ROOT

PACKAGE = ROOT / "src" / "surveyreport"
READERS = {"qualtrics", "surveymonkey", "spss"}


def imports(module: str) -> set[str]:
    """The modules a package module imports anywhere (relative or absolute, at the top or in a function)."""
    found = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module.split(".")[0]} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_ingest_runs_the_registry_every_reader_and_the_parser():
    modules = {Path(path).stem for path in stage_sources(PACKAGE, "ingest")}
    assert READERS | {"platforms", "export", "csvcells", "parse", "identities", "redact"} <= modules
    assert "clean" not in modules


def test_readers_import_only_modules_below_the_registry():
    for reader in READERS:
        assert not imports(reader) & {"platforms", "parse"}, reader
    assert READERS <= imports("platforms")


def test_the_runtime_package_does_not_import_the_generator():
    for path in PACKAGE.glob("*.py"):
        assert not any(name.split(".")[0] == "surveygen" for name in imports(path.stem)), path.name
