"""Exports as they come: without Qualtrics' metadata, with repeated column IDs, another
definition of finished, the survey's own typos, and headers checked against the codebook."""

import csv
import dataclasses
import re
import shutil

import pandas as pd
import pyreadstat
import pytest
import yaml

from surveygen import writers
from surveygen.generate import Generator
from surveyreport import surveymonkey
from surveyreport.clean import clean
from surveyreport.codebook import load_codebook, parse_codebook
from surveyreport.errors import SurveyError
from surveyreport.platforms import read_export
from surveyreport.study import load_study

from .conftest import ROOT, copy_project, init, snakemake

SCHEMAS = ROOT / "workflow" / "schemas"
SALES = ROOT / "config" / "sales-training-2012"
EXPORT = ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv"
REAL = ROOT / "tests" / "data" / "real-exports"


@pytest.fixture(scope="module")
def study():
    codebook = load_codebook(SALES / "codebook.yaml")
    with open(SALES / "reconstruction.yaml", encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    return codebook, Generator(codebook, spec, seed=7).responses().head(40).reset_index(drop=True)


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write_rows(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _drop_columns(path, names):
    rows = _rows(path)
    keep = [i for i, name in enumerate(rows[0]) if name not in names]
    _write_rows(path, [[row[i] for i in keep] for row in rows])


def _raw_codebook(path=SALES / "codebook.yaml"):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ----------------------------------------------------------------------------- no Qualtrics metadata


def test_a_csv_with_only_a_response_id_and_dates_is_read(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_qualtrics(responses, codebook, path)
    _drop_columns(
        path, {"Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate", "DistributionChannel", "UserLanguage"}
    )
    raw = _raw_codebook()
    raw["survey"]["metadata"] = {"response_id": "ResponseId", "start": "StartDate", "end": "EndDate"}
    frame = read_export(path, parse_codebook(raw, "partial metadata"))
    assert frame["status"].eq(0).all() and frame["recorded"].equals(frame["end"])
    assert frame["duration"].equals(((frame["end"] - frame["start"]).dt.total_seconds()).astype("Int64"))
    assert frame["channel"].isna().all() and frame["progress"].between(0, 100).all()


def _bare_sav(codebook, responses, path, dated=False):
    """An SPSS file from another source: the questions' variables with their labels, no metadata (an end date if ``dated``)."""
    data, value_labels, labels = {}, {}, {}
    if dated:
        data["EndDate"] = pd.to_datetime(responses["EndDate"])
    for question in codebook.questions:
        labels[question.column] = question.text
        for choice in question.choices:
            labels[f"{question.column}_{choice.code}"] = f"{question.text} - {choice.label}"
            labels[f"{question.column}_{choice.code}_TEXT"] = f"{question.text} - {choice.label} - Text"
        if question.closed and not question.multi:
            data[question.column] = responses[question.id].astype(object).map({c.id: float(c.code) for c in question.choices})
            value_labels[question.column] = {float(c.code): c.label for c in question.choices}
        elif question.multi:
            for choice in question.choices:
                ticks = responses[question.choice_column(choice)].astype("boolean").astype("Float64")
                data[f"{question.column}_{choice.code}"] = ticks.to_numpy(dtype=float, na_value=float("nan"))
                if choice.text:
                    data[f"{question.column}_{choice.code}_TEXT"] = responses[question.text_column(choice)].fillna("").astype(str)
        else:
            data[question.column] = responses[question.id].fillna("").astype(str)
        for c in question.choices:  # after a single-choice question, its "please specify" text
            if c.text and not question.multi:
                data[f"{question.column}_{c.code}_TEXT"] = responses[question.text_column(c)].fillna("").astype(str)
    pyreadstat.write_sav(
        pd.DataFrame(data), str(path), column_labels=[labels.get(c, c) for c in data], variable_value_labels=value_labels
    )


def test_an_spss_file_without_metadata_names_responses_by_row(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "bare.sav"
    _bare_sav(codebook, responses, path)
    raw = _raw_codebook()
    raw["survey"] = {"metadata": {}, "pii": {}}
    frame = read_export(path, parse_codebook(raw, "no metadata"))
    assert list(frame["response_id"].iloc[:3]) == ["row 1", "row 2", "row 3"]
    assert frame["start"].isna().all() and frame["recorded"].isna().all() and frame["duration"].isna().all()
    assert list(frame["role"]) == list(responses["role"].astype(object).where(responses["role"].notna(), None))


def _study_folder(tmp_path, export, codebook=None, config_edit=None):
    """A copy of the first study under tmp_path/config/, its export and codebook replaced."""
    folder = tmp_path / "config" / "mine"
    shutil.copytree(SALES, folder)
    config = _raw_codebook(folder / "config.yaml")
    config["export"] = str(export)
    (config_edit or (lambda c: None))(config)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    if codebook is not None:
        (folder / "codebook.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False), encoding="utf-8")
    return tmp_path / "config"


def test_a_cleaning_rule_without_its_field_is_refused_before_any_job(study, tmp_path):
    codebook, responses = study
    export = tmp_path / "bare.sav"
    _bare_sav(codebook, responses, export)
    raw = _raw_codebook()
    raw["survey"] = {"metadata": {}, "pii": {}}
    root = _study_folder(tmp_path, export, raw)
    with pytest.raises(SurveyError) as error:
        load_study(root, "mine", {}, SCHEMAS)
    text = str(error.value)
    assert "\n" not in text
    assert "mine/config.yaml: the report needs the survey's field dates: survey.metadata in" in text
    assert "(and 4 more)" in text  # the field dates, incomplete, duplicate and speeder too


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("speeder", "(rule speeder) needs duration, or start and end: survey.metadata in"),
        ("duplicate", "(rule duplicate) needs email, or ip_address: survey.pii in"),
        ("incomplete", "(rule incomplete) needs finished, or progress: survey.metadata in"),
    ],
)
def test_each_rule_names_the_field_it_lacks(study, tmp_path, rule, message):
    raw = _raw_codebook()
    raw["survey"] = {"metadata": {"response_id": "ResponseId", "status": "Status", "end": "EndDate"}, "pii": {}}

    def only(config):
        config["cleaning"]["exclusions"] = [r for r in config["cleaning"]["exclusions"] if r["rule"] == rule]

    root = _study_folder(tmp_path, EXPORT, raw, only)
    with pytest.raises(SurveyError, match=re.escape(f"mine/config.yaml: cleaning.exclusions[0] {message}")):
        load_study(root, "mine", {}, SCHEMAS)


def test_blank_dates_are_refused_only_by_the_speeder_rule(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_qualtrics(responses, codebook, path)
    rows = _rows(path)
    _drop_columns(path, {"Duration (in seconds)"})
    rows = _rows(path)
    rows[5][rows[0].index("EndDate")] = ""
    _write_rows(path, rows)
    raw = _raw_codebook()
    del raw["survey"]["metadata"]["duration"]
    book = parse_codebook(raw, "no duration")
    frame = read_export(path, book)
    assert frame["duration"].isna().sum() == 1 and frame["end"].isna().sum() == 1
    config = yaml.safe_load((SALES / "config.yaml").read_text(encoding="utf-8"))["cleaning"]
    speeder = [r for r in config["exclusions"] if r["rule"] == "speeder"]
    with pytest.raises(SurveyError, match=r"the speeder rule needs every response's duration: 1 have none .* the first 'R_"):
        clean(frame, {**config, "exclusions": speeder}, book)
    kept = clean(frame, {**config, "exclusions": [r for r in config["exclusions"] if r["rule"] != "speeder"]}, book)
    assert len(kept["dispositions"]) == len(frame)


def test_the_legacy_reader_takes_recipient_columns_as_personal_data(tmp_path):
    rows = _rows(REAL / "qualtrics-legacy-sample.csv")
    rows = [row[:-1] for row in rows]  # the trailing empty column
    rows[0] += ["RecipientLastName", "RecipientFirstName", "RecipientEmail"]
    rows[1] += ["RecipientLastName", "RecipientFirstName", "RecipientEmail"]
    rows[2] += ["Zimmermann", "Ottilie", "ottilie@example.org"]
    second = list(rows[2])
    second[0], second[5] = "R_second", ""
    second[11] = "Ottilie Zimmermann wrote this"
    rows.append(second)
    path = tmp_path / "legacy.csv"
    _write_rows(path, rows)
    book = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [
                {"id": "choice", "column": "Q1", "import_id": "QID1", "type": "single", "text": "A?",
                 "choices": [{"code": n, "id": f"c{n}", "label": f"Choice {n}"} for n in (1, 2, 3)]},
                {"id": "free", "column": "Q2", "import_id": "QID2", "type": "text", "text": "B?"},
            ],
        }
    )  # fmt: skip
    frame = read_export(path, book)
    assert frame["identity_group"].nunique() == 1  # the same recipient e-mail: one person
    assert "Zimmermann" not in frame["free"].iloc[1] and "Ottilie" not in frame["free"].iloc[1]


# ----------------------------------------------------------------------------- repeated column IDs


def _repeat_q9_as_q8_1(path, import_id):
    rows = _rows(path)
    i = rows[0].index("Q9")
    rows[0][i], rows[2][i] = "Q8_1", import_id
    _write_rows(path, rows)


def test_a_repeated_column_id_the_import_ids_cannot_tell_apart_names_both_columns(tmp_path):
    path = tmp_path / "export.csv"
    shutil.copyfile(EXPORT, path)
    _repeat_q9_as_q8_1(path, '{"ImportId":"QID8","choiceId":"1"}')
    codebook = load_codebook(SALES / "codebook.yaml")
    with pytest.raises(SurveyError) as error:
        read_export(path, codebook)
    text = str(error.value)
    assert "row 1: the column ID 'Q8_1' repeats: column 26 ('How does your organization source" in text
    assert "and column 31 ('During an implementation, how often" in text and "\n" not in text
    assert "or the codebook naming each by its place: '1:Q8_1', '2:Q8_1'" in text


def test_a_repeated_column_id_the_codebook_does_not_read_is_ignored(tmp_path, caplog):
    path = tmp_path / "export.csv"
    shutil.copyfile(EXPORT, path)
    rows = _rows(path)
    rows = [row + [row[rows[0].index("Q9")]] for row in rows]  # Q9 again, at the end
    rows[0][-1], rows[2][-1] = "Q17", '{"ImportId":"QID17"}'
    rows = [row + [row[-1]] for row in rows]  # and Q17 twice
    _write_rows(path, rows)
    frame = read_export(path, load_codebook(SALES / "codebook.yaml"))
    assert len(frame) == len(rows) - 3
    assert f"Q17 (column {len(rows[0]) - 1}), Q17 (column {len(rows[0])})" in caplog.text


# ----------------------------------------------------------------------------- finished, comments, typos (SurveyMonkey)


def _optional_last(codebook, responses):
    """Responses where a sixth of those who finished skipped the last (optional) question."""
    last = codebook.closed[-1]
    skipped = responses.index[responses["Finished"].eq("1")][::6]
    responses = responses.copy()
    for column in last.tidy_columns:
        responses.loc[skipped, column] = pd.NA
    return responses, skipped


def test_finished_is_the_last_required_question_answered(study, tmp_path):
    codebook, responses = study
    responses, skipped = _optional_last(codebook, responses)
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses, codebook, path)
    incomplete = {"exclusions": [{"rule": "incomplete", "reason": "incomplete", "label": "x", "min_progress": 100}]}
    before = clean(read_export(path, codebook), incomplete, codebook)["dispositions"]
    assert before.loc[skipped, "disposition"].eq("incomplete").all()
    raw = _raw_codebook()
    second_last = codebook.closed[-2].id
    raw["survey"]["finished"] = {"answered": second_last}
    book = parse_codebook(raw, "finished")
    after = clean(read_export(path, book), incomplete, book)["dispositions"]
    assert after.loc[skipped, "disposition"].eq("kept").all()
    answered = read_export(path, book)[[c for c in codebook.closed[-2].tidy_columns if not c.endswith("_text")]]
    assert list(after["disposition"].eq("kept")) == list(answered.notna().any(axis=1))


def test_a_surveymonkey_study_needs_a_definition_of_finished_for_the_incomplete_rule(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses, codebook, path)

    def only_incomplete(config):
        config["cleaning"]["exclusions"] = [r for r in config["cleaning"]["exclusions"] if r["rule"] == "incomplete"]

    root = _study_folder(tmp_path, path, None, only_incomplete)
    with pytest.raises(SurveyError, match=r"needs finished, or progress: a SurveyMonkey export has none; or name the question"):
        load_study(root, "mine", {}, SCHEMAS)
    raw = _raw_codebook()
    raw["survey"]["finished"] = {"answered": [codebook.closed[-2].id, "not_a_question"]}
    (root / "mine" / "codebook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(SurveyError, match=r"survey.finished.answered in .*: 'not_a_question' is not a question"):
        load_study(root, "mine", {}, SCHEMAS)
    raw["survey"]["finished"] = {"answered": [codebook.closed[-2].id]}
    (root / "mine" / "codebook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert load_study(root, "mine", {}, SCHEMAS).name == "mine"


def test_a_choice_is_matched_by_the_surveys_own_typo_and_printed_by_its_label(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses, codebook, path)
    meeting, tools = codebook.question("meeting"), codebook.question("tools")
    typo, tick_typo = meeting.choices[0].label.replace("e", "ee", 1), tools.choices[0].label + "s"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(meeting.choices[0].label, typo).replace(tools.choices[0].label, tick_typo), encoding="utf-8")
    with pytest.raises(SurveyError):
        read_export(path, codebook)
    raw = _raw_codebook()
    for question in raw["questions"]:
        if question["id"] in ("meeting", "tools"):
            question["choices"][0]["match"] = typo if question["id"] == "meeting" else tick_typo
    book = parse_codebook(raw, "typos")
    assert book.question("meeting").choices[0].label == meeting.choices[0].label
    frame = read_export(path, book)
    writers.write_surveymonkey(responses, codebook, tmp_path / "as_labelled.csv")
    expected = read_export(tmp_path / "as_labelled.csv", codebook)
    pd.testing.assert_series_equal(frame["meeting"], expected["meeting"])
    pd.testing.assert_series_equal(frame[tools.choice_column(tools.choices[0])], expected[tools.choice_column(tools.choices[0])])


def test_a_comment_field_of_a_closed_question_is_read_as_text(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses, codebook, path)
    rows = _rows(path)
    role = codebook.question("role")
    at = rows[0].index(surveymonkey.heading(role)) + 1
    comments = [f"comment {n}" if n % 3 else "" for n in range(len(rows) - 2)]
    rows = [row[:at] + [value] + row[at:] for row, value in zip(rows, ["", "Please explain", *comments])]
    _write_rows(path, rows)
    raw = _raw_codebook()
    raw["questions"].append(
        {"id": "role_comment", "column": "Q1_COMMENT", "import_id": "QID1_COMMENT", "type": "text", "text": role.text}
    )
    frame = read_export(path, parse_codebook(raw, "comment"))
    assert list(frame["role_comment"].fillna("")) == comments
    assert frame["role"].equals(read_export(path, codebook)["role"])


# ----------------------------------------------------------------------------- the header names the codebook's questions


def test_a_codebook_naming_the_wrong_question_fails_before_any_job(tmp_path):
    raw = _raw_codebook()
    q6 = next(q for q in raw["questions"] if q["column"] == "Q6")
    q6["text"] = "How effective is your sales organization?"
    root = _study_folder(tmp_path, EXPORT, raw)
    with pytest.raises(SurveyError) as error:
        load_study(root, "mine", {}, SCHEMAS)
    text = str(error.value)
    assert text.startswith(
        f"{EXPORT}, column 'Q6': the header says 'How effective is your training organization at supporting the implementation"
    )
    assert (
        "(ImportId QID6), the codebook" in text
        and "says 'How effective is your sales organization?' (ImportId QID6, question 'effectiveness')" in text
    )
    q6["text"], q6["import_id"] = (
        " How effective  is your training organization at supporting the implementation of strategic initiatives in the sales organization? ".replace(
            "training", "tr&#97;ining"
        ),
        "QID7",
    )
    (root / "mine" / "codebook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(
        SurveyError,
        match=r"column 'Q6': the header says .* \(ImportId QID6\), the codebook .* \(ImportId QID7, question 'effectiveness'\)$",
    ):
        load_study(root, "mine", {}, SCHEMAS)
    q6["import_id"] = "QID6"  # whitespace and entities aside, the same wording
    (root / "mine" / "codebook.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert load_study(root, "mine", {}, SCHEMAS).name == "mine"


# ----------------------------------------------------------------------------- every bad value


def test_every_bad_value_is_listed_up_to_ten_then_counted(tmp_path):
    rows = _rows(EXPORT)
    q6, start = rows[0].index("Q6"), rows[0].index("StartDate")
    for n in range(10, 23):
        rows[n - 1][q6] = str(n)
    rows[7][start] = "07/05/2012"
    path = tmp_path / "export.csv"
    _write_rows(path, rows)
    with pytest.raises(SurveyError) as error:
        read_export(path, load_codebook(SALES / "codebook.yaml"))
    lines = str(error.value).split("\n")
    assert lines[0] == f"{path}: 14 values cannot be read, in 2 column(s):"
    assert lines[1].startswith("  row 8, column 'StartDate': cannot read '07/05/2012' as a date (expected a date like")
    assert lines[2].startswith("  row 10, column 'Q6': unexpected value '10' (expected one of the codes")
    assert lines[3] == "  row 11, column 'Q6': unexpected value '11'"
    assert len(lines) == 12 and lines[-1] == "  and 4 more"


def test_a_surveymonkey_message_names_the_whole_heading(study, tmp_path):
    codebook, responses = study
    path = tmp_path / "export.csv"
    writers.write_surveymonkey(responses, codebook, path)
    rows = _rows(path)
    tools = codebook.question("tools")
    at = rows[0].index(surveymonkey.heading(tools)) + 1
    rows[6][at] = "Yes"
    _write_rows(path, rows)
    with pytest.raises(
        SurveyError, match=re.escape(f"row 7, column '{surveymonkey.heading(tools)} / {rows[1][at]}': unexpected value 'Yes'")
    ):
        read_export(path, codebook)


# ----------------------------------------------------------------------------- drafting from SPSS and SurveyMonkey


def test_an_spss_file_drafts_its_questions_from_its_dictionary(study, bare_root, tmp_path):
    codebook, responses = study
    export = tmp_path / "survey.sav"
    writers.write_spss(responses, codebook, export)
    run = init(bare_root, "from-spss", "--export", export)
    assert run.returncode == 0, run.stderr
    drafted = load_codebook(bare_root / "config" / "from-spss" / "codebook.yaml")
    assert [(q.column, q.type, q.text) for q in drafted.questions] == [
        (q.column, "single" if q.type == "rating" else q.type, q.text) for q in codebook.questions
    ]
    for mine, theirs in zip(drafted.questions, codebook.questions):
        assert [(c.code, c.label, c.text) for c in mine.choices] == [(c.code, c.label, c.text) for c in theirs.choices]
    assert drafted.metadata["duration"] == "Duration__in_seconds_" and drafted.pii["email"] == "RecipientEmail"
    frame = read_export(bare_root / "data" / "raw" / "survey.sav", drafted)
    assert len(frame) == len(responses)


def test_a_bare_spss_file_drafts_without_metadata(study, bare_root, tmp_path):
    codebook, responses = study
    export = tmp_path / "bare.sav"
    _bare_sav(codebook, responses, export)
    run = init(bare_root, "bare", "--export", export)
    assert run.returncode == 1 and "the report needs the survey's field dates: survey.metadata in" in run.stderr
    assert not (bare_root / "config" / "bare").exists()
    _bare_sav(codebook, responses, export, dated=True)
    run = init(bare_root, "bare", "--export", export)
    assert run.returncode == 0, run.stderr
    raw = yaml.safe_load((bare_root / "config" / "bare" / "codebook.yaml").read_text(encoding="utf-8"))
    closed = [q["id"] for q in raw["questions"] if q["type"] != "text"]
    assert raw["survey"]["metadata"] == {"end": "EndDate"} and raw["survey"]["finished"]["answered"] in closed
    drafted = load_codebook(bare_root / "config" / "bare" / "codebook.yaml")
    assert [(q.column, q.type, q.text, [(c.code, c.label, c.text) for c in q.choices]) for q in drafted.questions] == [
        (q.column, "single" if q.type == "rating" else q.type, q.text, [(c.code, c.label, c.text) for c in q.choices])
        for q in codebook.questions
    ]  # without multiple-response sets, multi-select questions from their split variables
    config = yaml.safe_load((bare_root / "config" / "bare" / "config.yaml").read_text(encoding="utf-8"))
    assert [r["rule"] for r in config["cleaning"]["exclusions"]] == ["incomplete"]
    frame = read_export(bare_root / "data" / "raw" / "bare.sav", load_codebook(bare_root / "config" / "bare" / "codebook.yaml"))
    assert frame["recorded"].equals(frame["end"]) and frame["start"].isna().all() and frame["response_id"].iloc[0] == "row 1"


def test_a_surveymonkey_export_drafts_headings_choices_and_comments(study, bare_root, tmp_path):
    codebook, responses = study
    responses, skipped = _optional_last(codebook, responses)
    export = tmp_path / "monkey.csv"
    writers.write_surveymonkey(responses, codebook, export)
    run = init(bare_root, "monkey", "--export", export)
    assert run.returncode == 0, run.stderr
    drafted = load_codebook(bare_root / "config" / "monkey" / "codebook.yaml")
    assert [q.text for q in drafted.questions] == [surveymonkey.heading(q) for q in codebook.questions]
    tools, mine = codebook.question("tools"), drafted.questions[11]
    assert [c.label for c in mine.choices] == [c.label for c in tools.choices] and mine.choices[-1].text
    assert drafted.finished == (drafted.questions[13].id,)  # the last is optional: some finished without it
    frame = read_export(bare_root / "data" / "raw" / "monkey.csv", drafted)
    assert frame.loc[skipped, "finished"].all()


@pytest.mark.e2e
@pytest.mark.long
@pytest.mark.parametrize("layout", ["spss", "surveymonkey"])
def test_the_workflow_builds_a_report_from_a_drafted_spss_or_surveymonkey_export(graded, tmp_path, layout):
    """With a matrix (both) and a number (SPSS: a SurveyMonkey number is an open answer)."""
    codebook, responses = graded
    if layout == "surveymonkey":
        codebook = dataclasses.replace(codebook, questions=codebook.questions[:-1])
    workdir = copy_project(tmp_path / "project")
    export = tmp_path / ("survey.sav" if layout == "spss" else "survey.csv")
    (writers.write_spss if layout == "spss" else writers.write_surveymonkey)(responses, codebook, export)
    run = init(workdir, "mine", "--export", export)
    assert run.returncode == 0, run.stderr
    build = snakemake(workdir, "--config", "study=mine")
    assert build.returncode == 0, build.stderr[-3000:]
    assert (workdir / "results" / "mine" / "report.pdf").stat().st_size > 10_000
    crosstabs = pd.read_csv(workdir / "results" / "mine" / "crosstab" / "crosstabs.csv")
    scored = set(pd.read_csv(workdir / "results" / "mine" / "crosstab" / "scores.csv")["question"])
    grid = [q for q in scored if q.endswith((".price", ".quality", ".service"))]
    assert len(grid) == 3 and set(grid) <= set(crosstabs["question"]) and "net:top" in set(crosstabs["choice"])
    assert (layout == "spss") == ("q91" in scored)  # the number of years, drafted from its variable Q91


# ----------------------------------------------------------------------------- grids and numbers in SPSS and SurveyMonkey

SCALE = ["1 - Strongly disagree", "2", "3", "4", "5 - Strongly agree"]
ITEMS = ["Price", "Quality", "Service"]


@pytest.fixture(scope="module")
def graded(study):
    """The study with an agreement matrix and a number of years, answered at random (seeded)."""
    import numpy as np

    codebook, responses = study
    raw = _raw_codebook()
    raw["questions"] += [
        {
            "id": "agree",
            "column": "Q90",
            "import_id": "QID90",
            "type": "matrix",
            "text": "How far do you agree with each?",
            "statements": [
                {"id": s.lower(), "column": f"Q90_{n}", "import_id": f"QID90_{n}", "text": s} for n, s in enumerate(ITEMS, 1)
            ],
            "choices": [{"code": n, "id": f"a{n}", "label": label} for n, label in enumerate(SCALE, 1)],
        },
        {"id": "years", "column": "Q91", "import_id": "QID91_TEXT", "type": "numeric", "text": "Years in the role?"},
    ]
    book = parse_codebook(raw, "graded")
    rng = np.random.default_rng(11)
    responses = responses.copy()
    for item in ITEMS:
        responses[f"agree.{item.lower()}"] = rng.choice([f"a{n}" for n in range(1, 6)], len(responses))
    responses["years"] = rng.integers(0, 30, len(responses)).astype(float)
    return book, responses


def test_spss_grids_draft_as_matrices_and_scale_numbers_as_numeric(graded, bare_root, tmp_path):
    codebook, responses = graded
    export = tmp_path / "graded.sav"
    writers.write_spss(responses, codebook, export)
    run = init(bare_root, "graded", "--export", export)
    assert run.returncode == 0, run.stderr
    drafted = load_codebook(bare_root / "config" / "graded" / "codebook.yaml")
    grid, years = drafted.questions[-2:]
    assert (grid.type, grid.column, grid.text) == ("matrix", "Q90", "How far do you agree with each?")
    assert [(s.column, s.text) for s in grid.statements] == [(f"Q90_{n}", s) for n, s in enumerate(ITEMS, 1)]
    assert [(c.code, c.label) for c in grid.choices] == list(enumerate(SCALE, 1))
    assert (years.type, years.column) == ("numeric", "Q91")
    assert [q.type for q in drafted.questions[:-2]] == [
        "single" if q.type == "rating" else q.type for q in codebook.questions[:-2]
    ]
    frame = read_export(bare_root / "data" / "raw" / "graded.sav", drafted)
    agree = responses["agree.price"].map({f"a{n}": n for n in range(1, 6)})
    codes = {c.id: c.code for c in grid.choices}
    assert frame[f"{grid.id}.{grid.statements[0].id}"].map(codes).tolist() == agree.tolist()
    assert frame[years.id].tolist() == responses["years"].tolist()


def test_a_surveymonkey_matrix_drafts_its_statements_and_scale_and_is_read(graded, bare_root, tmp_path):
    codebook, responses = graded
    export = tmp_path / "graded.csv"
    writers.write_surveymonkey(responses, dataclasses.replace(codebook, questions=codebook.questions[:-1]), export)
    run = init(bare_root, "graded", "--export", export)
    assert run.returncode == 0, run.stderr
    drafted = load_codebook(bare_root / "config" / "graded" / "codebook.yaml")
    grid = drafted.questions[-1]
    assert (grid.type, grid.text) == ("matrix", "How far do you agree with each?")
    assert [s.text for s in grid.statements] == ITEMS
    assert [(c.code, c.label) for c in grid.choices] == list(enumerate(SCALE, 1))  # in the order of their numbers
    frame = read_export(bare_root / "data" / "raw" / "graded.csv", drafted)
    codes = {c.id: c.code for c in grid.choices}
    for item, statement in zip(ITEMS, grid.statements):
        chosen = frame[f"{grid.id}.{statement.id}"].map(codes)
        assert chosen.tolist() == responses[f"agree.{item.lower()}"].map(lambda c: int(c[1:])).tolist()
