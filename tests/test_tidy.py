"""The fast paths of the tidy table's reading and writing give pandas' results: dates, text-only CSV, record batches."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pyarrow import feather

from surveyreport.parse import _to_datetime
from surveyreport.tidy import (
    DATE_FORMAT,
    kept_rows,
    read_table,
    read_tidy,
    tidy_frame,
    with_columns,
    write_csv,
    write_table,
    write_tidy,
)

ODD_DATES = [
    "2012-07-03 08:00:08",
    "2012-7-3 8:0:8",  # not zero-padded: pandas reads it
    " 2012-07-03 08:00:08",  # Arrow reads a leading space, pandas does not
    "2012-07-03 08:00:08 ",
    "2012-07-03T08:00:08",
    "2012-07-03 08:00:60",  # both read the 60th second as the next minute
    "2012-02-30 08:00:00",  # Arrow reads it as March 1st, pandas does not
    "12-07-03 08:00:08",  # Arrow reads year 12, pandas does not
    "",
    None,
    "not a date",
]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_dates_are_read_as_pandas_reads_them(dtype):
    cells = pd.Series(ODD_DATES, dtype=dtype)
    expected = pd.to_datetime(cells, format=DATE_FORMAT, errors="coerce")
    pd.testing.assert_series_equal(_to_datetime(cells, DATE_FORMAT), expected)


@pytest.mark.parametrize(
    "ids",
    [
        ["R_1", "R_2", None],
        ["R_1", "a,b", "c"],  # quoted by pandas: pandas writes the table
        ['say "hi"', "R_2", "R_3"],
        ["line\nbreak", "R_2", "R_3"],
    ],
)
def test_a_table_of_text_is_written_as_pandas_writes_it(tmp_path, ids):
    frame = pd.DataFrame(
        {"response_id": pd.array(ids, dtype="string"), "disposition": pd.array(["kept", None, "speeder"], dtype="string")}
    )
    write_csv(frame, tmp_path / "table.csv")
    assert (tmp_path / "table.csv").read_bytes() == frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


@pytest.mark.parametrize("ends", [[70_000, 140_000], [65_536, 196_608], [131_072]])  # a batch: 65,536 rows
def test_a_table_held_in_pieces_is_written_as_one_held_whole(tmp_path, ends):
    rows = 200_000
    ids = pd.array([f"R_{n}" for n in range(rows)], dtype="string")
    write_tidy(pd.DataFrame({"response_id": ids, "n": range(rows)}), tmp_path / "whole.arrow")
    bounds = [0, *ends, rows]
    pieces = pa.chunked_array([pa.array(ids[a:b], pa.large_string()) for a, b in zip(bounds, bounds[1:])])
    write_tidy(pd.DataFrame({"response_id": pd.array(pieces, dtype="string"), "n": range(rows)}), tmp_path / "pieces.arrow")
    assert (tmp_path / "pieces.arrow").read_bytes() == (tmp_path / "whole.arrow").read_bytes()
    assert feather.read_table(tmp_path / "pieces.arrow").column(0).num_chunks == 4


@pytest.mark.parametrize("rows", [0, 5, 140_000])
def test_a_table_is_written_as_feather_writes_it(tmp_path, rows):
    table = pa.Table.from_pandas(every_type(rows, seed=5), preserve_index=None)
    write_table(table, tmp_path / "table.arrow")
    feather.write_feather(table, tmp_path / "feather.arrow", compression="zstd")
    assert (tmp_path / "table.arrow").read_bytes() == (tmp_path / "feather.arrow").read_bytes()


NO_QUESTIONS = SimpleNamespace(questions=())  # a codebook whose types ``read_tidy`` has nothing to check against


def every_type(rows: int, seed: int) -> pd.DataFrame:
    """A tidy-like table of every column type a stage writes, missing values in each (their values underneath too)."""
    rng = np.random.default_rng(seed)
    missing = rng.random(rows) < 0.2
    return pd.DataFrame(
        {
            "response_id": pd.array([f"R_{n}" for n in range(rows)], dtype="string"),
            "recorded": pd.Series(pd.to_datetime(rng.integers(1.3e9, 1.4e9, rows), unit="s")).mask(missing),
            "status": pd.array(rng.integers(0, 3, rows), dtype="Int64").copy(),
            "finished": pd.array(rng.random(rows) < 0.5, dtype="boolean"),
            "meeting": pd.Categorical.from_codes(rng.integers(-1, 3, rows), categories=["weekly", "monthly", "never"]),
            "tools.lms": pd.array(np.where(missing, None, rng.random(rows) < 0.5), dtype="boolean"),
            "hours": pd.array(np.where(missing, np.nan, rng.random(rows)), dtype="Float64"),
            "comment": pd.array(np.where(missing, None, [f"text {n}" for n in range(rows)]), dtype="string"),
        }
    ).assign(status=lambda f: f["status"].mask(missing))


@pytest.mark.parametrize("rows", [5, 70_000])  # one record batch, and two
@pytest.mark.parametrize(
    "added",
    [
        lambda f, rng: pd.DataFrame({"tier": pd.array(rng.choice(["a", "b", None], len(f)), dtype="string")}),
        lambda f, rng: pd.DataFrame({"weight": rng.random(len(f)) + 0.5, "tier": pd.array(["a"] * len(f), dtype="string")}),
        lambda f, rng: f[["meeting"]].assign(meeting=f["meeting"].cat.codes.map({0: "never"}).astype(f["meeting"].dtype)),
    ],
    ids=["a column added", "two added", "one put in place of its own"],
)
def test_columns_set_in_arrow_are_written_as_pandas_writes_the_table(tmp_path, rows, added):
    frame = every_type(rows, seed=rows)
    write_tidy(frame, tmp_path / "before.arrow")
    columns = added(frame, np.random.default_rng(1))
    write_table(with_columns(read_table(tmp_path / "before.arrow"), columns), tmp_path / "arrow.arrow")
    write_tidy(read_tidy(tmp_path / "before.arrow", codebook=NO_QUESTIONS).assign(**columns), tmp_path / "pandas.arrow")
    assert (tmp_path / "arrow.arrow").read_bytes() == (tmp_path / "pandas.arrow").read_bytes()


def test_no_column_named_reads_the_rows_alone(tmp_path):
    write_tidy(every_type(7, seed=0), tmp_path / "table.arrow")
    assert read_table(tmp_path / "table.arrow", []).shape == (7, 0)
    assert read_tidy(tmp_path / "table.arrow", NO_QUESTIONS, ["not held"]).shape == (7, 0)


@pytest.mark.parametrize("rows", [5, 140_000])  # one record batch, and three cut to two
@pytest.mark.parametrize(
    "read",
    [[], ["response_id", "tools.lms"], ["status", "meeting"], list(every_type(1, seed=0))],
    ids=["none", "text and ticks", "number and category", "every column"],
)
def test_rows_cut_in_arrow_are_written_as_pandas_writes_them(tmp_path, rows, read):
    frame = every_type(rows, seed=rows + 1)
    write_tidy(frame, tmp_path / "before.arrow")
    kept = np.random.default_rng(2).random(rows) < 0.6
    in_pandas = tidy_frame(read_table(tmp_path / "before.arrow", read), NO_QUESTIONS, "before.arrow")
    write_table(kept_rows(tmp_path / "before.arrow", kept, in_pandas[kept]), tmp_path / "arrow.arrow")
    write_tidy(read_tidy(tmp_path / "before.arrow", NO_QUESTIONS)[kept], tmp_path / "pandas.arrow")
    assert (tmp_path / "arrow.arrow").read_bytes() == (tmp_path / "pandas.arrow").read_bytes()


def cut_whole(path, kept: np.ndarray, in_pandas: pd.DataFrame) -> pa.Table:
    """The rows kept cut from the whole table read at once: Arrow's cut of the text and ticks, pandas' of the rest."""
    table = read_table(path)
    by_pandas = [f.name for f in table.schema if f.name not in in_pandas and f.type not in (pa.large_string(), pa.bool_())]
    frame = pd.concat(
        [in_pandas.reset_index(drop=True), table.select(by_pandas).to_pandas()[kept].reset_index(drop=True)], axis=1
    )
    return with_columns(table.filter(pa.array(kept)), frame)  # in the table's order, pandas' columns in place


def blanks_after_the_first_batch(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(comment=frame["comment"].mask(frame.index.isin(range(65_536, 65_600)), ""))


@pytest.mark.parametrize(
    ("kept", "change"),
    [
        (lambda k: k | (np.arange(len(k)) < 65_536), None),  # the first record batch kept whole: one written batch
        (lambda k: np.ones(len(k), bool), blanks_after_the_first_batch),  # every batch whole, the texts after one blank
        (lambda k: k & ~np.isin(np.arange(len(k)), range(65_536, 131_072)), blanks_after_the_first_batch),
        (lambda k: k, lambda f: f.assign(comment=f["comment"].mask(np.arange(len(f)) % 40 > 0))),  # a text seldom given
        # blank from before the first written batch's end to the second record batch's: the text after it is further on
        (lambda k: k, lambda f: f.assign(comment=f["comment"].mask(f.index.isin(range(90_000, 131_072)), ""))),
        (lambda k: k, lambda f: f.assign(comment=pd.array([None] * len(f), dtype="string"))),  # a text never given
        # the first batch kept whole, some of the second, none of the last: written as the pieces are
        (lambda k: (np.arange(len(k)) < 65_536) | (k & (np.arange(len(k)) < 131_072)), None),
    ],
    ids=[
        "a batch kept whole",
        "every row kept",
        "a batch dropped, blanks after",
        "sparse text",
        "blanks across a batch's end",
        "no text",
        "the last batch dropped",
    ],
)
def test_rows_cut_a_batch_at_a_time_are_the_rows_cut_from_the_whole_table(tmp_path, kept, change):
    frame = every_type(200_000, seed=4)
    write_tidy(change(frame) if change else frame, tmp_path / "before.arrow")
    mask = kept(np.random.default_rng(3).random(len(frame)) < 0.6)
    in_pandas = tidy_frame(read_table(tmp_path / "before.arrow", ["status"]), NO_QUESTIONS, "before.arrow")[mask]
    write_table(kept_rows(tmp_path / "before.arrow", mask, in_pandas), tmp_path / "batches.arrow")
    write_table(cut_whole(tmp_path / "before.arrow", mask, in_pandas), tmp_path / "whole.arrow")
    assert (tmp_path / "batches.arrow").read_bytes() == (tmp_path / "whole.arrow").read_bytes()


def test_a_damaged_table_is_a_located_error_naming_it(tmp_path):
    from surveyreport.errors import SurveyError

    path = tmp_path / "responses.arrow"
    write_tidy(every_type(140_000, seed=6), path)
    data = bytearray(path.read_bytes())
    middle = len(data) * 7 // 10
    data[middle : middle + 4096] = b"\xff" * 4096  # a record batch's compressed columns overwritten
    path.write_bytes(bytes(data))
    for read in (lambda: read_table(path), lambda: kept_rows(path, np.ones(140_000, bool), pd.DataFrame(index=range(140_000)))):
        with pytest.raises(SurveyError, match="not a readable Arrow table") as error:
            read()
        assert str(error.value).startswith(str(path))


def test_coded_cells_read_in_many_blocks_are_the_cells_pandas_reads(tmp_path):
    """Arrow reads a file in blocks of 4 MB, each with the codes it met (in its order): one set of categories."""
    from surveyreport.csvcells import read_csv_cells

    rng = np.random.default_rng(7)
    rows = 420_000  # about 9 MB: three blocks
    codes = np.where(np.arange(rows) < rows // 2, rng.choice(["2", "1", ""], rows), rng.choice(["4", "", "1", "3"], rows))
    texts = rng.choice(["an answer, with a comma, long enough to fill blocks", "c", ""], rows)
    path = tmp_path / "export.csv"
    path.write_text("code,text\n" + "".join(f'{c},"{t}"\n' for c, t in zip(codes, texts)), encoding="utf-8")
    cells = read_csv_cells(path, "an export", coded=["code"])
    assert isinstance(cells[0].dtype, pd.CategoricalDtype)
    assert cells[0].astype(str).tolist() == ["code", *codes] and cells[1].tolist() == ["text", *texts]
