import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from surveygen.project import copy_project as copy
from surveyreport.codebook import parse_codebook

ROOT = Path(__file__).resolve().parents[1]
# The modules that take longest, longest first (the SLURM test mostly waits for its cluster, so it starts at once):
# with `--dist loadscope --no-loadscope-reorder` (`make test`, `make test-long`) the first three start at once on
# separate workers, each worker takes the next one when it is nearly done, and the quick modules, collected after
# these, fill the workers' ends. Of the first three in the quick suite, one builds the study while the others wait
# for it (test_benchmark.py) or make builds of their own (test_draft.py).
FIRST = [
    "test_slurm.py",
    "test_faults.py",
    "test_benchmark.py",
    "test_draft.py",
    "test_segments.py",
    "test_diff.py",
    "test_e2e.py",
    "test_report_pdf.py",
    "test_redaction.py",
    "test_own_exports.py",
    "test_rerun.py",
    "test_weights.py",
    "test_second_study.py",
    "test_configuration.py",
    "test_hostile_config.py",
    "test_banners.py",
    "test_findings.py",
]


# The fixtures that build a variant of a study of their own (a whole build each, or the fault chain's run after run,
# beside the shared builds below): their tests are `long`, left out of `make test` and run by `make test-long`,
# which CI runs too.
VARIANT_BUILDS = {
    "test_banners.py": {"untiered", "bannered"},
    "test_diff.py": {"builds"},
    "test_e2e.py": {"broken_claim"},
    "test_faults.py": {"chain"},
    "test_findings.py": {"planted"},
    "test_hostile_config.py": {"hostile"},
    "test_segments.py": {"weighted_segments"},
    "test_weights.py": {"weighted_build"},
}


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: `make check` leaves out every test that needs the build
def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "build" in fixtures:
            item.add_marker(pytest.mark.e2e)
        if fixtures & VARIANT_BUILDS.get(item.path.name, set()):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.long)
    items.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST))


def pytest_report_header(config):
    """pytest-xdist shows no worker's console: the SLURM test's notice is given here, before any test runs."""
    long = "long" in (config.option.markexpr or "long") and "not long" not in config.option.markexpr
    if long and getattr(config.option, "numprocesses", None) and os.geteuid() == 0 and not os.environ.get("SKIP_SLURM"):
        return (
            "test_slurm.py, where it runs, starts munged, slurmctld and slurmd on this machine (installing Debian's "
            "slurm-wlm and munge with apt-get if missing); stopped when the test ends; SKIP_SLURM=1 skips this"
        )
    return None


@pytest.fixture
def codebook():
    """A three-question survey: a screener, a rating with "don't know", a multi-select."""
    return parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [
                {
                    "id": "role",
                    "column": "Q1",
                    "import_id": "QID1",
                    "type": "single",
                    "text": "Role?",
                    "choices": [
                        {"code": 1, "id": "lead", "label": "Lead"},
                        {"code": 2, "id": "out", "label": "Not responsible"},
                    ],
                },
                {
                    "id": "rating",
                    "column": "Q2",
                    "import_id": "QID2",
                    "type": "rating",
                    "text": "How effective?",
                    "choices": [
                        {"code": 1, "id": "high", "label": "Very effective"},
                        {"code": 2, "id": "mid", "label": "Effective"},
                        {"code": 3, "id": "low", "label": "Ineffective"},
                        {"code": 9, "id": "dk", "label": "Don't know", "nonsubstantive": True},
                    ],
                },
                {
                    "id": "tools",
                    "column": "Q3",
                    "import_id": "QID3",
                    "type": "multi",
                    "text": "Which tools?",
                    "choices": [
                        {"code": 1, "id": "mobile", "label": "Mobile"},
                        {"code": 2, "id": "games", "label": "Games"},
                        {"code": 3, "id": "other", "label": "Other", "text": True},
                    ],
                },
            ],
        },
        source="test codebook",
    )


TIERS = {
    "question": "rating",
    "levels": [
        {"id": "top", "label": "Top", "choices": ["high"]},
        {"id": "rest", "label": "Rest", "choices": ["mid", "low"]},
    ],
}


@pytest.fixture
def tiers():
    return TIERS


def answers(rows, codebook):
    """A tidy frame from (rating, ticked tools or None) pairs: everyone a lead."""
    records = []
    for i, (rating, tools) in enumerate(rows):
        record = {"response_id": f"R_{i}", "role": "lead", "rating": rating}
        for choice in ("mobile", "games", "other"):
            record[f"tools.{choice}"] = None if tools is None else choice in tools
        record["tools.other_text"] = None
        records.append(record)
    frame = pd.DataFrame(records)
    frame["rating"] = frame["rating"].astype(pd.CategoricalDtype(["high", "mid", "low", "dk"]))
    for choice in ("mobile", "games", "other"):
        frame[f"tools.{choice}"] = frame[f"tools.{choice}"].astype("boolean")
    frame["tools.other_text"] = frame["tools.other_text"].astype("string")
    return frame


STATISTICS = {
    "confidence": 0.95,
    "alpha": 0.05,
    "correction": "holm",
    "family": "table",
    "min_base": 30,
    "caution_base": 50,
    "chi_square_simulations": 10_000,
}


# ----------------------------------------------------------------------------- whole-workflow runs

RESULTS = "results/sales-training-2012"  # published when a whole run succeeds
WORK = "results/.work/sales-training-2012"  # where the jobs write
LOGS = "logs/sales-training-2012"


def snakemake(workdir, *args, env=None):
    command = [sys.executable, "-m", "snakemake", "--cores", "4", *args]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env)


@pytest.fixture(scope="session", autouse=True)
def temporary_directory(tmp_path_factory):
    """Every process the tests start keeps its temporary files in the test run's own folder (a build the fault tests
    kill leaves its temporary files there, not in the system's, and pytest removes old runs' folders)."""
    folder = tmp_path_factory.mktemp("tmp")
    os.environ["TMPDIR"] = str(folder)
    yield folder


def temporaries(folder):
    """The temporary directory of the build at ``folder`` (``built_project``), beside it."""
    return folder.with_name(f"{folder.name}.tmp")


def copy_project(target):
    return copy(ROOT, target)


def made_once(tmp_path_factory, name, make):
    """The folder ``name``, made by ``make(folder)`` once per test run and shared by the pytest-xdist workers.

    The first process to ask makes it while holding a lock; the others wait for it and then use it.
    Tests treat it as read-only: a test that changes files copies it first (``shutil.copytree``).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's temporary folder, above each worker's own
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            make(folder)
            done.touch()
    return folder


def built_project(folder):
    """Build the study in a fresh copy of the project at ``folder``, with a temporary directory of its own
    (``temporaries``), for the test that the build leaves nothing in it."""
    scratch = temporaries(folder)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    run = snakemake(copy_project(folder), env={**os.environ, "TMPDIR": str(scratch)})
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """The study built once, in a temporary copy of the project (shared by every test and worker: never changed)."""
    return made_once(tmp_path_factory, "project", built_project)


def studies_side_by_side(build):
    """Make ``folder``: a copy of the built first study in which the second study is then built."""

    def make(folder):
        shutil.copytree(build, folder, symlinks=True)
        run = snakemake(folder, "--config", "study=onboarding-2025")
        assert run.returncode == 0, run.stderr[-3000:]

    return make


@pytest.fixture(scope="session")
def two_studies(build, tmp_path_factory):
    """Both studies built in one project, the second after the first (shared, never changed)."""
    return made_once(tmp_path_factory, "two-studies", studies_side_by_side(build))


def digests(folder):
    """Every file under ``folder``: its path there and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# The first study's segments by headquarters region (one of them too small for a report of its own).
SEGMENTS = {
    "question": "region",
    "label": "headquarters region",
    "groups": [
        {"id": "north_america", "label": "North America", "choices": ["north_america"]},
        {"id": "europe", "label": "Europe", "choices": ["europe"]},
        {"id": "rest_of_world", "label": "Rest of the world", "choices": ["asia_pacific", "latin_america", "middle_east_africa"]},
    ],
}


def with_segments_block(workdir, segments=SEGMENTS):
    """The first study's config.yaml in ``workdir`` given a segments block."""
    path = workdir / "config" / "sales-training-2012" / "config.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + yaml.safe_dump({"segments": segments}, sort_keys=False))


@pytest.fixture(scope="session")
def segmented_build(build, tmp_path_factory):
    """A copy of the built study, given segments by region, built again (once per test run, shared like ``build``)."""

    def make(folder):
        shutil.copytree(build, folder, symlinks=True)
        with_segments_block(folder)
        run = snakemake(folder)
        assert run.returncode == 0, run.stderr[-3000:]

    return made_once(tmp_path_factory, "segmented", make)


def pdf_text_of(path):
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def output_text(path):
    """The text of an output file as a search for personal data must see it: Arrow tables decoded."""
    path = Path(path)
    if path.suffix == ".arrow":
        return pd.read_feather(path).to_csv(index=False)
    return path.read_bytes().decode("utf-8", "replace")


def init(root, *args):
    """``surveyreport init`` run as a researcher runs it, in ``root``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "surveyreport.cli", "init", *map(str, args), "--root", str(root)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=False)


@pytest.fixture
def bare_root(tmp_path):
    """A bare project: the schemas a draft is checked against."""
    shutil.copytree(ROOT / "workflow" / "schemas", tmp_path / "workflow" / "schemas")
    return tmp_path
