"""Qualtrics CSV exports, current and legacy: read one into an Export.

The current layout (three header rows: column IDs, question text, ImportId JSON;
multi-select split into ``Qn_k`` columns or unsplit in ``Qn``; ``_TEXT`` columns
after the choice they specify) and the legacy one (two header rows, ``V1``…
metadata) are the platform's; which columns hold which question is the codebook's.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .codebook import Choice, Codebook, Column, Question
from .csvcells import read_csv_cells, response_rows
from .errors import SurveyError
from .export import UNANSWERED, Export, check_columns, number_repeats, shortened
from .qsf import plain

HEADER_ROWS = 3
SELECTED = " - Selected Choice"  # what row 2 adds to a question with a "please specify" choice
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
    """The export columns of one question, in the platform's order (``Question.columns``), with their labels and ImportIds."""
    return [_export_column(column) for column in question.columns]


def _export_column(column: Column) -> ExportColumn:
    part, choice = column.part, column.choice
    qid = part.import_id.removesuffix("_TEXT")
    if column.text:
        label, key = f"{part.text} - {choice.label} - Text", {"ImportId": f"{qid}_{choice.code}_TEXT"}
    elif choice is not None:  # a multi-select's tick
        label, key = f"{part.text} - {choice.label}", {"ImportId": qid, "choiceId": str(choice.code)}
    else:
        label, key = part.text, {"ImportId": part.import_id}
    return ExportColumn(column.export, label, json.dumps(key, separators=(",", ":")), part, choice, column.text)


# ----------------------------------------------------------------------------- reading

# The legacy exporter's metadata columns (V1 … V10, named in its second header row).
LEGACY_METADATA = {
    "ResponseID": "response_id",
    "StartDate": "start",
    "EndDate": "end",
    "Status": "status",
    "Finished": "finished",
}
LEGACY_PII = {
    "EmailAddress": "email",
    "Name": "name",
    "IPAddress": "ip_address",
    "ExternalDataReference": "external_reference",
    "LocationLatitude": "latitude",
    "LocationLongitude": "longitude",
}
# Panel (contact list) columns some legacy exports add: personal data too, the e-mail where EmailAddress is blank.
LEGACY_RECIPIENT = {"RecipientEmail": "email", "RecipientFirstName": "first_name", "RecipientLastName": "last_name"}
LEGACY_OTHER = {"ResponseSet", "LocationAccuracy"}


def answer_columns(question: Question, header: list[str]) -> list[str]:
    """The export columns holding a question: split (``Qn_code``) or, if the export has it so, unsplit (``Qn``)."""
    columns = [col.name for col in question_columns(question)]
    if question.multi and question.column in header and not any(c in header for c in columns if not c.endswith("_TEXT")):
        return [question.column] + [c for c in columns if c.endswith("_TEXT")]
    return columns


def _answers(data: pd.DataFrame, codebook: Codebook, path: Path, first_row: int) -> pd.DataFrame:
    """The question columns, unsplit multi-select columns split by the codebook's choice lists."""
    parts = []
    for question in codebook.questions:
        columns = answer_columns(question, list(data.columns))
        if question.multi and columns[0] == question.column:
            parts.append(split_multi_select(data, question, path, first_row))
            parts.append(data[columns[1:]])
        elif question.closed and not question.multi and any(c.match for c in question.choices):
            # a choice-text export holds the survey's own wording: its ``match``, read as the choice's code
            parts.append(data[columns].replace({question.column: {c.match: str(c.code) for c in question.choices if c.match}}))
        else:
            parts.append(data[columns])
    return pd.concat(parts, axis=1)


CODED_METADATA = ("status", "progress", "duration", "finished")  # metadata of a few distinct values, read as numbers


def coded_columns(codebook: Codebook) -> set[str]:
    """The export columns (as row 1 names them) that hold codes: closed answers, ticks, and the metadata read as numbers."""
    answers = {c.name for q in codebook.closed for c in question_columns(q) if not c.is_text}
    return answers | {codebook.metadata[key] for key in CODED_METADATA if key in codebook.metadata}


def read_current(path: Path, codebook: Codebook) -> Export:
    """A Qualtrics current CSV export: three header rows (IDs, question text, ImportId JSON)."""
    cells = read_csv_cells(path, "a Qualtrics CSV export", coded_columns(codebook))
    if len(cells) < HEADER_ROWS:
        raise SurveyError(f"the file has {len(cells)} row(s)", file=path, expected="three header rows, then responses")
    if not all(value.startswith('{"ImportId"') for value in cells.iloc[2] if value):
        raise SurveyError("row 3 does not hold ImportId JSON", file=path, row=3, expected='{"ImportId": ...} in every column')
    labels = [str(c) for c in cells.iloc[1]]
    ids = number_repeats([str(c) for c in cells.iloc[0]], set(expected_columns(codebook)))
    header = disambiguate(ids, [import_key(str(c)) for c in cells.iloc[2]], codebook)
    meta = codebook.metadata
    questions = [c for q in codebook.questions for c in answer_columns(q, header)]
    known = set(codebook.pii.values()) | {name for name, _, _ in METADATA_COLUMNS}
    check_columns(header, path, codebook, [*meta.values(), *questions], known, labels)
    data = response_rows(cells, HEADER_ROWS, path, header)
    first_row = HEADER_ROWS + 1
    pii = {key: data[column] for key, column in codebook.pii.items() if column in data}
    return Export(
        path=path,
        platform="qualtrics",
        meta=pd.DataFrame({key: data[column] for key, column in meta.items()}, index=data.index),
        pii=pd.DataFrame(pii, index=data.index),
        answers=_answers(data, codebook, path, first_row),
        first_row=first_row,
        names=dict(meta),
    )


def import_key(cell: str) -> tuple[str, str | None] | None:
    """A row-3 cell's ImportId and choiceId (None where it has none); None for a cell that is not ImportId JSON."""
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    if not isinstance(value, dict) or "ImportId" not in value:
        return None
    return str(value["ImportId"]), (str(value["choiceId"]) if "choiceId" in value else None)


def expected_columns(codebook: Codebook) -> dict[str, ExportColumn]:
    """Column name -> what the codebook says it holds, split and unsplit multi-select alike."""
    columns = {}
    for question in codebook.questions:
        for column in question_columns(question):
            columns[column.name] = column
        if question.multi:
            import_id = json.dumps({"ImportId": question.import_id}, separators=(",", ":"))
            columns.setdefault(question.column, ExportColumn(question.column, question.text, import_id, question))
    return columns


def disambiguate(header: list[str], keys: list[tuple[str, str | None] | None], codebook: Codebook) -> list[str]:
    """Column IDs that repeat (a question tag used twice) told apart by their ImportId.

    The column whose ImportId is the codebook's keeps the name; the others, and
    repeated columns the codebook does not read, are named by their position
    (``Q5 (column 12)``) and ignored. Where the ImportIds do not tell which one the
    codebook means, the name is left repeated for ``check_columns`` to refuse.
    """
    expected = expected_columns(codebook)
    names = list(header)
    for name in {c for c in header if c and header.count(c) > 1}:
        positions = [i for i, c in enumerate(header) if c == name]
        wanted = import_key(expected[name].import_id) if name in expected else None
        keep = [i for i in positions if wanted is not None and keys[i] == wanted]
        if name in expected and len(keep) != 1:
            continue
        for i in positions:
            if i not in keep:
                names[i] = f"{name} (column {i + 1})"
    return names


def header_problems(path: Path, codebook: Codebook) -> list[str]:
    """Where the export's header rows (question text, ImportId) name another question than the codebook does.

    One line per column: the file, the column, what the header says and what the
    codebook says. The ImportId is the question's (``QID6``; a "please specify"
    column's ``QID6_5_TEXT`` names the choice by its id, not its code); text is
    compared without HTML tags, entities, runs of whitespace and the " - Selected
    Choice" Qualtrics adds, and a choice's column label only has to begin with its
    question's.
    A file whose first three rows cannot be read is left to the reader to name.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = [row for _, row in zip(range(HEADER_ROWS), csv.reader(handle))]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    if len(rows) < HEADER_ROWS or len({len(row) for row in rows}) != 1:
        return []
    keys = [import_key(cell) for cell in rows[2]]
    header = disambiguate(number_repeats(rows[0], set(expected_columns(codebook))), keys, codebook)
    problems = []
    for name, column in expected_columns(codebook).items():
        if name not in header or header.count(name) > 1:
            continue
        position = header.index(name)
        said, text = (plain(t).removesuffix(SELECTED) for t in (rows[1][position], column.question.text))
        qid, found = column.question.import_id.removesuffix("_TEXT"), keys[position]
        same_question = found is not None and (found[0] == qid or found[0].startswith(qid + "_"))
        if not same_question or not (said == text or said.startswith(text + " - ")):
            problems.append(
                f"{path}, column {name!r}: the header says {shortened(said, 80)!r} "
                f"({'ImportId ' + found[0] if found else 'no ImportId'}), "
                f"the codebook {codebook.source} says {shortened(text, 80)!r} (ImportId {qid}, question {column.question.id!r})"
            )
    return problems


def legacy_header_rows(cells: pd.DataFrame) -> int:
    """2, or 3 where a third row holds ImportIds (``{'ImportId': 'QID1'}``, as exports of about 2016 wrote)."""
    third = [value for value in cells.iloc[2]] if len(cells) > 2 else []
    marked = [value.startswith(("{'ImportId'", '{"ImportId"')) for value in third if value]
    return 3 if marked and all(marked) else 2


def read_legacy(path: Path, codebook: Codebook) -> Export:
    """A Qualtrics legacy CSV export: two header rows (``V1``… IDs, labels), often a BOM and a trailing empty column.

    Some exports add a third header row of ImportIds; it is skipped.

    The legacy layout has no progress, duration or recorded date: progress is
    derived from the answers (100 when finished), duration from start and end.
    """
    cells = read_csv_cells(path, "a Qualtrics legacy CSV export", coded_columns(codebook))
    if len(cells) < 2:
        raise SurveyError(f"the file has {len(cells)} row(s)", file=path, expected="two header rows, then responses")
    ids = [str(c) for c in cells.iloc[0]]
    labels = [str(c) for c in cells.iloc[1]]
    # Metadata columns are named by their label; questions by their ID.
    header = [label if (i.startswith("V") and i[1:].isdigit()) else i for i, label in zip(ids, labels)]
    header = number_repeats(header, set(expected_columns(codebook)))
    header_rows = legacy_header_rows(cells)
    empty = [n for n, name in enumerate(header) if name == "" and cells.iloc[header_rows:, n].eq("").all()]
    cells = cells.drop(columns=cells.columns[empty])
    ids = [i for n, i in enumerate(ids) if n not in empty]
    header = [name for n, name in enumerate(header) if n not in empty]
    questions = [c for q in codebook.questions for c in answer_columns(q, header)]
    known = set(LEGACY_PII) | set(LEGACY_RECIPIENT) | LEGACY_OTHER
    check_columns(header, path, codebook, [*LEGACY_METADATA, *questions], known)
    data = response_rows(cells, header_rows, path, header)
    first_row = header_rows + 1
    names = {key: next(i for i, h in zip(ids, header) if h == column) + f" ({column})" for column, key in LEGACY_METADATA.items()}
    return Export(
        path=path,
        platform="qualtrics_legacy",
        meta=pd.DataFrame({key: data[column] for column, key in LEGACY_METADATA.items()}),
        pii=_legacy_pii(data),
        answers=_answers(data, codebook, path, first_row),
        first_row=first_row,
        names=names,
    )


def _legacy_pii(data: pd.DataFrame) -> pd.DataFrame:
    """The legacy export's personal data; a recipient column fills in where the respondent's own is blank or absent."""
    pii = pd.DataFrame({key: data[column] for column, key in LEGACY_PII.items() if column in data}, index=data.index)
    for column, key in LEGACY_RECIPIENT.items():
        if column in data:
            pii[key] = pii[key].where(pii[key].ne(""), data[column]) if key in pii else data[column]
    return pii


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
    labels = sorted(question.choices, key=lambda c: -len(c.matched))

    def from_position(start: int) -> list[str] | None:
        if start >= len(cell):
            return []
        for choice in labels:
            end = start + len(choice.matched)
            if cell.startswith(choice.matched, start) and (end == len(cell) or cell[end] == ","):
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
        labels = "; ".join(c.matched for c in question.choices)
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
