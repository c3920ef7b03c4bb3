"""CSV exports as cells of text: read with Arrow, and, when Arrow refuses a file, why.

A well-formed file is read by Arrow's multi-threaded reader, every cell as text: the
columns the caller names as holding codes (closed answers) as categories, a small
integer per cell, the others as strings. A file it refuses is read again record by
record to raise one located error: an empty file, one that is not UTF-8 (and what it
looks like instead), a row with too few or too many fields, a runaway quoted field.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from .errors import SurveyError


def read_csv_cells(path: Path, what: str, coded: Collection[str] = ()) -> pd.DataFrame:
    """Every cell of a UTF-8 CSV file as text, header rows included; encoding and shape checked.

    The columns whose first row names one of ``coded`` hold few distinct values (codes
    of closed answers): they are read as categories of their text (each distinct text
    once, a small integer per cell), the others as strings.
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
    header = _header(path)
    if header:
        try:
            return _read_arrow(path, [name in coded for name in header])
        except pa.ArrowInvalid as error:
            refusal = error
    else:
        refusal = None
    _diagnose(path, what)
    raise SurveyError(f"the file is not valid CSV: {refusal}", file=path)


def _header(path: Path) -> list[str]:
    """The fields of the first record (none for an empty file or an unreadable one)."""
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as handle:
        try:
            return next(csv.reader(handle), [])
        except csv.Error:
            return []


CATEGORIES = pa.dictionary(pa.int32(), pa.string())  # Arrow's reader encodes them as it parses, in parallel


def _read_arrow(path: Path, coded: list[bool]) -> pd.DataFrame:
    names = [f"f{i}" for i in range(len(coded))]
    # large_string is what pandas' Arrow-backed str columns hold: no copy into pandas
    types = {name: CATEGORIES if code else pa.large_string() for name, code in zip(names, coded)}
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 22),
        parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    columns = []
    while table.num_columns:  # the table lets go of each column once converted: the text is not held twice
        # categories: each block of the file has its own dictionary, and the conversion makes them one
        columns.append(table.column(0).to_pandas())
        table = table.remove_column(0)
    return pd.concat(columns, axis=1, keys=range(len(coded)))


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
        for number, record in enumerate(csv.reader(handle), start=1):  # noqa: B007 (read after the loop)
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
            for number, record in enumerate(csv.reader(handle), start=1):  # noqa: B007 (read after the loop)
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
