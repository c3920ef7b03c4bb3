"""The project's own conventions: pins in step, workflow formatted."""

import re
import subprocess
import sys

import pytest

from .conftest import ROOT


def pins(text):
    return dict(re.findall(r"^\s*(?:- )?([A-Za-z0-9_.\-]+)==([^\s]+)\s*$", text, flags=re.M))


def test_environment_yml_and_lock_file_pin_the_same_versions():
    lock = pins((ROOT / "requirements.lock").read_text())
    conda = pins((ROOT / "environment.yml").read_text())
    assert lock and lock == conda


def test_pyproject_pins_agree_with_the_lock_file():
    lock = {k.lower(): v for k, v in pins((ROOT / "requirements.lock").read_text()).items()}
    declared = re.findall(r'"([A-Za-z0-9_.\-]+)==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert declared
    for name, version in declared:
        assert lock.get(name.lower()) == version, name


def test_snakefmt_check_passes():
    run = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("study", [[], ["--config", "study=onboarding-2025"]], ids=["first", "second"])
def test_snakemake_lint_reports_nothing(study):
    run = subprocess.run([sys.executable, "-m", "snakemake", "--lint", *study], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and "your workflow is in a good condition" in run.stdout + run.stderr, run.stdout + run.stderr
