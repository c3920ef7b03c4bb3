"""An export's cells typed and checked into the tidy respondent table, and de-identified.

One parser for every platform: dates, whole numbers, codes or labels of closed
questions, ticks of multi-select ones and open text, each refused with the file's own
row and column when it cannot be read. Personal data leaves as identity groups (for
duplicates) and is redacted from free text.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import compute as pc

from .codebook import Codebook, Question
from .export import UNANSWERED, Export
from .identities import identity_groups
from .redact import Redactor
from .tidy import DATE_FORMAT

log = logging.getLogger("surveyreport")

# Response types as a choice-text export writes them (Qualtrics).
STATUS_WORDS = {
    "IP Address": 0,
    "Survey Preview": 1,
    "Survey Test": 2,
    "Imported": 4,
    "Spam": 8,
    "Survey Preview Spam": 9,
    "Imported Spam": 12,
    "Offline": 16,
    "Offline Survey Preview": 17,
}
TICKED = {"1"}
UNTICKED = {"", "0", "-99"}
FINISHED = {"1": True, "True": True, "true": True, "0": False, "False": False, "false": False}
MAX_TEXT_CHARS = 100_000  # an open answer longer than this is a broken export, not an answer
SCIENTIFIC = r"^\d+(\.\d+)?[eE]\+\d+$"  # what a spreadsheet makes of a long number


def parse(export: Export, codebook: Codebook) -> pd.DataFrame:
    """Type and check an export's cells into the tidy respondent table.

    The export's personal data and answer cells are let go as soon as they are typed,
    so the text of a large export and its typed table are not held whole together.
    Open answers and "Other" texts lose the personal data typed into them
    (``redact``): what is removed is counted per kind in the log.
    """
    meta = export.meta
    tidy = pd.DataFrame(index=meta.index)
    identity_group = identity_groups(export.pii)
    redactor = Redactor(export.pii)
    export.pii = export.pii.iloc[:, :0]
    tidy["response_id"] = _response_ids(export)
    for name in ("start", "end"):
        tidy[name] = _parse_dates(export, name) if name in meta else pd.Series(pd.NaT, index=meta.index, dtype="datetime64[us]")
    # without a recorded date, the end date stands for it, else the start
    tidy["recorded"] = (_parse_dates(export, "recorded") if "recorded" in meta else tidy["end"]).fillna(tidy["start"])
    tidy["status"] = (
        _parse_int(export, "status", STATUS_WORDS) if "status" in meta else pd.Series(0, index=meta.index, dtype="Int64")
    )
    answers: dict[str, pd.Series] = {}
    for question in codebook.questions:
        answers.update(_question_values(export, question, redactor))
        export.answers = export.answers.drop(columns=[column.export for column in question.columns])
    log.info("%s: %s", export.path, redactor.summary())
    finished = None
    if codebook.finished:
        finished = _answered(answers, [codebook.question(q) for q in codebook.finished], meta.index)
    elif "finished" in meta:
        finished = _boolean(_recode(export, meta, "finished", FINISHED, "1/0 or True/False", [False, True]), meta.index)
    if "progress" in meta:
        tidy["progress"] = _parse_int(export, "progress")
    else:
        tidy["progress"] = _reached(answers, codebook, finished)
    tidy["duration"] = _parse_int(export, "duration") if "duration" in meta else _elapsed(export, tidy)
    tidy["finished"] = (finished if finished is not None else tidy["progress"].eq(100)).astype("boolean")
    for name in ("channel", "language"):
        tidy[name] = (
            meta[name].replace("", pd.NA).astype("string") if name in meta else pd.Series(pd.NA, index=meta.index, dtype="string")
        )
    tidy["identity_group"] = identity_group
    for name, values in answers.items():
        tidy[name] = values
    export.report()
    return tidy


def _response_ids(export: Export) -> pd.Series:
    """The response IDs, checked; without a response ID column, each response's row in the file ("row 4")."""
    meta = export.meta
    if "response_id" not in meta:
        log.info(
            "%s: the codebook names no response ID column (survey.metadata.response_id): responses are named by their row",
            export.path,
        )
        return pd.Series(
            [f"row {n}" for n in range(export.first_row, export.first_row + len(meta))], index=meta.index, dtype="string"
        )
    ids = meta["response_id"]
    export.reject(
        ids.str.match(SCIENTIFIC),
        ids,
        "response_id",
        "response ID {value!r} was turned into a number by a spreadsheet",
        "the IDs as exported (open the raw export, not a copy saved by Excel)",
    )
    export.reject(ids.eq(""), ids, "response_id", "the response ID is blank", "an ID on every response")
    return ids.astype("string")


def _parse_dates(export: Export, column: str) -> pd.Series:
    series = export.meta[column]
    parsed = _to_datetime(series, export.date_format)
    example = pd.Timestamp("2012-07-31 16:21:36").strftime(export.date_format)
    blank = series.eq("")  # a blank date is read as unknown: only a rule that needs it refuses it
    export.reject(parsed.isna() & ~blank, series, column, "cannot read {value!r} as a date", f"a date like {example}")
    return parsed


def _to_datetime(series: pd.Series, date_format: str) -> pd.Series:
    """``pd.to_datetime(series, format=date_format, errors="coerce")``. Dates in the tidy table's format are read by
    Arrow, and by pandas only where Arrow's date, written back as text, is not the cell's (Arrow reads more
    leniently: February 30th, two-digit years): pandas' reading stays the rule."""
    if date_format != DATE_FORMAT:  # the format Arrow writes a date-time in
        return pd.to_datetime(series, format=date_format, errors="coerce")
    text = _arrow_text(series)
    parsed = pc.strptime(text, format=date_format, unit="s", error_is_null=True)
    same = pc.fill_null(pc.equal(parsed.cast(pa.large_string()), text), False).to_numpy(zero_copy_only=False)
    dates = pd.Series(parsed.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), index=series.index)
    if not same.all():
        dates[~same] = pd.to_datetime(series[~same], format=date_format, errors="coerce")
    return dates


def _arrow_text(series: pd.Series) -> pa.Array:
    """A column of text as one Arrow array (pandas' Arrow-backed text columns: without a copy where it is one piece)."""
    text = pa.array(series, pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _distinct(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each cell's position among the column's distinct values (-1: missing), and those values; a column of
    categories (the export's coded columns) has them already."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.cat.categories
    return pd.factorize(series)


def _parse_int(export: Export, column: str, words: dict[str, int] | None = None) -> pd.Series:
    """Whole numbers (or ``words`` for them), converted once per distinct value."""
    series = export.meta[column]
    codes, uniques = _distinct(series)
    distinct = pd.Series(uniques, dtype=object)
    values = distinct.map(words) if words else pd.Series(np.nan, index=distinct.index, dtype=object)
    values = pd.to_numeric(values.fillna(pd.to_numeric(distinct.where(values.isna()), errors="coerce")))
    bad = np.append((values.isna() | (values != values.round())).to_numpy(), True)
    export.reject(
        pd.Series(bad[codes], index=series.index), series, column, "cannot read {value!r} as a whole number", "a whole number"
    )
    return pd.Series(values.to_numpy()[codes], index=series.index).astype("Int64")


def _recode(export: Export, frame: pd.DataFrame, column: str, mapping: dict, expected: str, categories: list) -> np.ndarray:
    """Positions in ``categories`` of each cell's ``mapping`` (-1 when unanswered), looked up once per distinct value."""
    series = frame[column]
    codes, uniques = _distinct(series)
    position = {category: i for i, category in enumerate(categories)}
    small = np.min_scalar_type(-len(categories))  # the smallest integer holding -1 and every position
    table = np.array([position[mapping[u]] if u in mapping else -1 for u in uniques] + [-1], dtype=small)
    bad = np.array([u not in mapping and u not in UNANSWERED for u in uniques] + [True])
    export.reject(pd.Series(bad[codes], index=series.index), series, column, "unexpected value {value!r}", expected)
    return table[codes]


def _boolean(positions: np.ndarray, index: pd.Index) -> pd.Series:
    """True/False/NA from positions in [False, True] (-1: NA)."""
    return pd.Series(pd.arrays.BooleanArray(positions == 1, positions < 0), index=index, copy=False)


def _elapsed(export: Export, tidy: pd.DataFrame) -> pd.Series:
    """Seconds from start to end, for platforms that export no duration (unknown where either is)."""
    seconds = (tidy["end"] - tidy["start"]).dt.total_seconds()
    if seconds.notna().any():
        export.reject(
            seconds < 0, export.meta["end"], "end", "the response ends ({value}) before it starts", "an end after the start"
        )
    return seconds.round().astype("Int64")


def _answered(answers: dict[str, pd.Series], questions: list[Question], index: pd.Index) -> pd.Series:
    """Whether each response answered every one of ``questions`` (a "please specify" text alone does not count)."""
    answered = pd.Series(True, index=index)
    for question in questions:
        columns = [answers[c] for c in question.tidy_columns if c in answers and not c.endswith("_text")]
        answered &= pd.concat(columns, axis=1).notna().any(axis=1)
    return answered.astype("boolean")


def _reached(answers: dict[str, pd.Series], codebook: Codebook, finished: pd.Series | None) -> pd.Series:
    """Progress for platforms that export none: the share of closed questions up to the last one answered.

    A finished response counts as 100.
    """
    closed = codebook.closed
    index = next(iter(answers.values())).index
    reached = pd.Series(0, index=index, dtype="Int64")
    for position, question in enumerate(closed, start=1):
        reached = reached.mask(_answered(answers, [question], index).to_numpy(dtype=bool), position * 100 // len(closed))
    if finished is not None:
        reached = reached.mask(finished.fillna(False).astype(bool), 100)
    return reached


def _check_length(export: Export, column: str, text: pa.Array) -> None:
    """Refuse a text answer longer than ``MAX_TEXT_CHARS``; ``text``: the column as ``_arrow_text`` holds it (a text
    has no more characters than bytes, and its bytes are known without reading it: only longer ones are counted)."""
    if not pc.any(pc.greater(pc.binary_length(text), MAX_TEXT_CHARS)).as_py():
        return
    lengths = export.answers[column].str.len()
    export.reject(
        lengths > MAX_TEXT_CHARS,
        lengths,
        column,
        "a text answer of {value:,} characters",
        f"at most {MAX_TEXT_CHARS:,} characters (is a closing quote missing?)",
    )


def _free_text(export: Export, column: str, redactor: Redactor) -> pd.Series:
    """A text column's answers (missing where unanswered), checked for length and redacted."""
    values = export.answers[column]
    text = _arrow_text(values)
    _check_length(export, column, text)
    answered = pc.if_else(pc.is_in(text, value_set=pa.array(sorted(UNANSWERED), pa.large_string())), None, text)
    return pd.Series(pd.array(redactor.column(answered), dtype="string"), index=values.index, copy=False)


def _numbers(export: Export, column: str) -> pd.Series:
    """A numeric answer (a slider, a constant-sum field, a number typed in), missing where unanswered."""
    values = export.answers[column]
    numbers = pd.to_numeric(values.where(~values.isin(UNANSWERED)), errors="coerce")
    export.reject(
        numbers.isna() & ~values.isin(UNANSWERED), values, column, "cannot read {value!r} as a number", "a number, or blank"
    )
    return numbers.astype("Float64")


def _question_values(export: Export, question: Question, redactor: Redactor) -> dict[str, pd.Series]:
    if question.statements:
        return {name: values for part in question.parts for name, values in _question_values(export, part, redactor).items()}
    if question.numeric:
        return {question.id: _numbers(export, question.column)}
    data = export.answers
    out: dict[str, pd.Series] = {}
    column = question.column
    if question.multi:
        ticks = {}
        for cell in question.columns:
            if cell.text:
                continue
            choice = cell.choice
            # a legacy export writes a ticked answer of a side-by-side's column as its recode value
            recoded = {str(choice.code)} if question.parent else set()
            mapping = {**{v: True for v in TICKED | recoded | {choice.label}}, **{v: False for v in UNTICKED}}
            shown = f"1, {choice.code}" if recoded else "1"
            expected = f"{shown} or {choice.label!r} when ticked, blank, 0 or -99 when not"
            ticks[cell.tidy] = _recode(export, data, cell.export, mapping, expected, [False, True])
        unanswered = np.logical_and.reduce([positions != 1 for positions in ticks.values()])
        for name, positions in ticks.items():
            out[name] = _boolean(np.where(unanswered, -1, positions), data.index)
    elif question.closed:
        mapping = {str(c.code): c.id for c in question.choices} | {c.label: c.id for c in question.choices}
        codes = ", ".join(str(c.code) for c in question.choices)
        expected = f"one of the codes {codes}, their labels, or blank"
        ids = [c.id for c in question.choices]
        positions = _recode(export, data, column, mapping, expected, ids)
        out[question.id] = pd.Series(
            pd.Categorical.from_codes(positions, dtype=pd.CategoricalDtype(ids)), index=data.index, copy=False
        )
    else:
        out[question.id] = _free_text(export, column, redactor)
    for cell in question.columns:
        if cell.text:
            out[cell.tidy] = _free_text(export, cell.export, redactor)
    return out
