"""A configuration file that is missing, not YAML, or breaks its schema stops the workflow with one line.

Each case runs ``snakemake -n`` on a copy of the project, on a study folder in which one file
is bad: the run fails, its console output has one ``Error:`` line naming the file and what is
wrong, no traceback, and nothing of a secret-looking file put in its place.
"""

import shutil

import pytest

from surveyreport.configuration import load_yaml, validate
from surveyreport.errors import SurveyError

from .conftest import ROOT, copy_project, snakemake

SCHEMAS = ROOT / "workflow" / "schemas"
# Lines like /etc/shadow's: a wrong path must not print them.
SECRET = "root:$6$Xq3bZ$SECRETHASHrootK9vLw2mN8pQ4rT6yU1iO3aS5dF7gH9jK:19000:0:99999:7:::\n" + (
    "alice:$6$Pz8cY$SECRETHASHaliceB2nM4vC6xZ8lK0jH2gF4dS6aP8oI0uY:19000:0:99999:7:::\n"
)
BROKEN = "exhibits: [1, 2\nstyle: {}\n"


def write(folder, kind):
    """A bad configuration file of one kind; its path."""
    path = folder / f"{kind}.yaml"
    if kind == "secret":
        path.write_text(SECRET, encoding="utf-8")
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    elif kind == "empty":
        path.write_text("", encoding="utf-8")
    elif kind == "directory":
        path.mkdir()
    elif kind == "tag":
        path.write_text('questions: !!python/object/apply:os.system ["id"]\n', encoding="utf-8")
    elif kind == "syntax":
        path.write_text(BROKEN, encoding="utf-8")
    elif kind == "schema":
        report = (ROOT / "config" / "sales-training-2012" / "report.yaml").read_text(encoding="utf-8")
        edited = report.replace("by: tier\n", "by: tiers\n", 1)  # exhibits[5]
        assert edited != report
        path.write_text(edited, encoding="utf-8")
    return path  # "missing": not written


WHAT = {"codebook": "the codebook", "report": "the report configuration", "published_figures": "the published figures"}
PROBLEMS = {
    "secret": {
        "codebook": "'survey' is a required property",
        "report": "'style' is a required property",
        "published_figures": "expected a list, found a mapping",
    },
    "binary": "not UTF-8 text (byte 0x89 at offset 0), not YAML",
    "empty": "empty",
    "directory": "a directory, not a YAML file",
    "missing": "no such file",
}
FILES = [
    pytest.param(key, kind, problem if isinstance(problem, str) else problem[key], id=f"{key}-{kind}")
    for key in WHAT
    for kind, problem in PROBLEMS.items()
    if (key, kind) != ("published_figures", "missing")  # a study may publish no figures
]
YAML = [
    ("codebook", "tag", "not valid YAML: line 1, column 12: the tag '!!python/object/apply:os.system' is not allowed"),
    (
        "report",
        "syntax",
        "not valid YAML: line 2, column 6: did not find expected ',' or ']'"
        " (while parsing a flow sequence from line 1, column 11)",
    ),
    ("report", "schema", "exhibits[5].by: 'tiers' is not one of ['total', 'tier']"),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("project"))


def study_with(project, name, key, kind):
    """A copy of the first study, config/NAME/, with its file ``key`` replaced by a bad one of ``kind``."""
    folder = project / "config" / name
    shutil.copytree(project / "config" / "sales-training-2012", folder)
    target = folder / f"{key}.yaml"
    target.unlink()
    bad = write(folder, kind)
    if kind != "missing":
        bad.rename(target)
    return f"config/{name}/{key}.yaml"


def fails_with(run, line):
    """The run failed with this one error line and nothing else a user should not see."""
    console = run.stdout + run.stderr
    assert run.returncode != 0
    assert [text for text in console.splitlines() if text.startswith("Error")] == [line], console[-3000:]
    assert "Traceback" not in console
    assert "SECRETHASH" not in console
    assert not any(secret in console for secret in SECRET.splitlines())


def load_fails_with(project, name, monkeypatch):
    """The line the workflow exits with when it loads the study ``name`` (as common.smk loads it)."""
    from surveyreport.configuration import exit_on_error
    from surveyreport.study import load_study

    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited, exit_on_error():
        load_study("config", name, {}, str(SCHEMAS))
    return exited.value.code


@pytest.mark.parametrize(("key", "kind", "problem"), FILES + YAML)
def test_a_bad_file_is_one_line_naming_it(project, key, kind, problem, monkeypatch):
    name = f"bad-{key}-{kind}".replace("_", "-")
    path = study_with(project, name, key, kind)
    line = load_fails_with(project, name, monkeypatch)
    assert line == f"Error: {WHAT[key]} {path}: {problem}"
    assert "SECRETHASH" not in line


@pytest.mark.parametrize(("key", "kind"), [("codebook", "secret"), ("report", "syntax"), ("published_figures", "binary")])
def test_snakemake_shows_a_bad_file_in_that_one_line_alone(project, key, kind, monkeypatch):
    """Through Snakemake itself: the console holds that line and no traceback, for each file of a study."""
    name = f"shown-{key}-{kind}".replace("_", "-")
    study_with(project, name, key, kind)
    run = snakemake(project, "-n", "--config", f"study={name}")
    fails_with(run, load_fails_with(project, name, monkeypatch))


def test_a_study_that_is_not_a_folder_is_one_line_naming_the_studies(project):
    run = snakemake(project, "-n", "--config", "study=no-such-study")
    assert run.returncode != 0
    assert "Error: no study 'no-such-study': a study is a folder config/NAME/ holding config.yaml (studies here: " in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_a_study_configuration_breaking_the_schema_is_one_line_naming_the_key(project):
    folder = project / "config" / "bad-about"
    shutil.copytree(project / "config" / "sales-training-2012", folder)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("about:\n", "about:\n  name: Sales Training\n", 1), encoding="utf-8"
    )
    run = snakemake(project, "-n", "--config", "study=bad-about")
    fails_with(
        run,
        "Error: the study configuration config/bad-about/config.yaml: about: unexpected key 'name';"
        " expected keys: title, subtitle, population, publisher, sponsors, mode, recruitment, disclosure, data_source",
    )


def test_a_configfile_that_is_not_yaml_is_stopped_by_snakemake_without_a_traceback(project, tmp_path):
    """Snakemake reads --configfile before the workflow runs: its own message, which names no file."""
    run = snakemake(project, "-n", "--configfile", str(write(tmp_path, "syntax")))
    console = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in console
    assert "Config file is not valid JSON or YAML" in console


@pytest.mark.xfail(strict=True, reason="Snakemake shows a traceback for a --configfile it cannot open or decode")
@pytest.mark.parametrize("kind", ["directory", "missing", "binary"])
def test_a_configfile_snakemake_cannot_read_is_shown_with_a_traceback(project, tmp_path, kind):
    run = snakemake(project, "-n", "--configfile", str(write(tmp_path, kind)))
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr


# ----------------------------------------------------------------------------- the functions behind it


def test_a_long_value_is_quoted_in_part():
    report = load_yaml(ROOT / "config" / "sales-training-2012" / "report.yaml")
    report["exhibits"][0]["by"] = "x" * 500
    with pytest.raises(SurveyError, match=r"^report.yaml: exhibits\[0\]\.by: 'x{58}… is not one of \['total', 'tier'\]$"):
        validate(report, SCHEMAS / "report.schema.yaml", "report.yaml")


def test_keys_that_are_not_names_are_not_quoted():
    config = load_yaml(ROOT / "config" / "sales-training-2012" / "config.yaml") | {line: None for line in SECRET.splitlines()}
    with pytest.raises(SurveyError, match=r"^cfg: unexpected keys that are not names; expected keys: about, ") as error:
        validate(config, SCHEMAS / "config.schema.yaml", "cfg")
    assert "SECRETHASH" not in str(error.value)


def test_validation_fills_in_defaults():
    config = load_yaml(ROOT / "config" / "sales-training-2012" / "config.yaml")
    del config["export_format"]
    validate(config, SCHEMAS / "config.schema.yaml", "config.yaml")
    assert config["export_format"] == "auto"


@pytest.mark.parametrize("study", ["sales-training-2012", "onboarding-2025"])
def test_the_shipped_studies_hold_to_their_schemas_and_refer_to_what_exists(study):
    from surveyreport.study import load_study

    loaded = load_study(ROOT / "config", study, {}, SCHEMAS)
    assert loaded.codebook == ROOT / "config" / study / "codebook.yaml"
    assert (loaded.figures is not None) == (study == "sales-training-2012")
