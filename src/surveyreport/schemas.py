"""Schemas of the tidy respondent table, derived from the codebook (pandera).

Each stage validates what it writes, so a bad intermediate stops where it appears:
ingest the whole table (``validate``); cleaning and tiering, which keep some of its
rows and change or add a few columns, the whole table's columns and types and the
values of the columns they changed (``validate_change``). The schemas are strict: a
column the codebook does not define (an e-mail address, say) cannot pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .codebook import Codebook
from .errors import SurveyError
from .tidy import TIER, question_dtypes
from .weights import WEIGHT

is_datetime = pa.Check(pd.api.types.is_datetime64_any_dtype, element_wise=False, error="a date-time column")


# A respondent's weight (weights.rake): a finite number above zero, one per respondent.
weight_column = pa.Column(
    "float64",
    [pa.Check.gt(0), pa.Check(np.isfinite, error="a finite number")],
    nullable=False,
)


def tidy_schema(codebook: Codebook, tiers: dict | None = None, weighted: bool = False) -> pa.DataFrameSchema:
    """The tidy table's schema; with ``tiers`` the tier column, and where ``weighted`` the weight column."""
    columns = {
        "response_id": pa.Column("string", unique=True),
        "start": pa.Column(checks=is_datetime, nullable=True),  # an export may have no dates, or a blank one
        "end": pa.Column(checks=is_datetime, nullable=True),
        "recorded": pa.Column(checks=is_datetime, nullable=True),
        "status": pa.Column("Int64", pa.Check.ge(0)),
        "progress": pa.Column("Int64", pa.Check.in_range(0, 100)),
        "duration": pa.Column("Int64", pa.Check.ge(0), nullable=True),  # unknown without a duration or both dates
        "finished": pa.Column("boolean"),
        "channel": pa.Column("string", nullable=True),
        "language": pa.Column("string", nullable=True),
        "identity_group": pa.Column("Int64", pa.Check.ge(1)),
    }
    for column, dtype in question_dtypes(codebook).items():  # the one walk over each question's columns
        if isinstance(dtype, pd.CategoricalDtype):
            columns[column] = pa.Column(checks=pa.Check.isin(dtype.categories.tolist()), nullable=True)
        else:
            columns[column] = pa.Column(dtype, nullable=True)
    if tiers is not None:
        columns[TIER] = pa.Column("string", pa.Check.isin([level["id"] for level in tiers["levels"]]), nullable=True)
    if weighted:
        columns[WEIGHT] = weight_column
    return pa.DataFrameSchema(columns, strict=True, ordered=False)


def validate(
    frame: pd.DataFrame, codebook: Codebook, what: str, tiers: dict | None = None, weighted: bool = False
) -> pd.DataFrame:
    """The frame, if it matches its schema; else a SurveyError naming the columns and checks that failed."""
    return _checked(tidy_schema(codebook, tiers, weighted), frame, what)


def validate_change(
    columns: pd.DataFrame,
    changed: pd.DataFrame,
    codebook: Codebook,
    what: str,
    tiers: dict | None = None,
    weighted: bool = False,
) -> None:
    """A table validated before (``validate``), then changed only in the columns of ``changed`` (on its rows), or
    cut to some of its rows: the whole table's columns (``columns``, on no rows) must be the schema's, of its
    types, and the changed columns pass their checks on every row. Its other columns hold what was validated, on
    rows that passed (a response ID unique among all rows is unique among some)."""
    schema = tidy_schema(codebook, tiers, weighted)
    _checked(schema, columns.iloc[:0], what)
    _checked(schema.select_columns(list(changed.columns)), changed, what)


def _checked(schema: pa.DataFrameSchema, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    try:
        return schema.validate(frame, lazy=True, inplace=True)  # no copy of the table
    except SchemaErrors as errors:
        cases = errors.failure_cases
        problems = []
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=True):
            values = group["failure_case"].tolist()
            if check == "column_in_schema":
                problems.append(f"unexpected column(s) {', '.join(map(repr, values))}")
            elif check == "column_in_dataframe":
                problems.append(f"missing column(s) {', '.join(map(repr, values))}")
            else:
                problems.append(f"column {column!r}: {check} fails for {len(values)} row(s), e.g. {values[0]!r}")
        raise SurveyError(f"{what} fail their schema: " + "; ".join(problems[:6])) from None


def _register_backend() -> None:
    """pandera registers its pandas backend (importing hypothesis, a tenth of a second) at a process's first
    validation: done as this module is imported, so that the jobs forked from the workflow's fork servers, which
    import it, start with it done."""
    pa.DataFrameSchema({"x": pa.Column("Int64")}).validate(pd.DataFrame({"x": pd.array([0], dtype="Int64")}))


_register_backend()
