"""A Qualtrics survey definition (``.qsf``): its questions, in the order the survey shows them.

A ``.qsf`` file is JSON: ``SurveyElements`` holds one ``SQ`` element per question (its
``Payload``: ``QuestionType``, ``Selector``, ``DataExportTag``, ``QuestionText``,
``Choices``, ``ChoiceOrder``, ``RecodeValues``) and a ``BL`` element listing the blocks and
the questions in each (the ``Trash`` block holds deleted ones). Only what the drafting of a
study needs is read.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SurveyError

TAG = re.compile(r"<[^>]*>")


def plain(text: object) -> str:
    """Question or choice text without HTML tags and entities, on one line."""
    return " ".join(html.unescape(TAG.sub(" ", str(text or ""))).split())


@dataclass(frozen=True)
class QsfChoice:
    id: str  # the choice's id in the survey (its ``choiceId`` in an export's ImportId)
    code: str  # the exported value: its recode value, else its id
    label: str
    text_entry: bool  # a "please specify" box


@dataclass(frozen=True)
class QsfQuestion:
    qid: str  # QID12
    tag: str  # DataExportTag: the export's column (or column prefix)
    type: str  # QuestionType: MC, TE, Matrix, SBS, Slider, RO, CS, DB, Timing, Meta ...
    selector: str  # SAVR, MAVR, DL, SL, Likert ...
    sub_selector: str
    text: str
    choices: tuple[QsfChoice, ...]  # a multiple choice's answers; a grid's statements (Matrix, Slider, CS, RO)
    trashed: bool  # in the survey's trash: not asked
    scale: tuple[QsfChoice, ...] = ()  # a matrix's answers (its columns), codes from its recode values
    export_tags: tuple[tuple[str, str], ...] = ()  # a grid's ChoiceDataExportTags: statement id -> column suffix
    numeric: bool = False  # a text entry validated as a number
    columns: tuple[QsfQuestion, ...] = ()  # a side-by-side's columns: each a matrix of the same statements


@dataclass(frozen=True)
class Qsf:
    name: str
    questions: tuple[QsfQuestion, ...]


GRIDS = ("Matrix", "Slider", "CS", "RO")  # question types whose Choices are statements, one export column each


def _choices(payload: dict, key: str = "Choices", recoded: bool = True) -> tuple[QsfChoice, ...]:
    """The ``Choices`` (or a matrix's ``Answers``) in their order; codes are the recode values where ``recoded``."""
    choices = payload.get(key) or {}
    if isinstance(choices, list):  # some exports write a list indexed from 1
        choices = {str(i + 1): c for i, c in enumerate(choices) if c}
    order = [str(c) for c in payload.get(key.removesuffix("s") + "Order") or choices]
    recodes = (payload.get("RecodeValues") or {}) if recoded else {}
    out = []
    for choice_id in order:
        choice = choices.get(choice_id)
        if not isinstance(choice, dict):
            continue
        entry = choice.get("TextEntry")
        out.append(
            QsfChoice(
                id=choice_id,
                code=str(recodes.get(choice_id, choice_id)),
                label=plain(choice.get("Display")),
                text_entry=entry in (True, "true", "on", 1),
            )
        )
    return tuple(out)


def _question(qid: str, payload: dict, trashed: bool, statements: dict | None = None) -> QsfQuestion:
    """One question; a side-by-side's columns (``AdditionalQuestions``) as matrices of its statements."""
    kind = payload.get("QuestionType")
    tags = payload.get("ChoiceDataExportTags")
    validation = ((payload.get("Validation") or {}).get("Settings") or {}).get("ContentType")
    rows = statements or payload
    columns = payload.get("AdditionalQuestions") if kind == "SBS" else None
    if isinstance(columns, list):
        columns = {str(i + 1): c for i, c in enumerate(columns) if c}
    text = plain(payload.get("QuestionText"))
    return QsfQuestion(
        qid=qid,
        tag=str(payload.get("DataExportTag") or qid),
        type=str(kind or ""),
        selector=str(payload.get("Selector") or ""),
        sub_selector=str(payload.get("SubSelector") or ""),
        text=text,
        choices=_choices(payload) if kind == "MC" else _choices(rows, recoded=False) if kind in GRIDS else (),
        trashed=trashed,
        scale=_choices(payload, "Answers") if kind == "Matrix" else (),
        export_tags=tuple((str(k), str(v)) for k, v in tags.items()) if isinstance(tags, dict) else (),
        numeric=kind == "TE" and validation == "ValidNumber",
        columns=tuple(
            _question(f"{qid}#{k}", {**column, "QuestionText": f"{text} – {plain(column.get('QuestionText'))}"}, trashed, payload)
            for k, column in (columns or {}).items()
            if isinstance(column, dict)
        ),
    )


def read_qsf(path: str | Path) -> Qsf:
    """The survey's questions: those of its blocks in block order, then any other (trashed) ones."""
    path = Path(path)
    try:
        survey = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        elements = survey["SurveyElements"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        problem = "no SurveyElements" if isinstance(error, (KeyError, TypeError)) else str(error).splitlines()[0][:120]
        raise SurveyError(f"not a Qualtrics survey definition: {problem}", file=path, expected="a .qsf file (JSON)") from None
    payloads = {e["Payload"]["QuestionID"]: e["Payload"] for e in elements if e.get("Element") == "SQ" and e.get("Payload")}
    blocks = next((e.get("Payload") for e in elements if e.get("Element") == "BL"), None) or []
    if isinstance(blocks, dict):
        blocks = list(blocks.values())
    asked: list[str] = []
    trash: set[str] = set()
    for block in blocks:
        ids = [b.get("QuestionID") for b in block.get("BlockElements", []) if b.get("Type") == "Question"]
        if block.get("Type") == "Trash":
            trash.update(ids)
        else:
            asked += [i for i in ids if i in payloads and i not in asked]
    order = asked + [qid for qid in payloads if qid not in asked]
    questions = [_question(qid, payloads[qid], qid in trash or (bool(blocks) and qid not in asked)) for qid in order]
    name = plain((survey.get("SurveyEntry") or {}).get("SurveyName"))
    return Qsf(name=name, questions=tuple(questions))
