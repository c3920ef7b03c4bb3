"""`surveyreport init` drafts a study folder from real Qualtrics exports, and the workflow builds it."""

import csv
import json
import re
import shutil

import pandas as pd
import pytest
import yaml

from surveyreport import draft
from surveyreport.codebook import load_codebook, parse_codebook
from surveyreport.errors import SurveyError
from surveyreport.platforms import read_export
from surveyreport.qsf import read_qsf
from surveyreport.study import load_study

from .conftest import ROOT, copy_project, init, snakemake

REAL = ROOT / "tests" / "data" / "real-exports"
PAIRS = REAL / "qualtricstools"
DATATABLE = REAL / "qualtrics-datatable-all-question-types.first10.csv"
NO_KIND = "matrix questions of this kind"
TRASH = "in the survey's trash: not asked"


def questions(bare_root, name):
    book = yaml.safe_load((bare_root / "config" / name / "codebook.yaml").read_text())
    return {q["import_id"].removesuffix("_TEXT"): q for q in book["questions"]}


def qsf_questions(path):
    elements = json.loads(path.read_text(encoding="utf-8"))["SurveyElements"]
    return {e["Payload"]["QuestionID"] for e in elements if e["Element"] == "SQ"}


# ----------------------------------------------------------------------------- a questionnaire and its export

BETTER = {"QID1": "single", "QID5": "multi", "QID3": "text", "QID2": "matrix", "QID8": "matrix", "QID4": "multi", "QID9": "multi"}
BETTER_SIDE_BY_SIDE = {"QID6#1": "matrix", "QID6#2": "matrix", "QID10#1": "matrix", "QID10#2": "multi", "QID12#1": "multi",
                       "QID12#2": "multi"}  # fmt: skip
BETTER_SKIPPED = {**{f"QID11#{n}": "in the export" for n in (1, 2, 3)}, "QID7": TRASH}


def test_a_questionnaire_drafts_each_question_with_its_type_or_why_not(bare_root):
    run = init(
        bare_root, "fruit", "--export", PAIRS / "better-sample-survey.csv", "--questionnaire", PAIRS / "better-sample-survey.qsf"
    )
    assert run.returncode == 0, run.stderr
    drafted = questions(bare_root, "fruit")
    assert {qid: q["type"] for qid, q in drafted.items()} == BETTER | BETTER_SIDE_BY_SIDE
    assert drafted["QID1"]["column"] == "q2_favorite"
    assert [c["label"] for c in drafted["QID1"]["choices"]] == ["Canteloupe", "Kiwi", "Pomagranite"]
    assert [c["code"] for c in drafted["QID5"]["choices"]] == [1, 2, 3, 4]
    codebook = (bare_root / "config" / "fruit" / "codebook.yaml").read_text()
    for qid, reason in BETTER_SKIPPED.items():
        line = next(line for line in codebook.splitlines() if f"({qid}," in line)
        assert line.startswith("#") and line.endswith(reason), line
        assert f"({qid}, " in run.stdout and reason in run.stdout
    listed = {qid.split("#")[0] for qid in [*BETTER, *BETTER_SIDE_BY_SIDE, *BETTER_SKIPPED]}
    assert qsf_questions(PAIRS / "better-sample-survey.qsf") == listed
    study = load_study(bare_root / "config", "fruit", {}, bare_root / "workflow" / "schemas")
    assert study.config["export"] == "data/raw/better-sample-survey.csv"
    assert (bare_root / "data" / "raw" / "better-sample-survey.csv").read_bytes() == (
        PAIRS / "better-sample-survey.csv"
    ).read_bytes()
    tiers = study.config["tiers"]
    assert tiers["question"] == "q2_favorite" and [t["choices"] for t in tiers["levels"]] == [
        ["canteloupe"],
        ["kiwi"],
        ["pomagranite"],
    ]
    assert "no --banner given" in (bare_root / "config" / "fruit" / "config.yaml").read_text()
    assert [e["question"] for e in study.report["exhibits"]] == [
        "q1_recent", "q2_favorite", "q3_volunteer", "q4_rank", "q6_reservations_1", "q6_reservations_2", "q8", "q9",
        "q10_1", "q10_2", "q12_1", "q12_2",
    ]  # fmt: skip
    ticks = drafted["QID4"]  # a multiple-answer matrix: a statement names the prefix of its answers' columns
    assert [s["column"] for s in ticks["statements"]] == [
        "q1_recent_q1_recent_1",
        "q1_recent_q1_recent_2",
        "q1_recent_q1_recent_3",
    ]
    assert [c["label"] for c in ticks["choices"]] == ["In the last week", "In the last month", "In the last year"]
    grid = drafted["QID2"]
    assert [(s["column"], s["import_id"], s["text"]) for s in grid["statements"]] == [
        ("q4_rank_1", "QID2_1", "Cantaloupe"),
        ("q4_rank_2", "QID2_2", "Kiwi"),
        ("q4_rank_3", "QID2_3", "Pomegranate"),
    ]
    assert [(c["code"], c["label"]) for c in grid["choices"]] == [
        (1, "Enjoy"),
        (2, "Ambivalent"),
        (3, "Dislike"),
        (-1, "Never Tried It"),
    ]
    # every test response is kept (the export holds nothing else), previews dropped; no Progress/Duration columns
    rules = {r["rule"]: r for r in study.config["cleaning"]["exclusions"]}
    assert rules["status"]["drop_status"] == [1] and set(rules) == {"status", "incomplete", "duplicate", "speeder"}


def test_a_legacy_export_with_a_third_header_row_of_import_ids_is_read(bare_root):
    """Exports of about 2016: column IDs, labels, then ``{'ImportId': 'QID1'}``; responses from row 4."""
    assert (
        init(
            bare_root,
            "fruit",
            "--export",
            PAIRS / "better-sample-survey.csv",
            "--questionnaire",
            PAIRS / "better-sample-survey.qsf",
        ).returncode
        == 0
    )
    frame = read_export(
        bare_root / "data" / "raw" / "better-sample-survey.csv", load_codebook(bare_root / "config" / "fruit" / "codebook.yaml")
    )
    assert len(frame) == 10 and frame["response_id"].iloc[0] == "R_9RWrgh1F9m7488l"
    assert frame["q2_favorite"].astype(str).tolist() == ["canteloupe", "canteloupe", "kiwi", "pomagranite", "canteloupe",
                                                          "kiwi", "kiwi", "kiwi", "kiwi", "canteloupe"]  # fmt: skip


def test_single_answer_matrices_draft_with_their_statements_columns_and_recoded_scales(bare_root):
    """A legacy export of matrices only: columns by tag and statement (or its export tag), the tiers from a statement."""
    pair = "matrix-single-answer"
    run = init(bare_root, "grids", "--export", PAIRS / f"{pair}.csv", "--questionnaire", PAIRS / f"{pair}.qsf")
    assert run.returncode == 0, run.stderr
    drafted = questions(bare_root, "grids")
    assert {qid: q["type"] for qid, q in drafted.items()} == {f"QID{n}": "matrix" for n in (1, 2, 3, 4, 6, 8, 10, 11, 12)}
    assert [s["column"] for s in drafted["QID2"]["statements"]] == ["Q2_Q2_2", "Q2_Q2_4", "Q2_Q2_3"]
    assert [s["column"] for s in drafted["QID10"]["statements"]] == ["Q10_Q10_3"]
    assert [c["code"] for c in drafted["QID1"]["choices"]] == [2, 4, 3]  # the scale's recode values
    for qid in ("QID5", "QID7", "QID9"):
        assert any(f"({qid}, " in line and line.endswith(TRASH) for line in run.stdout.splitlines()), qid
    study = load_study(bare_root / "config", "grids", {}, bare_root / "workflow" / "schemas")
    assert study.config["tiers"]["question"] == "q12.click_to_write_statement_1"
    frame = read_export(
        bare_root / "data" / "raw" / f"{pair}.csv", load_codebook(bare_root / "config" / "grids" / "codebook.yaml")
    )
    # Q12 has no recode values: the first response answered scale points 1, 2 and 3
    first = frame.iloc[0]
    assert [first[f"q12.click_to_write_statement_{n}"] for n in (1, 2, 3)] == [
        "click_to_write_scale_point_1",
        "click_to_write_scale_point_2",
        "click_to_write_scale_point_3",
    ]


def test_each_column_of_a_side_by_side_is_drafted_as_a_matrix_of_its_own(bare_root):
    pair = "side-by-side"
    run = init(bare_root, "sbs", "--export", PAIRS / f"{pair}.csv", "--questionnaire", PAIRS / f"{pair}.qsf")
    assert run.returncode == 0, run.stderr
    drafted = questions(bare_root, "sbs")
    assert {qid: q["type"] for qid, q in drafted.items()} == {
        **{
            qid: "matrix"
            for qid in ("QID1#1", "QID1#2", "QID2#1", "QID2#2", "QID2#3", "QID3#1", "QID3#2", "QID4#1", "QID6#1", "QID7#1",
                        "QID7#2", "QID8#1", "QID8#2")
        },
        "QID5#2": "multi",
    }  # fmt: skip
    assert [s["column"] for s in drafted["QID2#3"]["statements"]] == ["Q2#3_1", "Q2#3_2", "Q2#3_3"]
    assert drafted["QID2#3"]["text"].endswith(" – Click to write Column 3")
    # the legacy ImportId row (``QID8#2-1``) finds columns named otherwise: by the statement's export tag and the column
    assert [s["column"] for s in drafted["QID8#2"]["statements"]][:1] == ["Q8#2_statement_one_2"]
    assert [s["column"] for s in drafted["QID6#1"]["statements"]] == ["Q6#1_Q6_1_1", "Q6#1_Q6_2_1", "Q6#1_Q6_3_1"]
    for qid in ("QID5#1", "QID6#2"):  # text-entry matrices; QID6#2's column IDs repeat, read by no question
        assert any(f"({qid}, " in line and NO_KIND in line for line in run.stdout.splitlines()), qid
    listed = {qid.split("#")[0] for qid in [*drafted, "QID5#1", "QID6#2"]}
    assert qsf_questions(PAIRS / f"{pair}.qsf") == listed


def test_a_questionnaire_of_no_supported_type_is_refused_with_every_question_listed(bare_root, tmp_path):
    export, _ = scored_survey(tmp_path)
    elements = [
        _payload("QID1", "upload", "FileUpload", "Upload your CV", "FileUpload"),
        _payload("QID2", "intro", "DB", "Welcome", "TB"),
        _payload("QID3", "notes", "Matrix", "Notes on each", "TE", [(1, "Price")], SubSelector="Short"),
    ]
    qsf = tmp_path / "unsupported.qsf"
    qsf.write_text(json.dumps({"SurveyEntry": {"SurveyName": "x"}, "SurveyElements": elements}), encoding="utf-8")
    reasons = {"QID1": "file uploads are not supported yet", "QID2": "descriptive text: no answer to report", "QID3": NO_KIND}
    run = init(bare_root, "draft", "--export", export, "--questionnaire", qsf)
    assert run.returncode == 1
    assert "is of a type the pipeline reads" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    for qid, reason in reasons.items():
        assert any(f"({qid}, " in line and reason in line for line in run.stdout.splitlines()), qid
    assert not (bare_root / "config").exists() or not any((bare_root / "config").iterdir())
    assert not (bare_root / "data").exists()


def test_legacy_multiple_answer_matrices_sharing_column_ids_take_them_in_turn():
    """The legacy exporter names a ticked answer by its id, not its recode value (Q4_1_1, not Q4_1_10), and writes
    a statement's export tag alone as the column: ``question_one_1`` for three questions, told apart by position
    alone. The draft names each by its occurrence (``2:question_one_1``), in the survey's order, and so does the reader."""
    pair = PAIRS / "matrix-multiple-answer"
    header = draft.read_header(pair.with_suffix(".csv"))
    items = draft.from_qsf(read_qsf(pair.with_suffix(".qsf")).questions, header)
    assert [(i.key, i.kind, i.reason) for i in items] == [
        (k, "multi", "") for k in ("Q2", "Q4", "Q3", "Q5", "matrix_question_five")
    ]
    columns = {i.key: [s.column for s in i.statements] for i in items}
    assert columns["Q4"] == ["Q4_1", "Q4_2", "Q4_3"]
    for k, key in enumerate(("Q3", "Q5", "matrix_question_five"), start=1):
        assert columns[key] == [f"{k}:question_one", f"{k}:question_two", f"{k}:question_three"]
    assert [c.code for c in items[3].choices] == [1, 2, 3, 4]  # recode values 10 to 13, exported by answer id
    draft.assign_ids(items)
    drafted = draft.Draft("ticks", "ticks.csv", header, items, items[0], "", "Ticks", "the test")
    book = parse_codebook(yaml.safe_load(draft.codebook_yaml(drafted)), "drafted")
    frame = read_export(pair.with_suffix(".csv"), book)
    rows = list(csv.reader(pair.with_suffix(".csv").open(encoding="utf-8-sig")))
    for key, first in (("q3", 34), ("q5", 46), ("matrix_question_five", 58)):  # statement one's four ticks
        ticks = [c for c in frame.columns if c.startswith(f"{key}.click_to_write_statement_1.")]
        assert frame[ticks].astype(bool).to_numpy().tolist() == [
            [cell == "1" for cell in row[first : first + 4]] for row in rows[2:]
        ]


# ----------------------------------------------------------------------------- numbers, scores and ranks

RESPONSES = 60


def _payload(qid, tag, kind, text, selector, choices=(), **more):
    payload = {"QuestionID": qid, "DataExportTag": tag, "QuestionType": kind, "Selector": selector, "QuestionText": text}
    if choices:
        payload["Choices"] = {str(k): {"Display": label} for k, label in choices}
        payload["ChoiceOrder"] = [str(k) for k, _ in choices]
    return {"Element": "SQ", "Payload": {**payload, **more}}


def scored_survey(folder):
    """A questionnaire of the types researchers score (the real exports have none of them) and its current-format
    export of 60 seeded responses: a group, an agreement matrix with "Don't know", sliders, a constant sum,
    a rank order, an NPS and a number typed in."""
    from random import Random

    from surveyreport.qualtrics import METADATA_COLUMNS

    items = [(1, "Price"), (2, "Quality"), (3, "Service")]
    scale = [(1, "Strongly disagree"), (2, "Disagree"), (3, "Neutral"), (4, "Agree"), (5, "Strongly agree"), (6, "Don't know")]
    elements = [
        _payload("QID1", "group", "MC", "Which team are you in?", "SAVR", [(1, "North"), (2, "South")]),
        _payload("QID2", "agree", "Matrix", "How far do you agree?", "Likert", items, SubSelector="SingleAnswer",
                 Answers={str(k): {"Display": label} for k, label in scale}, AnswerOrder=[k for k, _ in scale],
                 RecodeValues={"6": "9"}),
        _payload("QID3", "sliders", "Slider", "Rate each, 0 to 100", "HSLIDER", items),
        _payload("QID4", "budget", "CS", "Split 100 points", "VRTL", items),
        _payload("QID5", "ranking", "RO", "Rank these", "DND", items),
        _payload("QID6", "recommend", "MC", "How likely are you to recommend us?", "NPS",
                 [(k, str(k)) for k in range(11)]),
        _payload("QID7", "years", "TE", "How many years have you worked here?", "SL",
                 Validation={"Settings": {"ContentType": "ValidNumber"}}),
    ]  # fmt: skip
    blocks = {"Element": "BL", "Payload": [{"Type": "Default", "BlockElements": [
        {"Type": "Question", "QuestionID": f"QID{n}"} for n in range(1, 8)]}]}  # fmt: skip
    qsf = {"SurveyEntry": {"SurveyName": "Scored types"}, "SurveyElements": [blocks, *elements]}
    (folder / "scored.qsf").write_text(json.dumps(qsf), encoding="utf-8")
    meta = [c for c in METADATA_COLUMNS]
    answers = [("group", "Which team are you in?", {"ImportId": "QID1"})]
    grids = (("agree", "QID2", "How far do you agree?"), ("sliders", "QID3", "Rate each, 0 to 100"),
             ("budget", "QID4", "Split 100 points"), ("ranking", "QID5", "Rank these"))  # fmt: skip
    for prefix, qid, text in grids:  # labelled as Qualtrics labels a grid's columns: "<question> - <statement>"
        answers += [(f"{prefix}_{k}", f"{text} - {label}", {"ImportId": f"{qid}_{k}"}) for k, label in items]
    answers += [("recommend", "How likely are you to recommend us?", {"ImportId": "QID6"}),
                ("recommend_NPS_GROUP", "How likely are you to recommend us? - Group", {"ImportId": "QID6_NPS_GROUP"}),
                ("years", "How many years have you worked here?", {"ImportId": "QID7_TEXT"})]  # fmt: skip
    rng = Random(18)
    rows = []
    for n in range(RESPONSES):
        group = 1 + n % 2
        when = f"2025-03-{1 + n % 28:02d} 10:{n % 60:02d}:00"
        values = {
            "StartDate": when, "EndDate": when, "Status": "0", "Progress": "100", "Duration (in seconds)": str(300 + n),
            "Finished": "1", "RecordedDate": when, "ResponseId": f"R_{n:04d}", "DistributionChannel": "anonymous",
            "UserLanguage": "EN",
        }  # fmt: skip
        cells = [str(group)]
        cells += [
            rng.choice(["9", "-99"]) if rng.random() < 0.1 else str(min(5, max(1, rng.randint(1, 4) + group - 1))) for _ in items
        ]
        cells += [f"{rng.uniform(0, 100):.1f}" for _ in items]
        first = rng.randint(0, 100)
        second = rng.randint(0, 100 - first)
        cells += [str(first), str(second), str(100 - first - second)]
        cells += [str(r) for r in rng.sample([1, 2, 3], 3)]
        score = rng.randint(5 + group, 10)
        cells += [str(score), "3" if score >= 9 else "2" if score >= 7 else "1", str(rng.randint(0, 30))]
        rows.append([values.get(name, "") for name, _, _ in meta] + cells)
    with (folder / "scored.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([name for name, _, _ in meta] + [name for name, _, _ in answers])
        writer.writerow([label for _, label, _ in meta] + [label for _, label, _ in answers])
        writer.writerow([json.dumps({"ImportId": i}) for _, _, i in meta] + [json.dumps(i) for _, _, i in answers])
        writer.writerows(rows)
    return folder / "scored.csv", folder / "scored.qsf"


SCORED = {
    "QID1": "single",
    "QID2": "matrix",
    "QID3": "numeric",
    "QID4": "numeric",
    "QID5": "rank",
    "QID6": "nps",
    "QID7": "numeric",
}


def test_sliders_constant_sums_rank_orders_nps_and_numbers_draft_with_their_types(bare_root, tmp_path):
    export, qsf = scored_survey(tmp_path)
    run = init(bare_root, "scored", "--export", export, "--questionnaire", qsf)
    assert run.returncode == 0, run.stderr
    drafted = questions(bare_root, "scored")
    assert {qid: q["type"] for qid, q in drafted.items()} == SCORED
    assert [s["column"] for s in drafted["QID3"]["statements"]] == ["sliders_1", "sliders_2", "sliders_3"]
    assert [s["text"] for s in drafted["QID5"]["statements"]] == ["Price", "Quality", "Service"]
    assert "choices" not in drafted["QID5"] and "choices" not in drafted["QID6"]
    assert drafted["QID7"]["column"] == "years" and "statements" not in drafted["QID7"]
    dont_know = drafted["QID2"]["choices"][-1]
    assert dont_know == {"code": 9, "id": "don_t_know", "label": "Don't know", "nonsubstantive": True}
    study = load_study(bare_root / "config", "scored", {}, bare_root / "workflow" / "schemas")
    assert [e["question"] for e in study.report["exhibits"]] == [
        "group",
        "agree",
        "sliders",
        "budget",
        "ranking",
        "recommend",
        "years",
    ]


# ----------------------------------------------------------------------------- an export alone

DT_TYPES = {
    **{q: "single" for q in ("QID2", "QID10", "QID11", "QID3", "QID4", "QID5", "QID6", "QID7")},
    **{q: "multi" for q in ("QID9", "QID21", "QID13", "QID14", "QID15", "QID16", "QID12")},
    **{q: "matrix" for q in ("QID8", "QID27", "QID23", "QID24", "QID25", "QID26", "QID22", "QID20", "QID18", "QID17")},
    **{q: "multi" for q in ("QID29", "QID36", "QID37", "QID30", "QID31", "QID32", "QID33", "QID34", "QID35")},
    **{f"QID{n}#1": "matrix" for n in (40, 41, 42, 43, 44, 45)},
    **{"QID40#2": "matrix", **{f"QID{n}#2": "multi" for n in (41, 42, 43, 44, 45)}},
    **{q: "text" for q in ("QID47", "QID48")},
}
DT_SKIPPED = ("matrix questions of this kind are not supported yet", "its scale is unknown")


def test_an_export_alone_drafts_each_question_with_its_type_or_why_not(bare_root):
    run = init(bare_root, "datatable", "--export", DATATABLE)
    assert run.returncode == 0, run.stderr
    drafted = questions(bare_root, "datatable")
    assert {qid: q["type"] for qid, q in drafted.items()} == DT_TYPES
    rows = list(csv.reader(DATATABLE.open(encoding="utf-8-sig")))
    import_ids = [json.loads(cell)["ImportId"] for cell in rows[2]]
    asked = {i.split("_")[0] for i in import_ids if i.startswith("QID")}
    codebook = (bare_root / "config" / "datatable" / "codebook.yaml").read_text()
    for qid in sorted(asked - set(DT_TYPES)):
        mark = re.compile(rf"\({qid}[,_]")
        line = next(line for line in codebook.splitlines() if mark.search(line))
        assert line.startswith("#") and (line.endswith(DT_SKIPPED) or "Text iQ" in line), line
        assert mark.search(run.stdout)
    # choices: labels from the header where it holds them, codes (recode values) from the columns
    q16 = drafted["QID16"]["choices"]
    assert [c["code"] for c in q16] == [130, 50, 7, 113, 155, 139, -1, -2]
    assert q16[0]["label"] == "Kale" and q16[-1].get("text") is True
    assert drafted["QID16"]["text"].endswith("eat at a reunion?")
    q6 = {c["code"]: c for c in drafted["QID6"]["choices"]}
    assert q6[1677721500000000].get("text") is True and drafted["QID6"]["column"] == "Q6"
    assert drafted["QID4"]["column"] == "q4_colored_fruit"
    study = load_study(bare_root / "config", "datatable", {}, bare_root / "workflow" / "schemas")
    assert study.config["export_format"] == "qualtrics" and study.config["cleaning"]["min_respondents"] == 10
    assert len(study.report["exhibits"]) == 46 and study.report["findings"] == []
    # a matrix from the export alone: statements from the ``<question> - <statement>`` labels, the scale from its codes
    q23 = drafted["QID23"]
    assert [(s["column"], s["import_id"], s["text"]) for s in q23["statements"]][:2] == [
        ("Q23_cucumbers", "QID23_1", "Cucumbers"),
        ("Q23_pomegranates", "QID23_2", "Pomegranates"),
    ]
    assert [c["code"] for c in drafted["QID25"]["choices"]] == [-2, -1, 1, 10, 100]
    q33 = drafted["QID33"]  # a multiple-answer matrix: statements from the labels, answers from the choiceIds
    assert [(s["column"], s["text"]) for s in q33["statements"]][:2] == [
        ("Q33_avocados", "Underripe Avocados"),
        ("Q33_bananas", "Mushy Bananas"),
    ]
    assert [(c["code"], c["label"]) for c in q33["choices"]] == [(1, "Extra Deep Fried"), (10, "Sautéed, but kind of badly"),
                                                                 (100, "Raw, but with some cayenne pepper on it")]  # fmt: skip


def test_a_legacy_export_alone_drafts_its_questions_from_its_columns_and_answers():
    sample = draft.from_legacy(draft.read_header(REAL / "qualtrics-legacy-sample.csv"))
    assert [(i.key, i.kind, i.text, [c.code for c in i.choices]) for i in sample] == [
        ("Q1", "single", "This is a multiple choice question.", [2]),
        ("Q2", "text", "This is a free text question.", []),
    ]
    ticks = {i.key: i for i in draft.from_legacy(draft.read_header(PAIRS / "matrix-multiple-answer.csv"))}
    assert [c.code for c in ticks["Q2_1"].choices] == [1, 2, 3, 4] and not ticks["Q2_1"].reason
    assert ticks["question_one"].reason.startswith("its column IDs repeat")
    grids = draft.from_legacy(draft.read_header(PAIRS / "matrix-single-answer.csv"))
    assert {i.kind for i in grids} == {"grid"} and all(i.reason.endswith("draft it with the .qsf") for i in grids)


def test_the_codebook_names_only_the_metadata_the_export_has_and_what_each_is_for(bare_root, tmp_path):
    rows = list(csv.reader(DATATABLE.open(encoding="utf-8-sig")))
    absent = ("Status", "Progress", "Duration (in seconds)", "RecordedDate", "DistributionChannel")
    keep = [n for n, name in enumerate(rows[0]) if name not in absent]
    export = tmp_path / "fewer.csv"
    with export.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([[row[n] for n in keep] for row in rows])
    assert init(bare_root, "fewer", "--export", export).returncode == 0
    text = (bare_root / "config" / "fewer" / "codebook.yaml").read_text()
    book = yaml.safe_load(text)
    assert book["survey"]["metadata"] == {
        "start": "StartDate", "end": "EndDate", "finished": "Finished", "response_id": "ResponseId", "language": "UserLanguage"
    }  # fmt: skip
    assert "needs every one" not in text
    assert f"Not in the export, so not named (every one is optional): {', '.join(absent)}." in text
    assert "    finished: Finished  # the `incomplete` rule, where no Progress column" in text.splitlines()
    study = load_study(bare_root / "config", "fewer", {}, bare_root / "workflow" / "schemas")
    assert {r["rule"] for r in study.config["cleaning"]["exclusions"]} == {"incomplete", "duplicate", "speeder"}


def test_an_export_that_cannot_make_tiers_drafts_a_total_only_study(bare_root):
    run = init(bare_root, "sample", "--export", REAL / "qualtrics-current-sample.csv")
    assert run.returncode == 0, run.stderr
    for text in ("Q1: single (1 choices)", "Q2: text", "Text iQ", "no tiers: no single-choice question with 2 to 6 choices"):
        assert text in run.stdout
    assert "the report gives the total only (no group comparisons)" in run.stdout
    drafted = (bare_root / "config" / "sample" / "config.yaml").read_text(encoding="utf-8")
    assert "# No tiers: no single-choice question" in drafted and "\ntiers:" not in drafted
    report = yaml.safe_load((bare_root / "config" / "sample" / "report.yaml").read_text(encoding="utf-8"))
    assert report["style"]["palette"].keys() == {"total"} and report["style"]["hatches"] == {}
    assert {exhibit["by"] for exhibit in report["exhibits"]} == {"total"}
    study = load_study(bare_root / "config", "sample", {}, bare_root / "workflow" / "schemas")
    assert study.config["tiers"]["levels"] == []


def test_banner_names_the_tier_question(bare_root):
    run = init(bare_root, "datatable", "--export", DATATABLE, "--banner", "q4_colored_fruit")
    assert run.returncode == 0, run.stderr
    config = yaml.safe_load((bare_root / "config" / "datatable" / "config.yaml").read_text())
    assert config["tiers"]["question"] == "q4_colored_fruit" and len(config["tiers"]["levels"]) == 4
    report = yaml.safe_load((bare_root / "config" / "datatable" / "report.yaml").read_text())
    ids = [level["id"] for level in config["tiers"]["levels"]]
    assert set(report["style"]["palette"]) == {"total", *ids} and set(report["style"]["hatches"]) == set(ids)
    assert len(set(report["style"]["hatches"].values())) == 4


def test_a_banner_that_is_not_single_choice_is_refused(bare_root):
    run = init(bare_root, "datatable", "--export", DATATABLE, "--banner", "Q9")
    assert run.returncode == 1 and "--banner Q9: a multi question" in run.stderr
    assert not (bare_root / "config" / "datatable").exists()


def test_an_existing_study_is_never_overwritten(bare_root):
    assert init(bare_root, "datatable", "--export", DATATABLE).returncode == 0
    before = {p: p.read_bytes() for p in (bare_root / "config" / "datatable").iterdir()}
    run = init(bare_root, "datatable", "--export", DATATABLE, "--banner", "Q10")
    assert run.returncode == 1 and "exists already" in run.stderr
    assert {p: p.read_bytes() for p in (bare_root / "config" / "datatable").iterdir()} == before


def test_an_export_under_data_raw_is_referenced_not_copied(bare_root):
    (bare_root / "data" / "raw").mkdir(parents=True)
    shutil.copy(DATATABLE, bare_root / "data" / "raw" / "mine.csv")
    assert init(bare_root, "mine", "--export", "data/raw/mine.csv").returncode == 0
    assert yaml.safe_load((bare_root / "config" / "mine" / "config.yaml").read_text())["export"] == "data/raw/mine.csv"
    assert sorted(p.name for p in (bare_root / "data" / "raw").iterdir()) == ["mine.csv"]


def test_usage_errors_exit_2(bare_root):
    run = init(bare_root, "x")
    assert run.returncode == 2 and "--export" in run.stderr


def test_the_console_script_is_declared():
    assert 'surveyreport = "surveyreport.cli:main"' in (ROOT / "pyproject.toml").read_text()


# ----------------------------------------------------------------------------- the workflow builds the drafts


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name, args",
    [
        pytest.param(
            "fruit",
            ["--export", PAIRS / "better-sample-survey.csv", "--questionnaire", PAIRS / "better-sample-survey.qsf"],
            marks=pytest.mark.long,
        ),
        pytest.param("datatable", ["--export", DATATABLE], marks=pytest.mark.long),
        pytest.param(
            "grids",
            ["--export", PAIRS / "matrix-single-answer.csv", "--questionnaire", PAIRS / "matrix-single-answer.qsf"],
            marks=pytest.mark.long,
        ),
        pytest.param(
            "sbs", ["--export", PAIRS / "side-by-side.csv", "--questionnaire", PAIRS / "side-by-side.qsf"], marks=pytest.mark.long
        ),
        # no single-choice question to make tiers of: total-only reports
        pytest.param(
            "ticks",
            ["--export", PAIRS / "matrix-multiple-answer.csv", "--questionnaire", PAIRS / "matrix-multiple-answer.qsf"],
            marks=pytest.mark.long,
        ),
        ("current", ["--export", REAL / "qualtrics-current-sample.csv"]),
        pytest.param("legacy", ["--export", REAL / "qualtrics-legacy-sample.csv"], marks=pytest.mark.long),
        pytest.param("scored", [], marks=pytest.mark.long),
    ],
)
def test_the_workflow_builds_a_report_from_the_draft_with_no_edit(tmp_path, name, args):
    workdir = copy_project(tmp_path / "project")
    if name == "scored":
        args = ["--export", "--questionnaire"]
        args = [a for pair in zip(args, scored_survey(tmp_path)) for a in pair]
    run = init(workdir, name, *args)
    assert run.returncode == 0, run.stderr
    build = snakemake(workdir, "--config", f"study={name}")
    assert build.returncode == 0, build.stderr[-3000:]
    assert (workdir / "results" / name / "report.pdf").stat().st_size > 10_000
    if name == "scored":
        built_scored_types(workdir / "results" / name)
    if name in ("ticks", "current", "legacy"):  # no question makes tiers: the total alone
        assert set(pd.read_csv(workdir / "results" / name / "crosstab" / "crosstabs.csv")["column"]) == {"total"}
    counted_by_hand(workdir, name)


def counted_by_hand(workdir, name):
    """Each single-answer question's and grid statement's total counts, counted from the export's own cells for the
    responses the cleaning kept, equal the crosstab's."""
    book = load_codebook(workdir / "config" / name / "codebook.yaml")
    export = workdir / yaml.safe_load((workdir / "config" / name / "config.yaml").read_text(encoding="utf-8"))["export"]
    kept = set(pd.read_feather(workdir / "results" / name / "tier" / "respondents.arrow", columns=["response_id"])["response_id"])
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    id_column = next(i for i in range(len(rows[0])) if kept <= {row[i] for row in rows if len(row) > i})  # ResponseI[Dd]
    answers = [row for row in rows if row[id_column] in kept]
    assert len(answers) == len(kept)
    crosstabs = pd.read_csv(workdir / "results" / name / "crosstab" / "crosstabs.csv", keep_default_na=False)
    total = crosstabs[crosstabs["column"] == "total"].set_index(["question", "choice"])["count"]
    compared = 0
    for question in book.tabulated:
        if question.multi or ":" in question.column or rows[0].count(question.column) != 1:
            continue  # ticks, and columns named by their place among repeats, are read in tests of their own
        cells = [row[rows[0].index(question.column)] for row in answers]
        for choice in question.choices:
            written = {str(choice.code), choice.label, choice.matched}
            assert total[(question.id, choice.id)] == sum(cell in written for cell in cells), (question.id, choice.id)
            compared += 1
    assert compared or all(question.multi for question in book.tabulated)  # ticks alone: read in a test of their own


def built_scored_types(results):
    """What a build of the scored survey gives: nets among the answers, the scores and their tests, in the report."""
    from openpyxl import load_workbook

    crosstabs = pd.read_csv(results / "crosstab" / "crosstabs.csv")
    assert {"net:top", "net:bottom", "net:promoters", "net:passives", "net:detractors"} <= set(crosstabs["choice"])
    assert {"agree.price", "ranking.service", "recommend"} <= set(crosstabs["question"])
    scored = pd.read_csv(results / "crosstab" / "scores.csv")
    assert set(scored["question"]) == {
        f"{q}.{s}" for q in ("agree", "sliders", "budget", "ranking") for s in ("price", "quality", "service")
    } | {"recommend", "years"}
    assert set(scored.loc[scored["question"] == "recommend", "statistic"]) == {"nps"}
    book = load_workbook(results / "crosstab" / "crosstabs.xlsx", read_only=True)
    assert {"agree.price", "Scores", "Score tests"} <= set(book.sheetnames)
    html = (results / "report.html").read_text(encoding="utf-8")
    assert (
        "Net promoter score" in html
        and "Mean rank" in html
        and "Standard deviation" in html
        and "Top 2 (Agree + Strongly agree)" in html
    )
    ledger = pd.read_csv(results / "ledger.csv", dtype=str, keep_default_na=False)
    assert {"nps", "mean", "score interval", "median", "standard deviation"} <= set(ledger["kind"])


def test_a_number_that_is_not_one_is_refused_where_it_is(bare_root, tmp_path):
    export, qsf = scored_survey(tmp_path)
    assert init(bare_root, "scored", "--export", export, "--questionnaire", qsf).returncode == 0
    rows = list(csv.reader(export.open(encoding="utf-8")))
    rows[5][rows[0].index("sliders_2")] = "about 40"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    with pytest.raises(SurveyError) as error:
        read_export(edited, load_codebook(bare_root / "config" / "scored" / "codebook.yaml"))
    assert "cannot read 'about 40' as a number" in str(error.value)
    assert "row 6" in str(error.value) and "sliders_2" in str(error.value)
