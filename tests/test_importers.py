"""Each platform's export read into the same tidy table; real platform files read as they are."""

import csv
import logging

import pandas as pd
import pytest
import yaml

from surveygen import writers
from surveygen.generate import Generator
from surveyreport import surveymonkey
from surveyreport.codebook import load_codebook, parse_codebook
from surveyreport.draft import METADATA
from surveyreport.errors import SurveyError
from surveyreport.platforms import detect_platform, read_export
from surveyreport.qualtrics import split_choices

from .conftest import ROOT

REAL = ROOT / "tests" / "data" / "real-exports"
STANDARD_METADATA = {key: column for key, (column, _) in METADATA.items()}  # as the drafter writes them
STANDARD_PII = {
    "email": "RecipientEmail",
    "ip_address": "IPAddress",
    "latitude": "LocationLatitude",
    "longitude": "LocationLongitude",
}


# ----------------------------------------------------------------------------- real exports


@pytest.fixture
def sample_codebook():
    """The questionnaire of the qualtRics sample: one multiple-choice and one free-text question."""
    return parse_codebook(
        {
            "survey": {"metadata": STANDARD_METADATA, "pii": STANDARD_PII},
            "questions": [
                {
                    "id": "choice",
                    "column": "Q1",
                    "import_id": "QID1",
                    "type": "single",
                    "text": "This is a multiple choice question.",
                    "choices": [{"code": n, "id": f"c{n}", "label": f"Choice {n}"} for n in (1, 2, 3)],
                },
                {"id": "free", "column": "Q2", "import_id": "QID2", "type": "text", "text": "This is a free text question."},
            ],
        },
        source="sample codebook",
    )


def test_the_current_and_legacy_samples_read_alike(sample_codebook, caplog):
    with caplog.at_level(logging.WARNING, logger="surveyreport"):
        current = read_export(REAL / "qualtrics-current-sample.csv", sample_codebook)
    assert "column(s) the codebook does not know are ignored: Q2 - Topics" in caplog.text
    legacy = read_export(REAL / "qualtrics-legacy-sample.csv", sample_codebook)
    assert detect_platform(REAL / "qualtrics-legacy-sample.csv") == "qualtrics_legacy"
    assert detect_platform(REAL / "qualtrics-current-sample.csv") == "qualtrics"
    for frame in (current, legacy):
        row = frame.iloc[0]
        assert len(frame) == 1 and row["response_id"] == "R_2YPOQ602ER1jkf1"
        assert (row["status"], row["progress"], bool(row["finished"])) == (0, 100, True)
        assert str(row["start"]) == "2017-07-18 08:28:09"
        assert (row["choice"], row["free"]) == ("c2", "Hello World!")
        assert "130.92.34.66" not in frame.to_csv() and "47.115" not in frame.to_csv()
    assert current.loc[0, "duration"] == 38 and current.loc[0, "language"] == "DE"
    assert legacy.loc[0, "duration"] == 39  # the legacy layout has none: end minus start
    assert pd.isna(legacy.loc[0, "language"])


def test_the_all_question_types_export(caplog):
    """Recoded values, a choice with text entry, split multi-select with -99, test responses."""
    book = parse_codebook(
        {
            "survey": {"metadata": STANDARD_METADATA, "pii": STANDARD_PII},
            "questions": [
                {
                    "id": "fruit",
                    "column": "Q2",
                    "import_id": "QID2",
                    "type": "single",
                    "text": "Fruit?",
                    "choices": [{"code": n, "id": f"f{n}", "label": f"Fruit {n}"} for n in range(1, 8)],
                },
                {
                    "id": "colour",
                    "column": "Q6",
                    "import_id": "QID6",
                    "type": "single",
                    "text": "Colour?",
                    "choices": [
                        {"code": 255, "id": "blue", "label": "Blue"},
                        {"code": 16738740, "id": "pink", "label": "Pink"},
                        {"code": 16753920, "id": "orange", "label": "Orange"},
                        {"code": 16776960, "id": "yellow", "label": "Yellow"},
                        {"code": 1677721500000000, "id": "other", "label": "Other", "text": True},
                    ],
                },
                {
                    "id": "kinds",
                    "column": "Q9",
                    "import_id": "QID9",
                    "type": "multi",
                    "text": "Kinds?",
                    "choices": [{"code": n, "id": f"k{n}", "label": f"Kind {n}"} for n in range(1, 7)],
                },
                {
                    "id": "recoded",
                    "column": "Q14",
                    "import_id": "QID14",
                    "type": "multi",
                    "text": "Recoded?",
                    "choices": [{"code": n, "id": f"r{n}", "label": f"R {n}"} for n in (130, 50, 7, 113, 155, 139)],
                },
            ],
        },
        source="all-types codebook",
    )
    with caplog.at_level(logging.WARNING, logger="surveyreport"):
        frame = read_export(REAL / "qualtrics-datatable-all-question-types.first10.csv", book)
    assert "column(s) the codebook does not know are ignored" in caplog.text
    assert len(frame) == 10 and frame["status"].eq(2).all()
    assert frame["response_id"].iloc[0] == "R_3EITNIOTTCg99n7"
    assert list(frame["fruit"].iloc[:5]) == ["f4", "f2", "f1", "f5", "f6"]
    assert list(frame["colour"].iloc[:3]) == ["orange", "yellow", "other"]
    assert frame["colour.other_text"].iloc[2].startswith("Venenatis mattis, donec")
    assert frame["colour.other_text"].iloc[0] is pd.NA  # -99: seen, not answered
    assert list(frame["kinds.k2"].iloc[:5]) == [False, False, True, False, True]  # -99 is not a tick
    assert list(frame["recoded.r130"].iloc[:5]) == [False, True, True, True, False]


# ----------------------------------------------------------------------------- every format, the same table


@pytest.fixture(scope="module")
def study():
    codebook = load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
    with open(ROOT / "config" / "sales-training-2012" / "reconstruction.yaml", encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    return codebook, Generator(codebook, spec, seed=7).responses()


WRITERS = {
    "qualtrics": ("export.csv", writers.write_qualtrics),
    "qualtrics_unsplit_codes": ("export.csv", lambda r, b, p: writers.write_qualtrics(r, b, p, unsplit="codes")),
    "qualtrics_unsplit_labels": ("export.csv", lambda r, b, p: writers.write_qualtrics(r, b, p, unsplit="labels")),
    "qualtrics_legacy": ("export.csv", writers.write_qualtrics_legacy),
    "surveymonkey": ("export.csv", writers.write_surveymonkey),
    "spss": ("export.sav", writers.write_spss),
}


@pytest.fixture(scope="module")
def reference(study, tmp_path_factory):
    codebook, responses = study
    path = tmp_path_factory.mktemp("reference") / "export.csv"
    writers.write_qualtrics(responses, codebook, path)
    return read_export(path, codebook)


@pytest.mark.parametrize("layout", WRITERS)
def test_every_format_reads_into_the_same_table(study, reference, tmp_path, layout):
    codebook, responses = study
    name, write = WRITERS[layout]
    path = tmp_path / name
    write(responses, codebook, path)
    frame = read_export(path, codebook)
    platform = layout.removesuffix("_unsplit_codes").removesuffix("_unsplit_labels")
    assert detect_platform(path) == platform
    questions = [c for q in codebook.questions for c in q.tidy_columns]
    carried = ["response_id", "start", "end", "identity_group", *questions]
    carried += {
        "qualtrics": ["status", "progress", "duration", "finished", "recorded", "channel", "language"],
        "qualtrics_legacy": ["status", "finished"],
        "surveymonkey": [],
        "spss": ["status", "progress", "duration", "finished", "recorded", "channel", "language"],
    }[platform]
    pd.testing.assert_frame_equal(frame[carried], reference[carried])
    if platform in ("qualtrics_legacy", "surveymonkey"):  # no duration column: end minus start
        assert frame["duration"].equals(((reference["end"] - reference["start"]).dt.total_seconds()).astype("Int64"))
    if platform == "surveymonkey":  # no status or completion: every row a real response, finished once it reached the end
        assert frame["status"].eq(0).all()
        last = codebook.closed[-1]
        reached_end = reference[[c for c in last.tidy_columns if not c.endswith("_text")]].notna().any(axis=1)
        assert frame.loc[reached_end, "progress"].eq(100).all() and frame.loc[reached_end, "finished"].all()
        assert frame.loc[~reached_end, "progress"].lt(100).all() and not frame.loc[~reached_end, "finished"].any()


def test_an_unsplit_cell_is_split_by_the_choice_list_not_by_commas():
    book = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [
                {
                    "id": "tools",
                    "column": "Q3",
                    "import_id": "QID3",
                    "type": "multi",
                    "text": "Tools?",
                    "choices": [
                        {"code": 1, "id": "a", "label": "Coaching, by managers"},
                        {"code": 2, "id": "b", "label": "Coaching"},
                        {"code": 3, "id": "c", "label": "by managers"},
                        {"code": 10, "id": "d", "label": "E-learning"},
                    ],
                }
            ],
        }
    )
    question = book.questions[0]
    assert split_choices("Coaching, by managers,E-learning", question) == ["1", "10"]
    assert split_choices("Coaching,by managers", question) == ["2", "3"]
    assert split_choices("1,10", question) == ["1", "10"]
    assert split_choices("-99", question) == []
    assert split_choices("Coaching,Games", question) is None


def test_an_unsplit_cell_that_names_no_choice_is_located(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_qualtrics(responses.head(20), codebook, path, unsplit="labels")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert "Q12" in rows[0] and "Q12_1" not in rows[0]
    rows[5][rows[0].index("Q12")] = "Carrier pigeons"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(SurveyError, match=r"row 6, column 'Q12': cannot split 'Carrier pigeons' into the question's choices"):
        read_export(path, codebook)


def _edit_cell(path, row, column, value):
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][column] = value
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def test_surveymonkey_messages_name_the_heading_and_choice(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses.head(20), codebook, path)
    with open(path, encoding="utf-8", newline="") as handle:
        headings, subs = list(csv.reader(handle))[:2]
    _edit_cell(path, 5, headings.index("Start Date"), "31/07/2012 10:00:00")
    with pytest.raises(
        SurveyError,
        match=r"row 5, column 'Start Date': cannot read '31/07/2012 10:00:00' as a date \(expected a date like 07/31/2012 04:21:36 PM\)",
    ):
        read_export(path, codebook)
    writers.write_surveymonkey(responses.head(20), codebook, path)
    tools = codebook.question("tools")
    first = headings.index(surveymonkey.heading(tools))
    _edit_cell(path, 7, first + 1, "Yes")
    label = subs[first + 1]
    with pytest.raises(
        SurveyError, match=rf"row 7, column '{surveymonkey.heading(tools)[:20]}.* / {label}': unexpected value 'Yes'"
    ):
        read_export(path, codebook)


def test_spss_value_labels_must_match_the_codebook(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.sav"
    writers.write_spss(responses.head(20), codebook, path)
    renamed = parse_codebook(
        {
            "survey": {"metadata": codebook.metadata, "pii": codebook.pii},
            "questions": [
                {**_as_entry(q), "choices": [{**_choice(c), "label": c.label + " (renamed)"} for c in q.choices]}
                if q.id == "role"
                else _as_entry(q)
                for q in codebook.questions
            ],
        },
        source="renamed codebook",
    )
    with pytest.raises(SurveyError, match=r"column 'Q1': value 1 is labelled 'I lead or manage a training or learning function'"):
        read_export(path, renamed)


def test_spss_multiple_response_sets_are_read(study, tmp_path):
    import pyreadstat

    codebook, responses = study
    path = tmp_path / "export.sav"
    writers.write_spss(responses.head(20), codebook, path)
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    multi = [q for q in codebook.questions if q.multi]
    assert set(meta.mr_sets) == {q.column for q in multi}
    assert meta.mr_sets[multi[0].column]["variable_list"] == [f"{multi[0].column}_{c.code}" for c in multi[0].choices]
    assert meta.variable_value_labels["Q1"][1.0] == codebook.question("role").choices[0].label


def test_an_unreadable_sav_file_is_named(tmp_path, sample_codebook):
    path = tmp_path / "export.sav"
    path.write_bytes(b"not an SPSS file at all")
    with pytest.raises(SurveyError, match="not a readable SPSS file"):
        read_export(path, sample_codebook)


def _choice(choice):
    entry = {"code": choice.code, "id": choice.id, "label": choice.label}
    if choice.nonsubstantive:
        entry["nonsubstantive"] = True
    if choice.text:
        entry["text"] = True
    return entry


def _as_entry(question):
    entry = {
        "id": question.id,
        "column": question.column,
        "import_id": question.import_id,
        "type": question.type,
        "text": question.text,
    }
    if question.choices:
        entry["choices"] = [_choice(c) for c in question.choices]
    return entry
