"""Malformed exports and the message a user gets for each: clear, located, no traceback."""

import logging
import re

import pytest

from surveyreport.codebook import load_codebook
from surveyreport.errors import SurveyError
from surveyreport.platforms import read_export

from .conftest import ROOT

EXPORT = ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv"
REAL = ROOT / "tests" / "data" / "real-exports"


def lines(text):
    return text.split("\n")


def set_cell(column, row, value):
    """Change one cell (row counted as in the file, header rows included)."""

    def mutate(text):
        rows = lines(text)
        header = rows[0].split(",")
        cells = rows[row - 1].split(",")
        cells[header.index(column)] = value
        rows[row - 1] = ",".join(cells)
        return "\n".join(rows)

    return mutate


def rename(old, new):
    return lambda text: "\n".join([lines(text)[0].replace(old, new, 1)] + lines(text)[1:])


# (case, how the export is damaged, what the message must say)
CASES = [
    ("empty file", lambda t: "", "the file is empty"),
    ("header rows only", lambda t: "\n".join(lines(t)[:3]) + "\n", "header rows but no responses"),
    ("a header row missing", lambda t: "\n".join(lines(t)[:1] + lines(t)[2:]), "row 3: row 3 does not hold ImportId JSON"),
    ("semicolons", lambda t: t.replace(",", ";"), "separated by something other than commas"),
    ("tabs", lambda t: t.replace(",", "\t"), "separated by something other than commas"),
    ("truncated last line", lambda t: t.rstrip("\n")[:-60], "fewer than the header (is the file truncated?)"),
    (
        "a blank line between responses",
        lambda t: "\n".join(lines(t)[:8] + [""] + lines(t)[8:]),
        "row 9, column 'ResponseId': the response ID is blank",
    ),
    ("a row with a field too many", set_cell("Q16", 10, "x,extra,y,z"), "row 10: the row has 85 fields, more than the header"),
    # the repeated ID's ImportId tells the codebook's column apart: the other is ignored, and Q9 is missing
    ("a repeated column ID told apart by its ImportId", rename("Q9,", "Q8_1,"), "required column(s) missing: Q9"),
    (
        "a required column missing",
        rename("Duration (in seconds)", "Time taken"),
        "required column(s) missing: Duration (in seconds)",
    ),
    ("an answer code not in the codebook", set_cell("Q6", 10, "7"), "row 10, column 'Q6': unexpected value '7'"),
    ("a choice label not in the codebook", set_cell("Q3", 10, "Huge"), "row 10, column 'Q3': unexpected value 'Huge'"),
    ("a multi-select cell that is not a tick", set_cell("Q12_2", 10, "2"), "row 10, column 'Q12_2': unexpected value '2'"),
    (
        "a non-numeric duration",
        set_cell("Duration (in seconds)", 12, "9m"),
        "row 12, column 'Duration (in seconds)': cannot read '9m' as a whole number",
    ),
    (
        "an unparseable date",
        set_cell("StartDate", 8, "07/05/2012 10:00"),
        "row 8, column 'StartDate': cannot read '07/05/2012 10:00' as a date",
    ),
    ("an unknown status word", set_cell("Status", 9, "Bogus"), "row 9, column 'Status': cannot read 'Bogus'"),
    ("finished neither yes nor no", set_cell("Finished", 9, "yes"), "row 9, column 'Finished': unexpected value 'yes'"),
    (
        "Excel-mangled response IDs",
        set_cell("ResponseId", 6, "1.18874E+11"),
        "row 6, column 'ResponseId': response ID '1.18874E+11' was turned into a number",
    ),
    ("a blank response ID", set_cell("ResponseId", 7, ""), "row 7, column 'ResponseId': the response ID is blank"),
    ("a questionnaire that does not match", rename(",Q1,", ",X1,"), "required column(s) missing: Q1"),
    (
        "an export of another survey",
        lambda t: t.replace(",Q", ",Z"),
        "question columns the codebook names are missing: is this an export of another survey?",
    ),
    ("a 100 MB single field", set_cell("Q16", 11, "x" * 100_000_000), "row 11: a field longer than 131,072 characters"),
    (
        "a 120,000-character answer",
        set_cell("Q16", 11, "x" * 120_000),
        "row 11, column 'Q16': a text answer of 120,000 characters",
    ),
    (
        "a 110,000-character answer of two-byte letters",
        set_cell("Q16", 11, "é" * 110_000),
        "row 11, column 'Q16': a text answer of 110,000 characters",
    ),
]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")


@pytest.mark.parametrize(("case", "damage", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_export_gets_a_located_message(tmp_path, codebook, case, damage, message):
    path = tmp_path / "export.csv"
    path.write_text(damage(EXPORT.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(SurveyError) as error:
        read_export(path, codebook)
    text = str(error.value)
    assert text.startswith(str(path)) and message in text and "Traceback" not in text


def test_an_answer_of_more_bytes_than_the_limit_in_characters_but_fewer_characters_is_read(tmp_path, codebook):
    path = tmp_path / "export.csv"
    path.write_text(set_cell("Q16", 11, "é" * 60_000)(EXPORT.read_text(encoding="utf-8")), encoding="utf-8")
    assert "é" * 60_000 in read_export(path, codebook)["comment"].dropna().tolist()


def test_a_file_resaved_by_excel_as_windows_1252_is_located_and_explained(tmp_path, codebook):
    """Excel's "CSV (Comma delimited)" writes Windows-1252: the message names the cell, the encoding and the fix."""
    path = tmp_path / "export.csv"
    text = set_cell("Q16", 12, "L’équipe de vente décide")(EXPORT.read_text(encoding="utf-8"))
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(SurveyError) as error:
        read_export(path, codebook)
    assert str(error.value) == (
        f"{path}, row 12, column 'Q16': the text 'L’équipe de vente décide' is not UTF-8: the file looks like "
        "Windows-1252, as Excel saves 'CSV (Comma delimited)' (expected UTF-8 text in a Qualtrics CSV export: "
        "re-export it from the survey platform as UTF-8, or in Excel Save As > 'CSV UTF-8 (Comma delimited)')"
    )


def test_other_legacy_encodings_and_utf16_are_named(tmp_path, codebook):
    path = tmp_path / "export.csv"
    text = set_cell("Q16", 9, "Größe")(EXPORT.read_text(encoding="utf-8"))
    path.write_bytes(text.encode("latin-1").replace("Größe".encode("latin-1"), b"Gr\x81\xdfe"))  # 0x81: no Windows-1252 character
    message = "row 9, column 'Q16': the text 'Gr\\x81ße' is not UTF-8: the file looks like a legacy 8-bit encoding"
    with pytest.raises(SurveyError, match=re.escape(message)):
        read_export(path, codebook)
    path.write_bytes(EXPORT.read_bytes().decode("utf-8").encode("utf-16"))
    with pytest.raises(SurveyError, match="the file is UTF-16 text"):
        read_export(path, codebook)


def test_an_unknown_column_is_a_warning_not_an_error(tmp_path, codebook, caplog):
    rows = lines(EXPORT.read_text(encoding="utf-8"))
    rows = [row + (",Q99" if i == 0 else ',"{""ImportId"":""QID99""}"' if i == 2 else ",x") for i, row in enumerate(rows) if row]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="surveyreport"):
        frame = read_export(path, codebook)
    assert len(frame) == len(rows) - 3
    assert "1 column(s) the codebook does not know are ignored: Q99" in caplog.text


def test_an_export_of_another_survey_in_another_layout_is_named(codebook):
    """The legacy sample reads as a legacy export, but it is not this questionnaire."""
    with pytest.raises(SurveyError, match="question columns the codebook names are missing: is this an export of another survey"):
        read_export(REAL / "qualtrics-legacy-sample.csv", codebook)
