"""Raw survey exports: which platform wrote a file, and its responses as the tidy table.

Each platform's reader (``qualtrics``, ``surveymonkey``, ``spss``) turns its file
into an :class:`Export`: the responses as text, metadata under tidy names, personal
data apart, answers under the codebook's column names. One parser then types,
checks and de-identifies every format alike; its messages name the file's own
rows and columns.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import compute as pa_compute
from pyarrow import csv as pa_csv

from .codebook import Codebook, Question
from .errors import SurveyError
from .redact import Redactor
from .tidy import DATE_FORMAT

log = logging.getLogger("surveyreport")

PLATFORMS = ("qualtrics", "qualtrics_legacy", "surveymonkey", "spss")
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
UNANSWERED = {"", "-99"}
TICKED = {"1"}
UNTICKED = {"", "0", "-99"}
FINISHED = {"1": True, "True": True, "true": True, "0": False, "False": False, "false": False}
MAX_TEXT_CHARS = 100_000  # an open answer longer than this is a broken export, not an answer
SCIENTIFIC = r"^\d+(\.\d+)?[eE]\+\d+$"  # what a spreadsheet makes of a long number


@dataclass
class Export:
    """One platform's export, cell text under the names the parser knows.

    ``meta`` holds tidy metadata names (``response_id``, ``start`` …; a platform
    without a column leaves it out and the parser derives or blanks it), ``pii``
    the codebook's personal-data keys, ``answers`` the codebook's export columns
    (split multi-select ``Qn_code``, ``_TEXT`` columns). ``first_row`` is the
    file's number of the first response; ``names`` gives a column as the file
    names it, for messages.
    """

    path: Path
    platform: str
    meta: pd.DataFrame
    pii: pd.DataFrame
    answers: pd.DataFrame
    first_row: int
    names: dict[str, str] = field(default_factory=dict)
    date_format: str = DATE_FORMAT

    def name(self, column: str) -> str:
        return self.names.get(column, column)

    def reject(self, bad: pd.Series, values: pd.Series, column: str, message: str, expected: str) -> None:
        """Raise a located error for the first cell where ``bad`` holds; ``message`` formats ``{value}``."""
        if bad.any():
            first = int(bad.to_numpy().nonzero()[0][0])
            raise SurveyError(
                message.format(value=values.iloc[first]),
                file=self.path,
                row=first + self.first_row,
                column=self.name(column),
                expected=expected,
            )


# ----------------------------------------------------------------------------- CSV files


def read_csv_cells(path: Path, what: str) -> pd.DataFrame:
    """Every cell of a UTF-8 CSV file as text, header rows included; encoding and shape checked.

    Arrow's multi-threaded reader takes a well-formed file; when it refuses one, the
    file is read again record by record to name the row and say what is wrong.
    """
    with open(path, "rb") as handle:
        first_line = handle.readline(1 << 20)
    if first_line[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SurveyError("the file is UTF-16 text", file=path, expected=f"a UTF-8 CSV {what} (re-export as CSV UTF-8)")
    if b"," not in first_line and any(sep in first_line for sep in (b";", b"\t", b"|")):
        raise SurveyError(
            "the header row is separated by something other than commas", file=path, row=1, expected="comma-separated values"
        )
    width = _header_width(path)
    if width:
        try:
            return _read_arrow(path, width)
        except pa.ArrowInvalid as error:
            refusal = error
    else:
        refusal = None
    _diagnose(path, what)
    raise SurveyError(f"the file is not valid CSV: {refusal}", file=path)


def _header_width(path: Path) -> int:
    """The number of fields of the first record (0 for an empty file or an unreadable one)."""
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as handle:
        try:
            return len(next(csv.reader(handle), []))
        except csv.Error:
            return 0


def _read_arrow(path: Path, width: int) -> pd.DataFrame:
    names = [f"f{i}" for i in range(width)]
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 22),
        parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
        # large_string is what pandas' Arrow-backed str columns hold: no copy into pandas
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    cells = table.to_pandas(split_blocks=True)  # a block per column: no copy into one 2-D block
    cells.columns = range(width)
    return cells


def _diagnose(path: Path, what: str) -> None:
    """Read a file Arrow refused record by record, and raise the first problem with its row."""
    try:
        width = _check_row_lengths(path)
        cells = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise SurveyError("the file is empty", file=path, expected=what) from None
    except UnicodeDecodeError:
        _locate_bad_bytes(path, what)
    except pd.errors.ParserError as error:
        raise SurveyError(f"the file is not valid CSV: {error}", file=path) from None
    if cells.shape[1] != width:
        raise SurveyError(f"the rows have {cells.shape[1]} fields, the header {width}", file=path, row=1)


UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as ``surrogateescape`` reads them


def _locate_bad_bytes(path: Path, what: str) -> None:
    """Raise the error for a file that is not UTF-8: the first cell that is not, and what the file looks like instead."""
    number, index, header, record = 0, None, [], []
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        for number, record in enumerate(csv.reader(handle), start=1):
            header = header or record
            index = next((i for i, cell in enumerate(record) if UNDECODED.search(cell)), None)
            if index is not None:
                break
    try:
        path.read_bytes().decode("cp1252")
        encoding, looks = "cp1252", "Windows-1252, as Excel saves 'CSV (Comma delimited)'"
    except UnicodeDecodeError:
        encoding, looks = "latin-1", "a legacy 8-bit encoding (Latin-1 or another Windows or Mac code page)"
    column, shown = None, ""
    if index is not None:
        column = header[index] if number > 1 and index < len(header) and header[index] else f"column {index + 1}"
        cell = record[index].encode("utf-8", "surrogateescape").decode(encoding)
        shown = f" {cell[:60]!r}{'…' if len(cell) > 60 else ''}"
    raise SurveyError(
        f"the text{shown} is not UTF-8: the file looks like {looks}",
        file=path,
        row=number if index is not None else None,
        column=column,
        expected=f"UTF-8 text in {what}: re-export it from the survey platform as UTF-8, or in Excel Save As > 'CSV UTF-8 (Comma delimited)'",
    )


def _check_row_lengths(path: Path) -> int:
    """The header's width, once every record is known to have as many fields (pandas would pad a short one)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        number, width = 0, 0
        try:
            for number, record in enumerate(csv.reader(handle), start=1):
                if number == 1:
                    width = len(record)
                elif record and len(record) < width:
                    raise SurveyError(
                        f"the row has {len(record)} fields, fewer than the header (is the file truncated?)",
                        file=path,
                        row=number,
                        expected=f"{width} fields",
                    )
                elif len(record) > width:
                    raise SurveyError(
                        f"the row has {len(record)} fields, more than the header (a comma in an unquoted answer?)",
                        file=path,
                        row=number,
                        expected=f"{width} fields",
                    )
        except csv.Error:
            raise SurveyError(
                f"a field longer than {csv.field_size_limit():,} characters",
                file=path,
                row=number + 1,
                expected="text answers of ordinary length (is a closing quote missing?)",
            ) from None
    if number == 0:
        raise pd.errors.EmptyDataError
    return width


def response_rows(cells: pd.DataFrame, header_rows: int, path: Path, header: list[str]) -> pd.DataFrame:
    """The rows after the header rows, columns named by ``header``; an export without responses is refused."""
    if len(cells) == header_rows:
        raise SurveyError(
            "the file has its header rows but no responses", file=path, expected=f"responses from row {header_rows + 1}"
        )
    data = cells.iloc[header_rows:].reset_index(drop=True)
    data.columns = header
    return data


def check_columns(header: list[str], path: Path, codebook: Codebook, columns: list[str], known: set[str]) -> None:
    """Refuse repeated IDs, another survey's export or missing columns; warn of columns the codebook does not know."""
    duplicates = sorted({c for c in header if c and header.count(c) > 1})
    if duplicates:
        raise SurveyError(f"column IDs repeat: {', '.join(duplicates)}", file=path, row=1)
    questions = [c for c in columns if c not in known]
    absent = [c for c in questions if c not in header]
    if len(absent) > len(questions) / 2:
        raise SurveyError(
            f"{len(absent)} of the {len(questions)} question columns the codebook names are missing: "
            "is this an export of another survey?",
            file=path,
            row=1,
            expected=f"the questionnaire in {codebook.source}",
        )
    missing = [c for c in columns if c not in header]
    if missing:
        raise SurveyError(
            f"required column(s) missing: {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}",
            file=path,
            row=1,
            expected="the columns the codebook names",
        )
    unknown = [c for c in header if c not in known and c not in columns and c != ""]
    if unknown:
        log.warning("%s: %d column(s) the codebook does not know are ignored: %s", path, len(unknown), ", ".join(unknown[:10]))


def detect_platform(path: str | Path) -> str:
    """The platform that wrote an export, from its extension and header rows."""
    path = Path(path)
    if path.suffix.lower() in (".sav", ".zsav"):
        return "spss"
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"," not in head.split(b"\n", 1)[0]:
        return "qualtrics"  # let its reader name what is wrong with the file
    text = head.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(text.splitlines()[:4]))
    first = rows[0] if rows else []
    second = rows[1] if len(rows) > 1 else []
    if first[:2] == ["V1", "V2"] or {"ResponseID", "ResponseSet"} <= set(second):
        return "qualtrics_legacy"
    if "Respondent ID" in first and "Collector ID" in first:
        return "surveymonkey"
    return "qualtrics"


def _reader(platform: str):
    """The platform's reader, imported only when used (pyreadstat is slow to load)."""
    if platform == "spss":
        from .spss import read

        return read
    if platform == "surveymonkey":
        from .surveymonkey import read

        return read
    from .qualtrics import read_current, read_legacy

    return read_legacy if platform == "qualtrics_legacy" else read_current


def read_export(path: str | Path, codebook: Codebook, platform: str = "auto") -> pd.DataFrame:
    """Parse a raw export into the tidy respondent table (no personal data)."""
    path = Path(path)
    if not path.is_file():
        raise SurveyError("no such file", file=path, expected="the raw export named by `export` in the config")
    platform = detect_platform(path) if platform == "auto" else platform
    if platform not in PLATFORMS:
        raise SurveyError(f"unknown export format {platform!r}", expected=f"auto or one of {', '.join(PLATFORMS)}")
    export = _reader(platform)(path, codebook)
    log.info("%s: read as a %s export", path, platform)
    return parse(export, codebook)


# ----------------------------------------------------------------------------- parsing


def parse(export: Export, codebook: Codebook) -> pd.DataFrame:
    """Type and check an export's cells into the tidy respondent table.

    The export's personal data and answer cells are let go as soon as they are typed,
    so the text of a large export and its typed table are not held whole together.
    Open answers and "Other" texts lose the personal data typed into them
    (``redact``): what is removed is counted per kind in the log.
    """
    meta = export.meta
    tidy = pd.DataFrame(index=meta.index)
    identity_group = _identity_groups(export.pii)
    redactor = Redactor(export.pii)
    export.pii = export.pii.iloc[:, :0]
    ids = meta["response_id"]
    export.reject(
        ids.str.match(SCIENTIFIC),
        ids,
        "response_id",
        "response ID {value!r} was turned into a number by a spreadsheet",
        "the IDs as exported (open the raw export, not a copy saved by Excel)",
    )
    export.reject(ids.eq(""), ids, "response_id", "the response ID is blank", "an ID on every response")
    tidy["response_id"] = ids.astype("string")
    for name in ("start", "end"):
        tidy[name] = _parse_dates(export, name)
    tidy["recorded"] = _parse_dates(export, "recorded") if "recorded" in meta else tidy["end"]
    tidy["status"] = _parse_int(export, "status", STATUS_WORDS) if "status" in meta else pd.Series(0, index=meta.index, dtype="Int64")
    answers: dict[str, pd.Series] = {}
    for question in codebook.questions:
        answers.update(_question_values(export, question, redactor))
        export.answers = export.answers.drop(columns=_cells_of(question))
    log.info("%s: %s", export.path, redactor.summary())
    finished = None
    if "finished" in meta:
        finished = _boolean(_recode(export, meta, "finished", FINISHED, "1/0 or True/False", [False, True]), meta.index)
    if "progress" in meta:
        tidy["progress"] = _parse_int(export, "progress")
    else:
        tidy["progress"] = _reached(answers, codebook, finished)
    tidy["duration"] = _parse_int(export, "duration") if "duration" in meta else _elapsed(export, tidy)
    tidy["finished"] = (finished if finished is not None else tidy["progress"].eq(100)).astype("boolean")
    for name in ("channel", "language"):
        tidy[name] = meta[name].replace("", pd.NA).astype("string") if name in meta else pd.Series(pd.NA, index=meta.index, dtype="string")
    tidy["identity_group"] = identity_group
    for name, values in answers.items():
        tidy[name] = values
    return tidy


def _parse_dates(export: Export, column: str) -> pd.Series:
    series = export.meta[column]
    parsed = pd.to_datetime(series, format=export.date_format, errors="coerce")
    example = pd.Timestamp("2012-07-31 16:21:36").strftime(export.date_format)
    export.reject(parsed.isna(), series, column, "cannot read {value!r} as a date", f"a date like {example}")
    return parsed


def _parse_int(export: Export, column: str, words: dict[str, int] | None = None) -> pd.Series:
    """Whole numbers (or ``words`` for them), converted once per distinct value."""
    series = export.meta[column]
    codes, uniques = pd.factorize(series)
    distinct = pd.Series(uniques, dtype=object)
    values = distinct.map(words) if words else pd.Series(np.nan, index=distinct.index, dtype=object)
    values = pd.to_numeric(values.fillna(pd.to_numeric(distinct.where(values.isna()), errors="coerce")))
    bad = np.append((values.isna() | (values != values.round())).to_numpy(), True)
    export.reject(pd.Series(bad[codes], index=series.index), series, column, "cannot read {value!r} as a whole number", "a whole number")
    return pd.Series(values.to_numpy()[codes], index=series.index).astype("Int64")


def _recode(export: Export, frame: pd.DataFrame, column: str, mapping: dict, expected: str, categories: list) -> np.ndarray:
    """Positions in ``categories`` of each cell's ``mapping`` (-1 when unanswered), looked up once per distinct value."""
    series = frame[column]
    codes, uniques = pd.factorize(series)
    position = {category: i for i, category in enumerate(categories)}
    table = np.array([position[mapping[u]] if u in mapping else -1 for u in uniques] + [-1], dtype=np.int64)
    bad = np.array([u not in mapping and u not in UNANSWERED for u in uniques] + [True])
    export.reject(pd.Series(bad[codes], index=series.index), series, column, "unexpected value {value!r}", expected)
    return table[codes]


def _boolean(positions: np.ndarray, index: pd.Index) -> pd.Series:
    """True/False/NA from positions in [False, True] (-1: NA)."""
    return pd.Series(pd.arrays.BooleanArray(positions == 1, positions < 0), index=index)


def _elapsed(export: Export, tidy: pd.DataFrame) -> pd.Series:
    """Seconds from start to end, for platforms that export no duration."""
    seconds = (tidy["end"] - tidy["start"]).dt.total_seconds()
    export.reject(seconds < 0, export.meta["end"], "end", "the response ends ({value}) before it starts", "an end after the start")
    return seconds.round().astype("Int64")


def _reached(answers: dict[str, pd.Series], codebook: Codebook, finished: pd.Series | None) -> pd.Series:
    """Progress for platforms that export none: the share of closed questions up to the last one answered.

    A finished response counts as 100.
    """
    closed = codebook.closed
    index = next(iter(answers.values())).index
    reached = pd.Series(0, index=index, dtype="Int64")
    for position, question in enumerate(closed, start=1):
        columns = [answers[c] for c in question.tidy_columns if c in answers and not c.endswith("_text")]
        answered = pd.concat(columns, axis=1).notna().any(axis=1)
        reached = reached.mask(answered, position * 100 // len(closed))
    if finished is not None:
        reached = reached.mask(finished.fillna(False).astype(bool), 100)
    return reached


def _identity_groups(pii: pd.DataFrame) -> pd.Series:
    """Number the respondents by identity (e-mail, else IP address and location).

    Only the group numbers (in order of first appearance) leave the function: no
    e-mail or address is kept. Values are compared as integer codes, so a million
    respondents need a few integer arrays, not new strings; addresses are encoded
    only for the rows without an e-mail.
    """
    n = len(pii)

    def codes(name: str, rows: np.ndarray | None = None, lower: bool = False) -> np.ndarray:
        """Each row's value (of ``rows`` if given) as a number; -1 where blank (Arrow compute: no Python strings)."""
        size = n if rows is None else len(rows)
        if name not in pii or size == 0:
            return np.full(size, -1)
        values = pa.array(pii[name])
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        values = values if rows is None else values.take(pa.array(rows))
        values = pa_compute.utf8_trim_whitespace(values)
        encoded = pa_compute.dictionary_encode(pa_compute.utf8_lower(values) if lower else values)
        numbers = pa_compute.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        blank = encoded.dictionary.index("").as_py()
        return np.where(numbers == blank, -1, numbers) if blank >= 0 else numbers

    def combined(*parts: np.ndarray) -> np.ndarray:
        """One code per distinct combination of the parts' codes."""
        code = parts[0]
        for part in parts[1:]:
            code = pd.factorize(code * (int(part.max(initial=-1)) + 2) + part + 1)[0]
        return code

    key = codes("email", lower=True)
    anonymous = np.flatnonzero(key < 0)
    ip = codes("ip_address", anonymous)
    place = combined(ip, codes("latitude", anonymous), codes("longitude", anonymous))
    emails, places = int(key.max(initial=-1)) + 1, int(place.max(initial=-1)) + 1
    key[anonymous] = np.where(ip >= 0, emails + place, emails + places + anonymous)
    return pd.Series(pd.factorize(key)[0] + 1, index=pii.index, dtype="Int64")


def _check_length(export: Export, column: str) -> None:
    lengths = export.answers[column].str.len()
    export.reject(
        lengths > MAX_TEXT_CHARS,
        lengths,
        column,
        "a text answer of {value:,} characters",
        f"at most {MAX_TEXT_CHARS:,} characters (is a closing quote missing?)",
    )


def _cells_of(question: Question) -> list[str]:
    """The export columns ``_question_values`` reads for a question."""
    column = question.column
    choices = [f"{column}_{c.code}" for c in question.choices] if question.multi else [column]
    return choices + [f"{column}_{c.code}_TEXT" for c in question.choices if c.text]


def _free_text(export: Export, column: str, redactor: Redactor) -> pd.Series:
    """A text column's answers (missing where unanswered), checked for length and redacted."""
    _check_length(export, column)
    values = export.answers[column]
    return redactor.column(values.where(~values.isin(UNANSWERED)).astype("string"))


def _question_values(export: Export, question: Question, redactor: Redactor) -> dict[str, pd.Series]:
    data = export.answers
    out: dict[str, pd.Series] = {}
    column = question.column
    if question.multi:
        ticks = {}
        for choice in question.choices:
            name = f"{column}_{choice.code}"
            mapping = {**{v: True for v in TICKED | {choice.label}}, **{v: False for v in UNTICKED}}
            expected = f"1 or {choice.label!r} when ticked, blank, 0 or -99 when not"
            ticks[question.choice_column(choice)] = _recode(export, data, name, mapping, expected, [False, True])
        unanswered = np.logical_and.reduce([positions != 1 for positions in ticks.values()])
        for name, positions in ticks.items():
            out[name] = _boolean(np.where(unanswered, -1, positions), data.index)
    elif question.closed:
        mapping = {str(c.code): c.id for c in question.choices} | {c.label: c.id for c in question.choices}
        codes = ", ".join(str(c.code) for c in question.choices)
        expected = f"one of the codes {codes}, their labels, or blank"
        ids = [c.id for c in question.choices]
        positions = _recode(export, data, column, mapping, expected, ids)
        out[question.id] = pd.Series(pd.Categorical.from_codes(positions, dtype=pd.CategoricalDtype(ids)), index=data.index)
    else:
        out[question.id] = _free_text(export, column, redactor)
    for choice in question.choices:
        if choice.text:
            out[question.text_column(choice)] = _free_text(export, f"{column}_{choice.code}_TEXT", redactor)
    return out


def split_choices(cell: str, question: Question) -> list[str] | None:
    """The choice codes in an unsplit multi-select cell, or None if it cannot be read.

    The cell lists choice codes, or choice labels, joined by commas; labels may
    themselves hold commas, so they are matched against the codebook's list.
    """
    if cell in UNANSWERED:
        return []
    codes = {str(c.code) for c in question.choices}
    tokens = [t.strip() for t in cell.split(",")]
    if all(t in codes for t in tokens):
        return tokens
    labels = sorted(question.choices, key=lambda c: -len(c.label))

    def from_position(start: int) -> list[str] | None:
        if start >= len(cell):
            return []
        for choice in labels:
            end = start + len(choice.label)
            if cell.startswith(choice.label, start) and (end == len(cell) or cell[end] == ","):
                rest = from_position(end + 1)
                if rest is not None:
                    return [str(choice.code), *rest]
        return None

    return from_position(0)


def split_multi_select(export_cells: pd.DataFrame, question: Question, path: Path, first_row: int) -> pd.DataFrame:
    """Split columns ``<column>_<code>`` ("1" ticked, "" not) from an unsplit multi-select column."""
    column = question.column
    chosen = export_cells[column].map(lambda cell: split_choices(cell, question))
    bad = chosen.isna()
    if bad.any():
        first = int(bad.to_numpy().nonzero()[0][0])
        labels = "; ".join(c.label for c in question.choices)
        raise SurveyError(
            f"cannot split {export_cells[column].iloc[first]!r} into the question's choices",
            file=path,
            row=first + first_row,
            column=column,
            expected=f"choice codes or labels joined by commas (labels: {labels})",
        )
    return pd.DataFrame(
        {f"{column}_{c.code}": chosen.map(lambda codes, c=c: "1" if str(c.code) in codes else "") for c in question.choices},
        index=export_cells.index,
    )
