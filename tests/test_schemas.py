import pandas as pd
import pytest

from surveyreport.codebook import load_codebook
from surveyreport.errors import SurveyError
from surveyreport.platforms import read_export
from surveyreport.schemas import validate, validate_change

from .conftest import ROOT


@pytest.fixture(scope="module")
def study():
    codebook = load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
    return codebook, read_export(ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv", codebook)


def test_the_ingested_export_matches(study):
    codebook, frame = study
    assert validate(frame, codebook, "responses") is not None


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda f: f.assign(RecipientEmail="maria.garcia@example.com"), "RecipientEmail"),
        (lambda f: f.assign(response_id=pd.array(["R_same"] * len(f), dtype="string")), "'response_id'"),
        (lambda f: f.assign(progress=pd.array([150] * len(f), dtype="Int64")), "'progress'"),
        (lambda f: f.assign(meeting=pd.Series(["fortnightly"] * len(f))), "'meeting'"),
        (lambda f: f.drop(columns=["tools.mobile"]), "tools.mobile"),
    ],
)
def test_a_bad_intermediate_is_stopped_with_the_column_named(study, damage, named):
    codebook, frame = study
    with pytest.raises(SurveyError, match="fail their schema") as error:
        validate(damage(frame.copy()), codebook, "the ingested responses")
    assert named in str(error.value)


@pytest.mark.parametrize(
    ("damage", "changed", "named"),
    [
        (lambda f: f.assign(RecipientEmail="maria.garcia@example.com"), [], "RecipientEmail"),  # a column not changed
        (lambda f: f.drop(columns=["tools.mobile"]), [], "tools.mobile"),
        (lambda f: f.assign(status=f["status"].astype("float")), [], "'status'"),  # a type
        (lambda f: f.assign(meeting=pd.Series(["fortnightly"] * len(f))), ["meeting"], "'meeting'"),  # a changed value
    ],
)
def test_a_change_to_a_validated_table_is_stopped_with_the_column_named(study, damage, changed, named):
    codebook, frame = study
    damaged = damage(frame.copy())
    with pytest.raises(SurveyError, match="fail their schema") as error:
        validate_change(damaged, damaged[changed], codebook, "the cleaned respondents")
    assert named in str(error.value)


def test_a_change_checks_the_changed_columns_only(study):
    """The columns left alone hold what was validated before: a stage that changes one column checks that column."""
    codebook, frame = study
    same = frame.assign(response_id=pd.array(["R_same"] * len(frame), dtype="string"))  # would fail, were it checked
    validate_change(same, same[["meeting"]], codebook, "the cleaned respondents")
