"""`surveyreport init` drafts a study folder from real Qualtrics exports, and the workflow builds it."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from surveyreport.codebook import load_codebook
from surveyreport.platforms import read_export
from surveyreport.study import load_study

from .conftest import ROOT, copy_project, snakemake

REAL = ROOT / "tests" / "data" / "real-exports"
PAIRS = REAL / "qualtricstools"
DATATABLE = REAL / "qualtrics-datatable-all-question-types.first10.csv"
MATRIX = "matrix questions are not supported yet"
SBS = "side-by-side questions are not supported yet"


def init(root, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "surveyreport.cli", "init", *map(str, args), "--root", str(root)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=root, check=False)


@pytest.fixture
def root(tmp_path):
    """A bare project: the schemas a draft is checked against."""
    shutil.copytree(ROOT / "workflow" / "schemas", tmp_path / "workflow" / "schemas")
    return tmp_path


def questions(root, name):
    book = yaml.safe_load((root / "config" / name / "codebook.yaml").read_text())
    return {q["import_id"].removesuffix("_TEXT"): q for q in book["questions"]}


def qsf_questions(path):
    elements = json.loads(path.read_text(encoding="utf-8"))["SurveyElements"]
    return {e["Payload"]["QuestionID"] for e in elements if e["Element"] == "SQ"}


# ----------------------------------------------------------------------------- a questionnaire and its export

BETTER = {"QID1": "single", "QID5": "multi", "QID3": "text"}
BETTER_SKIPPED = {
    "QID4": MATRIX, "QID2": MATRIX, "QID8": MATRIX, "QID9": MATRIX,
    "QID6": SBS, "QID10": SBS, "QID11": SBS, "QID12": SBS, "QID7": "in the survey's trash: not asked",
}  # fmt: skip


def test_a_questionnaire_drafts_each_question_with_its_type_or_why_not(root):
    run = init(
        root, "fruit", "--export", PAIRS / "better-sample-survey.csv", "--questionnaire", PAIRS / "better-sample-survey.qsf"
    )
    assert run.returncode == 0, run.stderr
    drafted = questions(root, "fruit")
    assert {qid: q["type"] for qid, q in drafted.items()} == BETTER
    assert drafted["QID1"]["column"] == "q2_favorite"
    assert [c["label"] for c in drafted["QID1"]["choices"]] == ["Canteloupe", "Kiwi", "Pomagranite"]
    assert [c["code"] for c in drafted["QID5"]["choices"]] == [1, 2, 3, 4]
    codebook = (root / "config" / "fruit" / "codebook.yaml").read_text()
    for qid, reason in BETTER_SKIPPED.items():
        line = next(line for line in codebook.splitlines() if f"({qid}," in line)
        assert line.startswith("#") and line.endswith(reason), line
        assert f"({qid}, " in run.stdout and reason in run.stdout
    assert qsf_questions(PAIRS / "better-sample-survey.qsf") == set(BETTER) | set(BETTER_SKIPPED)
    study = load_study(root / "config", "fruit", {}, root / "workflow" / "schemas")
    assert study.config["export"] == "data/raw/better-sample-survey.csv"
    assert (root / "data" / "raw" / "better-sample-survey.csv").read_bytes() == (PAIRS / "better-sample-survey.csv").read_bytes()
    tiers = study.config["tiers"]
    assert tiers["question"] == "q2_favorite" and [t["choices"] for t in tiers["levels"]] == [
        ["canteloupe"],
        ["kiwi"],
        ["pomagranite"],
    ]
    assert "no --banner given" in (root / "config" / "fruit" / "config.yaml").read_text()
    assert [e["question"] for e in study.report["exhibits"]] == ["q2_favorite", "q3_volunteer"]
    # every test response is kept (the export holds nothing else), previews dropped; no Progress/Duration columns
    rules = {r["rule"]: r for r in study.config["cleaning"]["exclusions"]}
    assert rules["status"]["drop_status"] == [1] and set(rules) == {"status", "incomplete", "duplicate", "speeder"}


def test_a_legacy_export_with_a_third_header_row_of_import_ids_is_read(root):
    """Exports of about 2016: column IDs, labels, then ``{'ImportId': 'QID1'}``; responses from row 4."""
    assert (
        init(
            root, "fruit", "--export", PAIRS / "better-sample-survey.csv", "--questionnaire", PAIRS / "better-sample-survey.qsf"
        ).returncode
        == 0
    )
    frame = read_export(
        root / "data" / "raw" / "better-sample-survey.csv", load_codebook(root / "config" / "fruit" / "codebook.yaml")
    )
    assert len(frame) == 10 and frame["response_id"].iloc[0] == "R_9RWrgh1F9m7488l"
    assert frame["q2_favorite"].astype(str).tolist() == ["canteloupe", "canteloupe", "kiwi", "pomagranite", "canteloupe",
                                                          "kiwi", "kiwi", "kiwi", "kiwi", "canteloupe"]  # fmt: skip


@pytest.mark.parametrize(
    "pair, reasons",
    [
        ("matrix-single-answer", {**{f"QID{n}": MATRIX for n in (1, 2, 3, 4, 6, 8, 10, 11, 12)},
                                  **{f"QID{n}": "in the survey's trash: not asked" for n in (5, 7, 9)}}),
        ("matrix-multiple-answer", {f"QID{n}": MATRIX for n in (2, 3, 4, 5, 6)}),
        ("side-by-side", {f"QID{n}": SBS for n in range(1, 9)}),
    ],
)  # fmt: skip
def test_a_questionnaire_of_no_supported_type_is_refused_with_every_question_listed(root, pair, reasons):
    run = init(root, "draft", "--export", PAIRS / f"{pair}.csv", "--questionnaire", PAIRS / f"{pair}.qsf")
    assert run.returncode == 1
    assert "is of a type the pipeline reads" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert qsf_questions(PAIRS / f"{pair}.qsf") == set(reasons)
    for qid, reason in reasons.items():
        assert any(f"({qid}, " in line and line.endswith(reason) for line in run.stdout.splitlines()), qid
    assert not (root / "config").exists() or not any((root / "config").iterdir())
    assert not (root / "data").exists()


# ----------------------------------------------------------------------------- an export alone

DT_TYPES = {
    **{q: "single" for q in ("QID2", "QID10", "QID11", "QID3", "QID4", "QID5", "QID6", "QID7")},
    **{q: "multi" for q in ("QID9", "QID21", "QID13", "QID14", "QID15", "QID16", "QID12")},
    **{q: "text" for q in ("QID47", "QID48")},
}


def test_an_export_alone_drafts_each_question_with_its_type_or_why_not(root):
    run = init(root, "datatable", "--export", DATATABLE)
    assert run.returncode == 0, run.stderr
    drafted = questions(root, "datatable")
    assert {qid: q["type"] for qid, q in drafted.items()} == DT_TYPES
    rows = list(csv.reader(DATATABLE.open(encoding="utf-8-sig")))
    import_ids = [json.loads(cell)["ImportId"] for cell in rows[2]]
    asked = {i.split("_")[0].split("#")[0] for i in import_ids if i.startswith("QID")}
    codebook = (root / "config" / "datatable" / "codebook.yaml").read_text()
    for qid in sorted(asked - set(DT_TYPES)):
        mark = re.compile(rf"\({qid}[,_]")
        line = next(line for line in codebook.splitlines() if mark.search(line))
        assert line.startswith("#") and (line.endswith((MATRIX, SBS)) or "Text iQ" in line), line
        assert mark.search(run.stdout)
    # choices: labels from the header where it holds them, codes (recode values) from the columns
    q16 = drafted["QID16"]["choices"]
    assert [c["code"] for c in q16] == [130, 50, 7, 113, 155, 139, -1, -2]
    assert q16[0]["label"] == "Kale" and q16[-1].get("text") is True
    assert drafted["QID16"]["text"].endswith("eat at a reunion?")
    q6 = {c["code"]: c for c in drafted["QID6"]["choices"]}
    assert q6[1677721500000000].get("text") is True and drafted["QID6"]["column"] == "Q6"
    assert drafted["QID4"]["column"] == "q4_colored_fruit"
    study = load_study(root / "config", "datatable", {}, root / "workflow" / "schemas")
    assert study.config["export_format"] == "qualtrics" and study.config["cleaning"]["min_respondents"] == 10
    assert len(study.report["exhibits"]) == 15 and study.report["findings"] == []


@pytest.mark.parametrize(
    "export, message, listed",
    [
        ("qualtrics-current-sample.csv", "no single-choice question with 2 to 6 choices", ["Q1: single (1 choices)", "Q2: text", "Text iQ"]),
        ("qualtrics-legacy-sample.csv", "a legacy export names no question types", []),
    ],
)  # fmt: skip
def test_an_export_that_cannot_make_tiers_or_types_is_refused(root, export, message, listed):
    run = init(root, "sample", "--export", REAL / export)
    assert run.returncode == 1 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    for text in listed:
        assert text in run.stdout
    assert not (root / "config" / "sample").exists() and not (root / "data").exists()


def test_banner_names_the_tier_question(root):
    run = init(root, "datatable", "--export", DATATABLE, "--banner", "q4_colored_fruit")
    assert run.returncode == 0, run.stderr
    config = yaml.safe_load((root / "config" / "datatable" / "config.yaml").read_text())
    assert config["tiers"]["question"] == "q4_colored_fruit" and len(config["tiers"]["levels"]) == 4
    report = yaml.safe_load((root / "config" / "datatable" / "report.yaml").read_text())
    ids = [level["id"] for level in config["tiers"]["levels"]]
    assert set(report["style"]["palette"]) == {"total", *ids} and set(report["style"]["hatches"]) == set(ids)
    assert len(set(report["style"]["hatches"].values())) == 4


def test_a_banner_that_is_not_single_choice_is_refused(root):
    run = init(root, "datatable", "--export", DATATABLE, "--banner", "Q9")
    assert run.returncode == 1 and "--banner Q9: a multi question" in run.stderr
    assert not (root / "config" / "datatable").exists()


def test_an_existing_study_is_never_overwritten(root):
    assert init(root, "datatable", "--export", DATATABLE).returncode == 0
    before = {p: p.read_bytes() for p in (root / "config" / "datatable").iterdir()}
    run = init(root, "datatable", "--export", DATATABLE, "--banner", "Q10")
    assert run.returncode == 1 and "exists already" in run.stderr
    assert {p: p.read_bytes() for p in (root / "config" / "datatable").iterdir()} == before


def test_an_export_under_data_raw_is_referenced_not_copied(root):
    (root / "data" / "raw").mkdir(parents=True)
    shutil.copy(DATATABLE, root / "data" / "raw" / "mine.csv")
    assert init(root, "mine", "--export", "data/raw/mine.csv").returncode == 0
    assert yaml.safe_load((root / "config" / "mine" / "config.yaml").read_text())["export"] == "data/raw/mine.csv"
    assert sorted(p.name for p in (root / "data" / "raw").iterdir()) == ["mine.csv"]


def test_usage_errors_exit_2(root):
    run = init(root, "x")
    assert run.returncode == 2 and "--export" in run.stderr


def test_the_console_script_is_declared():
    assert 'surveyreport = "surveyreport.cli:main"' in (ROOT / "pyproject.toml").read_text()


# ----------------------------------------------------------------------------- the workflow builds the drafts


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name, args",
    [
        ("fruit", ["--export", PAIRS / "better-sample-survey.csv", "--questionnaire", PAIRS / "better-sample-survey.qsf"]),
        ("datatable", ["--export", DATATABLE]),
    ],
)
def test_the_workflow_builds_a_report_from_the_draft_with_no_edit(tmp_path, name, args):
    workdir = copy_project(tmp_path / "project")
    run = init(workdir, name, *args)
    assert run.returncode == 0, run.stderr
    build = snakemake(workdir, "--config", f"study={name}")
    assert build.returncode == 0, build.stderr[-3000:]
    assert (workdir / "results" / name / "report.pdf").stat().st_size > 10_000
