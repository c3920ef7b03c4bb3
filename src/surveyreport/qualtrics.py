"""Qualtrics current CSV exports: read one into the tidy table, or write one from it.

The layout (three header rows: column IDs, question text, ImportId JSON; split
multi-select columns ``Qn_k``; ``_TEXT`` columns after the choice they specify)
is the platform's; which columns hold which question is the codebook's.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import logging

import pandas as pd

from .codebook import Choice, Codebook, Question
from .errors import SurveyError
from .tidy import DATE_FORMAT

log = logging.getLogger("surveyreport")
HEADER_ROWS = 3
# Standard metadata columns: export column, label (row 2), ImportId (row 3).
METADATA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)
# Response types as a choice-text export writes them.
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


@dataclass(frozen=True)
class ExportColumn:
    """One column of the export that holds (part of) a question."""

    name: str
    label: str
    import_id: str
    question: Question
    choice: Choice | None = None
    is_text: bool = False


def question_columns(question: Question) -> list[ExportColumn]:
    """The export columns of one question, in the platform's order."""
    qid = question.import_id.removesuffix("_TEXT")
    columns: list[ExportColumn] = []

    def text_column(choice: Choice) -> ExportColumn:
        return ExportColumn(
            f"{question.column}_{choice.code}_TEXT",
            f"{question.text} - {choice.label} - Text",
            json.dumps({"ImportId": f"{qid}_{choice.code}_TEXT"}, separators=(",", ":")),
            question,
            choice,
            is_text=True,
        )

    if question.multi:
        for choice in question.choices:
            import_id = json.dumps({"ImportId": qid, "choiceId": str(choice.code)}, separators=(",", ":"))
            columns.append(
                ExportColumn(
                    f"{question.column}_{choice.code}",
                    f"{question.text} - {choice.label}",
                    import_id,
                    question,
                    choice,
                )
            )
            if choice.text:
                columns.append(text_column(choice))
    else:
        import_id = json.dumps({"ImportId": question.import_id}, separators=(",", ":"))
        columns.append(ExportColumn(question.column, question.text, import_id, question))
        columns.extend(text_column(c) for c in question.choices if c.text)
    return columns


# ----------------------------------------------------------------------------- reading


MAX_TEXT_CHARS = 100_000  # an open answer longer than this is a broken export, not an answer
SCIENTIFIC = r"^\d+(\.\d+)?[eE]\+\d+$"  # what a spreadsheet makes of a long number


def _read_cells(path: Path) -> pd.DataFrame:
    with open(path, "rb") as handle:
        first_line = handle.readline(1 << 20)
    if first_line[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SurveyError("the file is UTF-16 text", file=path, expected="a UTF-8 CSV export (re-export as CSV UTF-8)")
    if b"," not in first_line and any(sep in first_line for sep in (b";", b"\t", b"|")):
        raise SurveyError(
            "the header row is separated by something other than commas",
            file=path,
            row=1,
            expected="comma-separated values",
        )
    try:
        cells = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False
        )
    except pd.errors.EmptyDataError:
        raise SurveyError("the file is empty", file=path, expected="a Qualtrics CSV export") from None
    except UnicodeDecodeError as error:
        raise SurveyError(
            f"the file is not UTF-8 text (byte {error.start})", file=path, expected="a UTF-8 Qualtrics CSV export"
        ) from None
    except pd.errors.ParserError as error:
        raise SurveyError(f"the file is not valid CSV: {error}", file=path) from None
    _check_row_lengths(path, cells.shape[1])
    return cells


def _check_row_lengths(path: Path, width: int) -> None:
    """Every record has as many fields as the header (pandas would pad a short one silently)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        number = 0
        try:
            for number, record in enumerate(csv.reader(handle), start=1):
                if record and len(record) < width:
                    raise SurveyError(
                        f"the row has {len(record)} fields, fewer than the header (is the file truncated?)",
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


def _reject(bad: pd.Series, values: pd.Series, path: Path, column: str, message: str, expected: str) -> None:
    """Raise a located error for the first cell where ``bad`` holds; ``message`` formats ``{value}``.

    Rows are numbered as in the file, header rows counted.
    """
    if bad.any():
        first = int(bad.to_numpy().nonzero()[0][0])
        raise SurveyError(
            message.format(value=values.iloc[first]),
            file=path,
            row=first + HEADER_ROWS + 1,
            column=column,
            expected=expected,
        )


def _check_header(cells: pd.DataFrame, path: Path, codebook: Codebook) -> list[str]:
    if len(cells) < HEADER_ROWS:
        raise SurveyError(
            f"the file has {len(cells)} row(s)", file=path, expected="three header rows, then responses"
        )
    header = [str(c) for c in cells.iloc[0]]
    import_row = [str(c) for c in cells.iloc[2]]
    if not all(value.startswith('{"ImportId"') for value in import_row if value):
        raise SurveyError(
            "row 3 does not hold ImportId JSON", file=path, row=3, expected='{"ImportId": ...} in every column'
        )
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise SurveyError(f"column IDs repeat: {', '.join(duplicates)}", file=path, row=1)
    required = [*codebook.metadata.values()]
    for question in codebook.questions:
        required.extend(col.name for col in question_columns(question))
    questions = [col.name for q in codebook.questions for col in question_columns(q)]
    absent = [c for c in questions if c not in header]
    if len(absent) > len(questions) / 2:
        raise SurveyError(
            f"{len(absent)} of the {len(questions)} question columns the codebook names are missing: "
            "is this an export of another survey?",
            file=path,
            row=1,
            expected=f"the questionnaire in {codebook.source}",
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise SurveyError(
            f"required column(s) missing: {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}",
            file=path,
            row=1,
            expected="the columns the codebook names",
        )
    if len(cells) == HEADER_ROWS:
        raise SurveyError("the file has its header rows but no responses", file=path, expected="responses from row 4")
    known = set(required) | set(codebook.pii.values()) | {name for name, _, _ in METADATA_COLUMNS}
    unknown = [c for c in header if c not in known and c != ""]
    if unknown:
        log.warning(
            "%s: %d column(s) the codebook does not know are ignored: %s", path, len(unknown), ", ".join(unknown[:10])
        )
    return header


def _parse_dates(series: pd.Series, path: Path, column: str) -> pd.Series:
    parsed = pd.to_datetime(series, format=DATE_FORMAT, errors="coerce")
    _reject(parsed.isna(), series, path, column, "cannot read {value!r} as a date", "YYYY-MM-DD HH:MM:SS")
    return parsed


def _parse_int(series: pd.Series, path: Path, column: str, words: dict[str, int] | None = None) -> pd.Series:
    values = series.map(words) if words else pd.Series(pd.NA, index=series.index)
    numeric = pd.to_numeric(series.where(values.isna()), errors="coerce")
    values = values.fillna(numeric)
    bad = values.isna() | (values != values.round())
    _reject(bad, series, path, column, "cannot read {value!r} as a whole number", "a whole number")
    return values.astype("Int64")


def _parse_mapped(series: pd.Series, mapping: dict, path: Path, column: str, expected: str) -> pd.Series:
    values = series.map(mapping)
    _reject(values.isna() & ~series.isin(UNANSWERED), series, path, column, "unexpected value {value!r}", expected)
    return values


def _identity_groups(data: pd.DataFrame, pii: dict[str, str]) -> pd.Series:
    """Number the respondents by identity (e-mail, else IP address and location).

    Keys are hashed with a salt drawn for this call and only the group numbers
    leave the function: no e-mail or address is kept.
    """
    salt = secrets.token_bytes(16)

    def column(name: str) -> pd.Series:
        return data[pii[name]].str.strip() if pii.get(name) in data else pd.Series("", index=data.index)

    email = column("email").str.lower()
    place = column("ip_address") + "|" + column("latitude") + "|" + column("longitude")
    key = email.where(email != "", "ip:" + place)
    key = key.where(column("ip_address").ne("") | email.ne(""), "row:" + pd.Series(range(len(data)), index=data.index).astype(str))
    hashed = key.map(lambda k: hashlib.blake2b(k.encode("utf-8"), key=salt, digest_size=16).hexdigest())
    return pd.Series(pd.factorize(hashed)[0] + 1, index=data.index, dtype="Int64")


def read_export(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Parse a Qualtrics current CSV export into the tidy respondent table (no PII)."""
    path = Path(path)
    cells = _read_cells(path)
    header = _check_header(cells, path, codebook)
    data = cells.iloc[HEADER_ROWS:].reset_index(drop=True)
    data.columns = header
    meta = codebook.metadata
    tidy = pd.DataFrame(index=data.index)
    tidy["response_id"] = data[meta["response_id"]].astype("string")
    ids, column = tidy["response_id"], meta["response_id"]
    _reject(
        ids.str.match(SCIENTIFIC),
        ids,
        path,
        column,
        "response ID {value!r} was turned into a number by a spreadsheet",
        "the IDs as exported (open the raw export, not a copy saved by Excel)",
    )
    _reject(ids.eq(""), ids, path, column, "the response ID is blank", "an ID on every response")
    for name in ("start", "end", "recorded"):
        tidy[name] = _parse_dates(data[meta[name]], path, meta[name])
    tidy["status"] = _parse_int(data[meta["status"]], path, meta["status"], STATUS_WORDS)
    tidy["progress"] = _parse_int(data[meta["progress"]], path, meta["progress"])
    tidy["duration"] = _parse_int(data[meta["duration"]], path, meta["duration"])
    tidy["finished"] = _parse_mapped(data[meta["finished"]], FINISHED, path, meta["finished"], "1/0 or True/False").astype(
        "boolean"
    )
    tidy["channel"] = data[meta["channel"]].astype("string")
    tidy["language"] = data[meta["language"]].astype("string")
    tidy["identity_group"] = _identity_groups(data, codebook.pii)
    for question in codebook.questions:
        for name, values in _question_values(data, question, path).items():
            tidy[name] = values
    return tidy


def _check_length(series: pd.Series, path: Path, column: str) -> None:
    lengths = series.str.len()
    _reject(
        lengths > MAX_TEXT_CHARS,
        lengths,
        path,
        column,
        "a text answer of {value:,} characters",
        f"at most {MAX_TEXT_CHARS:,} characters (is a closing quote missing?)",
    )


def _question_values(data: pd.DataFrame, question: Question, path: Path) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    columns = question_columns(question)
    if question.multi:
        ticks = {}
        for col in columns:
            if col.is_text:
                continue
            mapping = {**{v: True for v in TICKED | {col.choice.label}}, **{v: False for v in UNTICKED}}
            expected = f"1 or {col.choice.label!r} when ticked, blank, 0 or -99 when not"
            values = _parse_mapped(data[col.name], mapping, path, col.name, expected)  # maps every unanswered value
            ticks[question.choice_column(col.choice)] = values.astype(bool)
        answered = pd.DataFrame(ticks).any(axis=1)
        for name, values in ticks.items():
            out[name] = values.astype("boolean").where(answered, pd.NA)
    elif question.closed:
        col = columns[0]
        mapping = {str(c.code): c.id for c in question.choices} | {c.label: c.id for c in question.choices}
        codes = ", ".join(str(c.code) for c in question.choices)
        values = _parse_mapped(data[col.name], mapping, path, col.name, f"one of the codes {codes} or blank")
        out[question.id] = values.astype(pd.CategoricalDtype([c.id for c in question.choices]))
    else:
        out[question.id] = data[columns[0].name].where(~data[columns[0].name].isin(UNANSWERED)).astype("string")
    for col in columns:
        if col.is_text or question.type == "text":
            _check_length(data[col.name], path, col.name)
        if col.is_text:
            text = data[col.name].where(~data[col.name].isin(UNANSWERED)).astype("string")
            out[question.text_column(col.choice)] = text
    return out


# ----------------------------------------------------------------------------- writing


def export_header(codebook: Codebook) -> list[ExportColumn | tuple[str, str, str]]:
    columns: list[ExportColumn | tuple[str, str, str]] = list(METADATA_COLUMNS)
    for question in codebook.questions:
        columns.extend(question_columns(question))
    return columns


def write_export(responses: pd.DataFrame, codebook: Codebook, path: str | Path) -> None:
    """Write responses (export metadata columns + tidy question columns) as a Qualtrics CSV.

    ``responses`` holds the metadata under their export names (``StartDate`` …,
    already formatted as text) and the answers under their tidy names.
    """
    columns = export_header(codebook)
    names, labels, import_ids, cells = [], [], [], []
    for col in columns:
        if isinstance(col, ExportColumn):
            names.append(col.name)
            labels.append(col.label)
            import_ids.append(col.import_id)
            cells.append(_export_values(responses, col))
        else:
            name, label, import_id = col
            names.append(name)
            labels.append(label)
            import_ids.append(json.dumps({"ImportId": import_id}, separators=(",", ":")))
            cells.append(responses[name].fillna("").astype(str).tolist())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerow(labels)
        writer.writerow(import_ids)
        writer.writerows(zip(*cells))


def _export_values(responses: pd.DataFrame, col: ExportColumn) -> list[str]:
    question = col.question
    if col.is_text:
        series = responses[question.text_column(col.choice)]
        return series.astype("string").fillna("").tolist()
    if question.multi:
        ticked = responses[question.choice_column(col.choice)].astype("boolean").fillna(False)
        return ticked.map({True: "1", False: ""}).tolist()
    if question.closed:
        codes = {c.id: str(c.code) for c in question.choices}
        return [codes.get(value, "") for value in responses[question.id].astype(object)]
    return responses[question.id].astype("string").fillna("").tolist()
