"""The tidy respondent table: one row per response, typed columns named from the codebook.

Stages hand it to each other as Arrow IPC files (Feather v2, zstd-compressed): typed
columns (categories, nullable integers and booleans, dates) survive the trip without
parsing, and a million rows are written in half a second (Parquet: two seconds).
pandas (``read_feather``), R's arrow, polars and DuckDB (through pyarrow) open them;
the tables a reviewer reads (attrition, crosstabs, ledger) are CSV. A stage that keeps
some rows or adds a column (cleaning, tiering) reads into pandas only the columns it
needs and copies or cuts the others as Arrow holds them (``with_columns``,
``kept_rows``), writing the bytes a round trip through pandas writes (but for the
padding of the text where every record batch keeps a multiple of a batch's rows).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_atomically
from .codebook import Codebook, Column, Question
from .errors import SurveyError

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

TIER = "tier"


def question_dtypes(codebook: Codebook) -> dict[str, object]:
    """Column -> dtype for every question column of the tidy table."""
    return {column.tidy: _dtype(question, column) for question in codebook.questions for column in question.columns}


def _dtype(question: Question, column: Column) -> object:
    if column.text:
        return "string"
    if question.multi:
        return "boolean"
    if question.closed:
        return pd.CategoricalDtype([c.id for c in question.choices], ordered=False)
    return "Float64" if question.numeric else "string"


def received_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions in the order the responses were received: by recorded date, then response ID.

    Sorted by Arrow: pandas' sort on strings takes seconds at a million rows.
    """
    import pyarrow as pa
    from pyarrow import compute

    keys = pa.table({"recorded": pa.array(frame["recorded"]), "response_id": pa.array(frame["response_id"])})
    return compute.sort_indices(keys, sort_keys=[("recorded", "ascending"), ("response_id", "ascending")]).to_numpy()


def read_table(path: str | Path, columns: list[str] | None = None):
    """A tidy table written by ``write_tidy`` as Arrow holds it (or only those of ``columns`` it holds: a weight, say,
    only a weighted table has)."""
    from pyarrow import feather, ipc

    def read():
        if columns is None:
            return feather.read_table(path)
        names = ipc.open_file(path).schema.names  # the footer alone: no rows read
        held = [c for c in columns if c in names]
        # no column named: the rows alone (Arrow reads every column where it is given none)
        return feather.read_table(path, columns=held or names[:1]).select(held)

    return _read(path, read)


def read_tidy(path: str | Path, codebook: Codebook, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a tidy table written by ``write_tidy`` (or only those of ``columns`` it holds); question columns keep
    the codebook's types."""
    return tidy_frame(read_table(path, columns), codebook, path)


def tidy_frame(table, codebook: Codebook, path: str | Path) -> pd.DataFrame:
    """A tidy table read from ``path`` (``read_table``) as pandas holds it; question columns keep the codebook's
    types."""
    frame = table.to_pandas()  # what pandas' read_feather makes of it
    for column, dtype in question_dtypes(codebook).items():
        if column in frame and frame[column].dtype != dtype:
            raise SurveyError(
                f"column {column!r} is {frame[column].dtype}, the codebook implies {dtype}",
                file=path,
                expected="a table written by this version of the workflow (rerun it)",
            )
    return frame


BATCH_ROWS = 1 << 16  # the rows of each record batch of the file (Feather's default)


def write_tidy(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a tidy table as an Arrow IPC file, atomically: the table pandas' ``to_feather`` writes."""
    write_table(_converted(frame), path)


def with_columns(table, added: pd.DataFrame):
    """``table`` (a tidy table as ``read_table`` reads it) with the columns of ``added``, a frame of its rows in
    their order, put in place of its own or after them: the table ``write_tidy`` writes for the table as pandas
    reads it with those columns set, without converting the table's other columns to pandas and back (a stage
    that adds a column to a million rows: half a second)."""
    import pyarrow as pa

    converted = _converted(added)
    schema = _schema(table.schema, list(table.schema), converted)
    columns = dict(zip(table.column_names, table.columns)) | dict(zip(converted.column_names, converted.columns))
    return pa.table([columns[name] for name in schema.names], schema=schema)


def kept_rows(path: str | Path, kept: np.ndarray, frame: pd.DataFrame):
    """The table ``path`` holds (``write_tidy``'s) cut to the rows ``kept`` (a mask), with the columns of ``frame``
    (the kept rows of some of its columns as pandas holds them, changed or not) in place of its own: the table
    ``write_tidy`` writes for the table as pandas reads it, cut by pandas (tested; where every record batch keeps a
    multiple of ``BATCH_ROWS`` rows but the last, the text's padding bytes may differ, not the rows). Its other
    dates, numbers and categories are read and cut by pandas (under a missing value, Arrow's cut writes zeros,
    pandas the value it holds); its other text and ticks are read and cut by Arrow a record batch at a time, and
    made one array a column at a time: the file is never held whole, nor a column twice (cleaning a million rows:
    a third fewer pages faulted in, about 0.3 s less)."""
    import pyarrow as pa
    from pyarrow import ipc

    schema = _read(path, lambda: ipc.open_file(path).schema)
    by_pandas = [
        field.name
        for field in schema
        if field.name not in frame and not (pa.types.is_large_string(field.type) or pa.types.is_boolean(field.type))
    ]
    cut = read_table(path, by_pandas).to_pandas()[kept].reset_index(drop=True)
    converted = _converted(pd.concat([frame.reset_index(drop=True), cut], axis=1))
    names = [name for name in schema.names if name not in converted.column_names]
    held = _read(path, lambda: _cut(path, schema, names, kept)) if names else {}
    schema = _schema(schema, [schema.field(name) for name in names], converted)
    columns = held | dict(zip(converted.column_names, converted.columns))
    return pa.table([columns[name] for name in schema.names], schema=schema)


def _cut(path: str | Path, schema, names: list[str], kept: np.ndarray) -> dict:
    """The columns ``names`` of the file cut to the rows ``kept``, as Arrow's cut of the whole table holds them (a
    piece per record batch that keeps rows) and ``write_table`` writes them (``_in_batches``): read and cut a record
    batch at a time, then made one array a column at a time, each column's pieces let go once it is."""
    import pyarrow as pa
    from pyarrow import ipc

    source = ipc.open_file(path, options=ipc.IpcReadOptions(included_fields=[schema.get_field_index(n) for n in names]))
    pieces, start = [], 0
    for number in range(source.num_record_batches):
        batch = source.get_batch(number)
        piece = batch.filter(pa.array(kept[start : start + batch.num_rows]))
        start += batch.num_rows
        if piece.num_rows:  # as Arrow's cut of a column in pieces keeps none that is empty
            pieces.append(piece)
    table = pa.Table.from_batches(pieces, pa.schema([schema.field(name) for name in names]))
    del pieces
    columns = {}
    while table.num_columns:
        columns[table.column_names[0]] = _in_batches(table.column(0))
        table = table.remove_column(0)
    return columns


def _read(path: str | Path, read):
    """``read()`` of the Arrow file ``path``, a file it cannot read a located error."""
    from pyarrow import ArrowInvalid

    try:
        return read()
    except (ArrowInvalid, OSError) as error:  # Arrow's own (a file cut short, data that does not decompress)
        if isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise SurveyError(
            f"not a readable Arrow table ({error})",
            file=path,
            expected="a table written by the workflow: delete the file and run again",
        ) from None


def _converted(frame: pd.DataFrame):
    """The frame as ``write_tidy`` converts it to Arrow."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=None)


def _schema(schema, held: list, converted):
    """The schema of the fields ``held`` (some of ``schema``'s) and of ``converted``'s columns, in ``schema``'s
    order, ``converted``'s new ones after; with the pandas metadata pandas writes: the index and versions of the
    conversion, and each column's entry as ``schema``'s or as converted."""
    import json

    import pyarrow as pa

    fields = {field.name: field for field in held} | {field.name: field for field in converted.schema}
    names = [*schema.names, *(name for name in converted.column_names if name not in schema.names)]
    metadata = json.loads(converted.schema.metadata[b"pandas"])
    entries = {entry["name"]: entry for entry in json.loads(schema.metadata[b"pandas"])["columns"]}
    entries |= {entry["name"]: entry for entry in metadata["columns"]}
    metadata["columns"] = [entries[name] for name in names]
    return pa.schema([fields[name] for name in names], metadata={b"pandas": json.dumps(metadata).encode("utf8")})


def write_table(table, path: str | Path) -> None:
    """Write a tidy table held by Arrow (``with_columns``) as an Arrow IPC file, atomically.

    In record batches of ``BATCH_ROWS`` rows. A column held in pieces that end elsewhere than at a batch's end
    (text read in blocks by Arrow's CSV reader, rows filtered) is first made one array, or the file would be cut
    into a record batch per piece, and every later stage would read, filter and take across hundreds of pieces;
    one read from such a file (the previous stage's) already ends its pieces there, and is not copied.
    """
    import pyarrow as pa
    from pyarrow import feather

    table = pa.table([_in_batches(column) for column in table.columns], schema=table.schema)
    write_atomically(path, lambda tmp: feather.write_feather(table, tmp, compression="zstd", chunksize=BATCH_ROWS))


def _in_batches(column):
    """The column (a pyarrow ChunkedArray), made one array unless each of its pieces ends at a record batch's end."""
    import pyarrow as pa

    ends = np.cumsum([len(piece) for piece in column.chunks[:-1]], dtype=np.int64)
    return column if not (ends % BATCH_ROWS).any() else pa.chunked_array([column.combine_chunks()], column.type)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically: the file appears whole or not at all.

    A table of text alone (the dispositions: a row per raw response) is written by Arrow, in the bytes pandas
    writes, where nothing in it needs quoting (Arrow quotes otherwise than pandas): ten times faster.
    """
    text = _unquoted_csv(frame)

    def write(tmp: str) -> None:
        if text is not None:
            Path(tmp).write_bytes(text)
            return
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            frame.to_csv(out, index=False, date_format=DATE_FORMAT, lineterminator="\n")

    write_atomically(path, write)


QUOTED = re.compile(r'[",\r\n]')  # what a CSV field is quoted for


def _unquoted_csv(frame: pd.DataFrame) -> bytes | None:
    """The CSV of a table of two or more text columns, nothing in which needs quoting, written by Arrow; else None."""
    import pyarrow as pa
    from pyarrow import csv

    names = [str(name) for name in frame.columns]
    if len(names) < 2 or any(QUOTED.search(name) for name in names):
        return None
    if not all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes):
        return None
    body = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    try:  # a value with a quote, comma or line break stops Arrow's writer
        csv.write_csv(table, body, csv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:
        return None
    return (",".join(names) + "\n").encode("utf-8") + body.getvalue().to_pybytes()
