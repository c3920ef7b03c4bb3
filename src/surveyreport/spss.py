"""SPSS ``.sav`` exports (as Qualtrics writes them): read one into an Export.

Variables carry the export's column names made SPSS-safe (``Duration (in
seconds)`` becomes ``Duration__in_seconds_``). Closed questions hold their codes,
with value labels that must agree with the codebook's; a multi-select question
is a multiple-response set ``$<column>`` (multiple dichotomy: its counted value
marks a tick) over the variables ``<column>_<code>``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyreadstat

from .codebook import Codebook, Question
from .errors import SurveyError
from .export import Export, check_columns
from .qualtrics import METADATA_COLUMNS, question_columns
from .tidy import DATE_FORMAT


def variable(column: str) -> str:
    """The SPSS variable name of an export column."""
    return re.sub(r"\W", "_", column)


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _text(series: pd.Series) -> pd.Series:
    """A variable's values as the text a CSV export would hold ("" for missing)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime(DATE_FORMAT).fillna("")
    if pd.api.types.is_numeric_dtype(series):
        whole = series.dropna().eq(series.dropna().round()).all()
        text = series.map(lambda v: "" if pd.isna(v) else (f"{v:.0f}" if whole else repr(float(v))))
        return text.astype(object)
    return series.fillna("").astype(str)


def read(path: Path, codebook: Codebook) -> Export:
    try:
        frame, meta = pyreadstat.read_sav(str(path))
    except Exception as error:  # pyreadstat raises its own error types for unreadable files
        raise SurveyError(f"not a readable SPSS file ({error})", file=path, expected="an SPSS .sav export") from None
    if frame.empty:
        raise SurveyError("the file has its variables but no cases", file=path, expected="responses")
    header = list(frame.columns)
    metadata = {key: variable(column) for key, column in codebook.metadata.items()}
    pii = {key: variable(column) for key, column in codebook.pii.items()}
    ticks = {q.column: _tick_variables(q, meta.mr_sets.get(q.column), header, path) for q in codebook.questions if q.multi}
    questions = []
    for question in codebook.questions:
        if question.multi:
            questions.extend(ticks[question.column][0].values())
            questions.extend(c.name for c in question_columns(question) if c.is_text)
        else:
            questions.extend(c.name for c in question_columns(question))
    known = set(pii.values()) | {variable(name) for name, _, _ in METADATA_COLUMNS}
    check_columns(header, path, codebook, [*metadata.values(), *questions], known)
    _check_value_labels(codebook, meta.variable_value_labels, path)
    answers: dict[str, pd.Series] = {}
    names: dict[str, str] = {}
    for question in codebook.questions:
        for col in question_columns(question):
            if question.multi and not col.is_text:
                source, counted = ticks[question.column][0][col.name], ticks[question.column][1]
                answers[col.name] = (
                    frame[source].eq(counted).map({True: "1", False: ""}) if counted is not None else _text(frame[source])
                )
                names[col.name] = source
            else:
                answers[col.name] = _text(frame[col.name])
    return Export(
        path=path,
        platform="spss",
        meta=pd.DataFrame({key: _text(frame[name]) for key, name in metadata.items()}, index=frame.index),
        pii=pd.DataFrame({key: _text(frame[name]) for key, name in pii.items() if name in frame}, index=frame.index),
        answers=pd.DataFrame(answers, index=frame.index),
        first_row=1,
        names={**metadata, **names},
    )


def _tick_variables(question: Question, mr_set: dict | None, header: list[str], path: Path) -> tuple[dict[str, str], object]:
    """Split column -> variable holding it, and the counted value (None: read 1/0 as a CSV would)."""
    expected = {f"{question.column}_{c.code}": f"{question.column}_{c.code}" for c in question.choices}
    if mr_set is None:
        return expected, None
    listed = list(mr_set["variable_list"])
    if not mr_set.get("is_dichotomy", False):
        raise SurveyError(
            f"the multiple-response set ${question.column} is a category set",
            file=path,
            column=f"${question.column}",
            expected="a multiple dichotomy set, one variable per choice",
        )
    if set(listed) == set(expected):
        return expected, mr_set["counted_value"]
    if len(listed) != len(question.choices):
        raise SurveyError(
            f"the multiple-response set ${question.column} has {len(listed)} variables",
            file=path,
            column=f"${question.column}",
            expected=f"one per choice of the codebook's question {question.id!r} ({len(question.choices)})",
        )
    return dict(zip(expected, listed)), mr_set["counted_value"]


def _check_value_labels(codebook: Codebook, labels: dict[str, dict], path: Path) -> None:
    """A value label that names another answer than the codebook's: the questionnaire does not match."""
    for question in codebook.closed:
        if question.multi:
            continue
        by_code = {c.code: c.matched for c in question.choices}
        for value, label in labels.get(question.column, {}).items():
            code = int(value) if float(value).is_integer() else value
            if code in by_code and not _same(label, by_code[code]):
                raise SurveyError(
                    f"value {code} is labelled {label!r}",
                    file=path,
                    column=question.column,
                    expected=f"{by_code[code]!r}, as in {codebook.source}",
                )
