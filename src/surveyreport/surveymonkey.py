"""SurveyMonkey CSV exports: read one into an Export.

The layout is the platform's: two header rows, the question text only above a
question's first column; under it ``Response`` (the chosen choice's text),
``Open-Ended Response``, one column per choice of a check-all question (its text
when ticked, blank when not), one per statement of a matrix or rating scale (the
chosen answer's text) and ``Other (please specify)`` (the typed text).
There are no status, progress or duration columns: a response is a real one,
its duration is end minus start, and its progress the share of closed questions
up to the last it answered. Questions are found by their text (the codebook's
``text``, or ``surveymonkey`` where the heading differs).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .codebook import Codebook, Question
from .csvcells import read_csv_cells, response_rows
from .errors import SurveyError
from .export import Export, check_columns

log = logging.getLogger("surveyreport")

DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"
META = {"Respondent ID": "response_id", "Start Date": "start", "End Date": "end"}
PII = {
    "IP Address": "ip_address",
    "Email Address": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Custom Data 1": "external_reference",
}
OTHER_METADATA = ("Collector ID",)
RESPONSE = "Response"
OPEN = "Open-Ended Response"
OTHER = "Other (please specify)"


def heading(question: Question) -> str:
    return " ".join((question.surveymonkey or question.text).split())


def _sub_columns(question: Question) -> list[str]:
    """Row-2 labels of a question's columns, in the platform's order (a comment field's is the export's own)."""
    if question.statements:  # a matrix or rating scale: one column per statement, headed by its text
        return [" ".join(part.statement.split()) for part in question.parts]
    if question.multi:
        return [OTHER if c.text else c.matched for c in question.choices]
    if question.closed:
        return [RESPONSE] + ([OTHER] if any(c.text for c in question.choices) else [])
    return [OPEN]


def _blocks(headings: list[str], subs: list[str], path: Path) -> dict[str, dict[str, int]]:
    """Heading -> {row-2 label -> column index}; a heading covers the columns up to the next one."""
    blocks: dict[str, dict[str, int]] = {}
    current = ""
    for index, (head, sub) in enumerate(zip(headings, subs)):
        if head:
            current = " ".join(head.split())
            if current in blocks:
                raise SurveyError(f"the heading {current!r} appears twice", file=path, row=1, column=f"column {index + 1}")
            blocks[current] = {}
        if current:
            blocks[current][" ".join(sub.split())] = index
    return blocks


def _comments(codebook: Codebook, blocks: dict[str, dict[str, int]]) -> dict[str, str]:
    """Text question -> the row-2 label of the comment field it reads.

    A closed question's comment box ("Add a comment field") has no column of its
    own heading: a text question under the closed question's heading reads the
    column of that heading no closed question claims.
    """
    claimed: dict[str, set[str]] = {}
    for question in codebook.closed:
        claimed.setdefault(heading(question), set()).update(_sub_columns(question))
    comments = {}
    for question in codebook.questions:
        head = heading(question)
        if question.closed or head not in blocks or OPEN in blocks[head]:
            continue
        free = [sub for sub in blocks[head] if sub not in claimed.get(head, set())]
        if len(free) == 1:
            comments[question.id] = free[0]
    return comments


def read(path: Path, codebook: Codebook) -> Export:
    cells = read_csv_cells(path, "a SurveyMonkey CSV export")
    if len(cells) < 2:
        raise SurveyError(f"the file has {len(cells)} row(s)", file=path, expected="two header rows, then responses")
    blocks = _blocks(list(cells.iloc[0]), list(cells.iloc[1]), path)
    comments = _comments(codebook, blocks)

    def subs(question: Question) -> list[str]:
        return [comments[question.id]] if question.id in comments else _sub_columns(question)

    wanted = [*META, *(f"{heading(q)} / {sub}" for q in codebook.questions for sub in subs(q))]
    present = [*(h for h in blocks if "" in blocks[h]), *(f"{h} / {s}" for h, subs in blocks.items() for s in subs if s)]
    known = set(PII) | set(OTHER_METADATA)
    check_columns(present, path, codebook, wanted, known)
    data = response_rows(cells, 2, path, list(range(cells.shape[1])))

    def column(head: str, sub: str = "") -> pd.Series:
        return data.iloc[:, blocks[head][sub]]

    answers: dict[str, pd.Series] = {}
    names = {key: name for name, key in META.items()}
    for question in codebook.questions:
        head = heading(question)
        columns = {sub: column(head, sub) for sub in subs(question)}
        names.update(_question_names(question, head, list(columns)))
        answers.update(_question_cells(question, columns))
    meta = pd.DataFrame({key: column(name) for name, key in META.items()})
    meta["status"] = "0"
    log.info("%s: SurveyMonkey exports no status, progress or duration: derived from the answers and the times", path)
    return Export(
        path=path,
        platform="surveymonkey",
        meta=meta,
        pii=pd.DataFrame({key: column(name) for name, key in PII.items() if name in blocks}, index=data.index),
        answers=pd.DataFrame(answers, index=data.index),
        first_row=3,
        names=names,
        date_format=DATE_FORMAT,
    )


def _question_names(question: Question, head: str, subs: list[str]) -> dict[str, str]:
    """Export column -> the heading and row-2 label it is found under, whole (two questions may begin alike)."""
    if question.statements:
        return {part.column: f"{head} / {sub}" for part, sub in zip(question.parts, subs)}
    if question.multi:
        names = {f"{question.column}_{c.code}": f"{head} / {sub}" for c, sub in zip(question.choices, subs)}
    else:
        names = {question.column: f"{head} / {subs[0]}"}
    names.update({f"{question.column}_{c.code}_TEXT": f"{head} / {OTHER}" for c in question.choices if c.text})
    return names


def _question_cells(question: Question, columns: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """The question's cells as a Qualtrics split export has them (codes or labels, ``1`` for a tick)."""
    out: dict[str, pd.Series] = {}
    if question.statements:  # each statement's chosen answer, by its text
        matched = {c.matched: str(c.code) for c in question.choices if c.match}
        return {part.column: cells.replace(matched) for part, cells in zip(question.parts, columns.values())}
    if not question.closed:
        return {question.column: next(iter(columns.values()))}
    other = next((c for c in question.choices if c.text), None)
    typed = columns.get(OTHER)
    if question.multi:
        for choice in question.choices:
            if choice is other:
                out[f"{question.column}_{choice.code}"] = typed.ne("").map({True: "1", False: ""})
            else:
                cells = columns[choice.matched]
                out[f"{question.column}_{choice.code}"] = cells.where(cells.ne(choice.matched), "1")
    else:
        response = columns[RESPONSE].replace({c.matched: str(c.code) for c in question.choices if c.match})
        if other is not None:
            response = response.where(response.ne("") | typed.eq(""), str(other.code))
        out[question.column] = response
    if other is not None:
        out[f"{question.column}_{other.code}_TEXT"] = typed.where(typed != other.matched, "")
    return out
