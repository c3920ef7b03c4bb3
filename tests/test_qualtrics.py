import pandas as pd
import pytest

from surveyreport.codebook import load_codebook
from surveyreport.errors import SurveyError
from surveyreport.platforms import read_export

from .conftest import ROOT

EXPORT = ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv"


@pytest.fixture(scope="module")
def study_codebook():
    return load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")


def test_reads_the_committed_export_without_pii(study_codebook):
    tidy = read_export(EXPORT, study_codebook)
    raw = pd.read_csv(EXPORT, skiprows=[1, 2], dtype=str)
    assert len(tidy) == len(raw)
    text = tidy.to_csv()
    for email in raw["RecipientEmail"].dropna().head(20):
        assert email not in text
    for ip in raw["IPAddress"].dropna().head(20):
        assert ip not in text
    assert not {"RecipientEmail", "IPAddress", "LocationLatitude"} & set(tidy.columns)


def test_identity_groups_link_the_same_email(study_codebook):
    tidy = read_export(EXPORT, study_codebook)
    raw = pd.read_csv(EXPORT, skiprows=[1, 2], dtype=str, keep_default_na=False)
    same_email = raw["RecipientEmail"].ne("") & raw["RecipientEmail"].duplicated(keep=False)
    assert same_email.any()
    groups = tidy.loc[same_email.to_numpy(), "identity_group"]
    emails = raw.loc[same_email, "RecipientEmail"]
    assert groups.groupby(emails.to_numpy()).nunique().eq(1).all()


def write_rows(tmp_path, mutate):
    lines = EXPORT.read_text(encoding="utf-8").splitlines()
    lines = mutate(lines)
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_unknown_answer_code_names_file_row_and_column(tmp_path, study_codebook):
    def bad_code(lines):
        header = lines[0].split(",")
        cells = lines[5].split(",")
        cells[header.index("Q6")] = "7"
        lines[5] = ",".join(cells)
        return lines

    path = write_rows(tmp_path, bad_code)
    with pytest.raises(SurveyError) as error:
        read_export(path, study_codebook)
    message = str(error.value)
    assert str(path) in message and "row 6" in message and "'Q6'" in message and "'7'" in message


def test_missing_column_is_named(tmp_path, study_codebook):
    path = write_rows(
        tmp_path, lambda lines: [line.replace("Q9,", "Q9x,", 1) if i == 0 else line for i, line in enumerate(lines)]
    )
    with pytest.raises(SurveyError, match="required column\\(s\\) missing: Q9"):
        read_export(path, study_codebook)


def test_empty_file(tmp_path, study_codebook):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SurveyError, match="the file is empty"):
        read_export(path, study_codebook)
