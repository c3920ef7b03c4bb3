"""The tidy respondent table: one row per response, typed columns named from the codebook.

Stages hand it to each other as Arrow IPC files (Feather v2, zstd-compressed): typed
columns (categories, nullable integers and booleans, dates) survive the trip without
parsing, and a million rows are written in half a second (Parquet: two seconds).
pandas (``read_feather``), R's arrow, polars and DuckDB (through pyarrow) open them;
the tables a reviewer reads (attrition, crosstabs, ledger) are CSV. A stage that keeps
some rows or adds a column (cleaning, tiering) reads into pandas only the columns it
needs and copies or cuts the others as Arrow holds them (``with_columns``,
``kept_rows``), writing the bytes a round trip through pandas writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
    from pyarrow import ArrowInvalid, feather, ipc

    try:
        if columns is None:
            return feather.read_table(path)
        names = ipc.open_file(path).schema.names  # the footer alone: no rows read
        held = [c for c in columns if c in names]
        # no column named: the rows alone (Arrow reads every column where it is given none)
        return feather.read_table(path, columns=held or names[:1]).select(held)
    except ArrowInvalid as error:
        raise SurveyError(
            f"not a readable Arrow table ({error})",
            file=path,
            expected="a table written by the workflow: delete the file and run again",
        ) from None


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
    import pyarrow as pa

    write_table(pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=None), path)


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


def kept_rows(path: str | Path, kept: np.ndarray, frame: pd.DataFrame) -> KeptRows:
    """The table ``path`` holds (``write_tidy``'s) cut to the rows ``kept`` (a mask), with the columns of ``frame``
    (the kept rows of some of its columns as pandas holds them, changed or not) in place of its own: the table
    ``write_tidy`` writes for the table as pandas reads it, cut by pandas (tested; where a record batch of the file
    is kept whole, the text's padding bytes may differ from pandas', not the rows). Its other dates, numbers and
    categories are read and cut by pandas here (under a missing value, Arrow's cut writes zeros, pandas the value
    it holds); its other text and ticks are cut by Arrow as they are written (``KeptRows.write``), a record batch
    at a time, in the bytes cutting the whole table writes: the file's columns are never held whole (cleaning a
    million rows: half the memory faulted in, 0.4 s less)."""
    import pyarrow as pa
    from pyarrow import ipc

    schema = ipc.open_file(path).schema
    by_pandas = [
        field.name
        for field in schema
        if field.name not in frame and not (pa.types.is_large_string(field.type) or pa.types.is_boolean(field.type))
    ]
    cut = read_table(path, by_pandas).to_pandas()[kept].reset_index(drop=True)
    converted = _converted(pd.concat([frame.reset_index(drop=True), cut], axis=1))
    by_arrow = [field for field in schema if field.name not in converted.column_names]
    return KeptRows(Path(path), kept, converted, by_arrow, _schema(schema, by_arrow, converted))


@dataclass
class KeptRows:
    """The kept rows of a tidy table's file (``kept_rows``): ``converted``, the columns taken from pandas, cut;
    ``by_arrow``, the fields of the file's other columns, cut as they are written; ``schema``, the whole table's."""

    path: Path
    kept: np.ndarray
    converted: object
    by_arrow: list
    schema: object

    def write(self, target: str | Path) -> None:
        """Write the rows as ``write_table`` writes the table they make, atomically: the file's record batches are
        read (the ``by_arrow`` columns alone) and cut in turn, and the rows kept written ``BATCH_ROWS`` at a time."""
        write_atomically(target, lambda tmp: _write_batches(tmp, self.schema, self._batches()))

    def _batches(self):
        import pyarrow as pa
        from pyarrow import ipc

        names = [field.name for field in self.by_arrow]
        if not names:  # every column taken from pandas (Arrow loses a table's rows when it has no column)
            yield from pa.table(self.converted.select(self.schema.names), schema=self.schema).to_batches(BATCH_ROWS)
            return
        schema = ipc.open_file(self.path).schema
        source = ipc.open_file(self.path, options=_fields(schema, names))
        # each record batch's rows, read from its smallest column (a tick, where the table has one)
        ticks = [name for name in schema.names if schema.field(name).type == pa.bool_()] or schema.names
        counter = ipc.open_file(self.path, options=_fields(schema, ticks[:1]))
        bounds = np.cumsum([0, *(counter.get_batch(n).num_rows for n in range(counter.num_record_batches))])
        masks = [pa.array(self.kept[a:b]) for a, b in zip(bounds, bounds[1:])]
        ends = np.cumsum([int(np.count_nonzero(self.kept[a:b])) for a, b in zip(bounds, bounds[1:])])[:-1]
        pieces = (source.get_batch(n).filter(mask) for n, mask in enumerate(masks))
        written = 0
        for held in _rebatched(pieces, aligned=not (ends % BATCH_ROWS).any()):
            columns = dict(zip(names, held.columns))
            yield pa.RecordBatch.from_arrays(
                [
                    columns[name] if name in columns else _one(self.converted.column(name).slice(written, held.num_rows))
                    for name in self.schema.names
                ],
                schema=self.schema,
            )
            written += held.num_rows


def _fields(schema, names: list[str]):
    """Options to read the columns ``names`` of an IPC file of ``schema`` alone."""
    from pyarrow import ipc

    return ipc.IpcReadOptions(included_fields=[schema.get_field_index(name) for name in names])


def _rebatched(pieces, aligned: bool):
    """Record batches of ``BATCH_ROWS`` rows made of ``pieces`` (record batches of any lengths, in order) as the IPC
    writer writes those of the table they make (``write_table``): where every piece ends at a batch's end
    (``aligned``), slices of each piece; else slices of the pieces joined, each with the rows after it that the
    writer reads past a slice's end (up to 7 bytes of text), as it reads past a slice of the whole column joined."""
    import pyarrow as pa

    pending = []
    for piece in pieces:
        if aligned:
            yield from (piece.slice(start, BATCH_ROWS) for start in range(0, piece.num_rows, BATCH_ROWS))
            continue
        pending.append(piece)
        while sum(p.num_rows for p in pending) > BATCH_ROWS:
            held = pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
            if not _read_past(held):
                pending = [held]
                break
            yield held.slice(0, BATCH_ROWS)
            pending = [held.slice(BATCH_ROWS)]
    if sum(p.num_rows for p in pending):
        held = pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
        yield from (held.slice(start, BATCH_ROWS) for start in range(0, held.num_rows, BATCH_ROWS))


def _read_past(held) -> bool:
    """Whether each text column of ``held`` (one record batch) has 7 bytes of text after its first ``BATCH_ROWS``
    rows: all the IPC writer reads past their end."""
    import pyarrow as pa
    from pyarrow import compute

    after = [
        compute.sum(compute.binary_length(c.slice(BATCH_ROWS))).as_py() or 0
        for c in held.columns
        if pa.types.is_large_string(c.type)
    ]
    return all(length >= 7 for length in after)


def _one(column):
    """A column (a pyarrow ChunkedArray) as one array: its piece where it has one (not copied)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


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

    table = pa.table([_in_batches(column) for column in table.columns], schema=table.schema)
    write_atomically(path, lambda tmp: _write_batches(tmp, table.schema, table.to_batches(max_chunksize=BATCH_ROWS)))


def _write_batches(path: str, schema, batches) -> None:
    """An Arrow IPC file of record batches, zstd-compressed (what ``pyarrow.feather.write_feather`` writes)."""
    from pyarrow import ipc

    with ipc.new_file(path, schema, options=ipc.IpcWriteOptions(compression="zstd")) as writer:
        for batch in batches:
            writer.write_batch(batch)


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
