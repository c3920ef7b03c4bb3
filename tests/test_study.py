"""A study is a folder; what its files refer to in each other is checked before any job runs."""

import shutil

import pytest
import yaml

from surveyreport.errors import SurveyError
from surveyreport.study import folder_of, load_study

from .conftest import ROOT

SCHEMAS = ROOT / "workflow" / "schemas"
FIRST = ROOT / "config" / "sales-training-2012"


def edited(tmp_path, file, change):
    """A copy of the first study with one of its YAML files changed; the config folder holding it."""
    root = tmp_path / "config"
    shutil.copytree(FIRST, root / "study")
    path = root / "study" / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def drop(mapping, key):
    del mapping[key]


CASES = [
    (
        "report.yaml",
        lambda r: drop(r["style"]["palette"], "ineffective"),
        "report.yaml: style.palette: no entry for ineffective (every tier needs one)",
    ),
    (
        "report.yaml",
        lambda r: drop(r["style"]["hatches"], "effective"),
        "report.yaml: style.hatches: no entry for effective (every tier needs one)",
    ),
    (
        "report.yaml",
        lambda r: r["exhibits"][1].update(question="efectiveness"),
        "report.yaml: exhibits[1].question: 'efectiveness' is not a question of the codebook",
    ),
    (
        "report.yaml",
        lambda r: r["exhibits"][1].update(question="comment"),
        "report.yaml: exhibits[1].question: 'comment' is an open question; a closed one is needed",
    ),
    (
        "report.yaml",
        lambda r: r["findings"][2]["values"]["ratio"].update(choice="bespoke"),
        "report.yaml: findings[2].values[0]: 'bespoke' is not a choice of 'sourcing'",
    ),
    (
        "report.yaml",
        lambda r: r["findings"][2]["claims"][0].update(tiers=["very_effective", "poor"]),
        "report.yaml: findings[2].claims[0]: 'poor' is not a tier (effective, ineffective, very_effective)",
    ),
    (
        "report.yaml",
        lambda r: r["exhibits"][2]["claims"][0].update(question="sorcing"),
        "report.yaml: exhibits[2].claims[0].question: 'sorcing' is not a question",
    ),
    (
        "config.yaml",
        lambda c: c["tiers"]["levels"][2]["choices"].append("useless"),
        "config.yaml: tiers.levels[2].choices: 'useless' is not a choice of 'effectiveness'",
    ),
    (
        "config.yaml",
        lambda c: c["tiers"].update(question="rating"),
        "config.yaml: tiers.question: 'rating' is not a question of the codebook",
    ),
    (
        "config.yaml",
        lambda c: c["cleaning"]["recode_other"][0].update(to="value_prop"),
        "config.yaml: cleaning.recode_other[0].to: 'value_prop' is not a choice of 'initiative'",
    ),
    (
        "config.yaml",
        lambda c: c["cleaning"]["exclusions"][2].update(choices=["not_responsible", "retired"]),
        "config.yaml: cleaning.exclusions[2].choices: 'retired' is not a choice of 'role'",
    ),
    (
        "published_figures.yaml",
        lambda f: f[3]["checks"][0].update(choices=["very_effective", "efective"]),
        "published_figures.yaml: [3].checks[0]: 'efective' is not a choice of 'effectiveness'",
    ),
]


@pytest.mark.parametrize(("file", "change", "message"), CASES, ids=[c[2].split(": ", 1)[1][:40] for c in CASES])
def test_a_reference_to_what_does_not_exist_is_one_line(tmp_path, file, change, message):
    root = edited(tmp_path, file, change)
    with pytest.raises(SurveyError) as error:
        load_study(root, "study", {}, SCHEMAS)
    text = str(error.value)
    assert text.startswith(f"{root / 'study' / file.split(': ')[0]}: ") and "\n" not in text
    assert message.split(": ", 1)[1] in text


def test_several_problems_are_counted_after_the_first(tmp_path):
    root = edited(
        tmp_path, "report.yaml", lambda r: (drop(r["style"]["palette"], "ineffective"), drop(r["style"]["hatches"], "effective"))
    )
    with pytest.raises(SurveyError, match=r"every tier needs one\) \(and 1 more\)$"):
        load_study(root, "study", {}, SCHEMAS)


def test_command_line_values_win_over_the_study_configuration():
    study = load_study(ROOT / "config", "sales-training-2012", {"export": "other.csv", "statistics": {"alpha": 0.01}}, SCHEMAS)
    assert study.config["export"] == "other.csv"
    assert study.config["statistics"]["alpha"] == 0.01 and study.config["statistics"]["min_base"] == 30


@pytest.mark.parametrize("name", ["no-such-study", "../config", "Sales", None])
def test_a_name_that_is_no_study_folder_lists_the_studies(name):
    with pytest.raises(
        SurveyError,
        match=r"a study is a folder .*config/NAME/ holding config.yaml \(studies here: onboarding-2025, sales-training-2012\)",
    ):
        folder_of(ROOT / "config", name)


def test_nothing_is_inherited_from_another_study():
    first = load_study(ROOT / "config", "sales-training-2012", {}, SCHEMAS)
    second = load_study(ROOT / "config", "onboarding-2025", {}, SCHEMAS)
    assert second.config["about"]["title"] != first.config["about"]["title"]
    assert second.figures is None and second.templates == [] and first.templates == [FIRST / "report.html.j2"]
