"""Banners: a study without tiers tabulates the total alone; banner breaks beside the tiers."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from surveyreport.crosstab import chi_square_tests, crosstab, pairwise_tests
from surveyreport.scores import scores
from surveyreport.errors import SurveyError
from surveyreport.study import load_study
from surveyreport.tiers import NO_TIERS, assign_tiers

from .conftest import ROOT, STATISTICS, answers, copy_project, pdf_text_of, snakemake

ROWS = [("high", {"mobile"}), ("high", {"mobile", "games"}), ("mid", {"games"}), ("low", None), ("dk", {"mobile"})] * 8


def test_without_tiers_the_crosstab_is_the_total_alone(codebook):
    untiered = assign_tiers(answers(ROWS, codebook), NO_TIERS, codebook)
    assert untiered["tier"].isna().all()
    table = crosstab(untiered, codebook, NO_TIERS, STATISTICS)
    assert set(table["column"]) == {"total"}
    assert (table["letter"] == "").all() and (table["higher_than"] == "").all() and (table["not_tested"] == "").all()
    high = table[(table.question == "rating") & (table.choice == "high")].iloc[0]
    assert (high["count"], high["base"]) == (16, 32)
    assert pairwise_tests(table, NO_TIERS, STATISTICS).empty
    assert chi_square_tests(table, codebook, NO_TIERS, STATISTICS).empty
    scored, tests = scores(untiered, codebook, NO_TIERS, STATISTICS)
    assert tests.empty


# ----------------------------------------------------------------------------- a whole study without tiers


def _compares_tiers(item: dict) -> bool:
    named = [*item.get("values", {}).values(), *item.get("claims", [])]
    return item.get("by") == "tier" or any("tier" in value or "tiers" in value for value in named)


def untiered_copy(folder: Path) -> None:
    """The first study without its tiers: no tiers: block, its tier comparisons and its own template left out."""
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    del config["tiers"]
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    report = yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8"))
    report.pop("template")
    for kind in ("exhibits", "findings", "practices"):
        report[kind] = [item for item in report[kind] if not _compares_tiers(item)]
    (folder / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for name in ("report.html.j2", "published_figures.yaml"):
        (folder / name).unlink()


@pytest.fixture(scope="module")
def untiered(tmp_path_factory):
    workdir = copy_project(tmp_path_factory.mktemp("untiered"))
    shutil.copytree(workdir / "config" / "sales-training-2012", workdir / "config" / "untiered")
    untiered_copy(workdir / "config" / "untiered")
    run = snakemake(workdir, "--config", "study=untiered")
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / "results" / "untiered"


@pytest.mark.e2e
def test_the_first_study_without_tiers_builds_a_total_only_report(untiered):
    crosstabs = pd.read_csv(untiered / "crosstab" / "crosstabs.csv", keep_default_na=False)
    assert set(crosstabs["column"]) == {"total"}
    assert (crosstabs["letter"] == "").all() and (crosstabs["higher_than"] == "").all()
    assert len(pd.read_csv(untiered / "crosstab" / "chisquare.csv")) == 0
    text = pdf_text_of(untiered / "report.pdf")
    assert "No group comparisons" in text and "in total." in text
    assert "Groups are defined" not in text and "A letter marks" not in text
    book = load_workbook(untiered / "crosstab" / "crosstabs.xlsx", read_only=True)
    sheet = book["company_size"]
    header = [cell for cell in next(sheet.iter_rows(min_row=3, max_row=3, values_only=True)) if cell]
    assert header == ["Answer", "Total"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda report: report["exhibits"][0].update(by="tier"), "exhibits[0].by: 'tier', but the study has no tiers"),
        (
            lambda report: report["findings"].append(
                {"id": "x", "heading": "X", "text": "X", "claims": [{"measure": "ratio", "question": "sourcing",
                 "choice": "customized", "tiers": ["very_effective", "ineffective"], "at_least": 2}]}  # fmt: skip
            ),
            "names tier 'very_effective', but the study has no tiers",
        ),
    ],
)
def test_a_comparison_of_tiers_is_refused_without_tiers(tmp_path, edit, message):
    folder = tmp_path / "config" / "untiered"
    shutil.copytree(ROOT / "config" / "sales-training-2012", folder)
    untiered_copy(folder)
    report = yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8"))
    edit(report)
    (folder / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    overrides = {"export": str(ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv")}
    with pytest.raises(SurveyError) as error:
        load_study(tmp_path / "config", "untiered", overrides, ROOT / "workflow" / "schemas")
    assert message in str(error.value) and "\n" not in str(error.value)
