"""The tidy respondent table: one row per response, typed columns named from the codebook.

Stages hand it to each other as CSV (a file a reviewer can open); ``read_tidy``
restores the types the codebook implies.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from .codebook import Codebook

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

META_DTYPES: dict[str, str] = {
    "response_id": "string",
    "start": "datetime",
    "end": "datetime",
    "recorded": "datetime",
    "status": "Int64",
    "progress": "Int64",
    "duration": "Int64",
    "finished": "boolean",
    "channel": "string",
    "language": "string",
    "identity_group": "Int64",
}
TIER = "tier"


def question_dtypes(codebook: Codebook) -> dict[str, object]:
    """Column -> dtype for every question column of the tidy table."""
    dtypes: dict[str, object] = {}
    for question in codebook.questions:
        if question.multi:
            for choice in question.choices:
                dtypes[question.choice_column(choice)] = "boolean"
        elif question.closed:
            dtypes[question.id] = pd.CategoricalDtype([c.id for c in question.choices], ordered=False)
        else:
            dtypes[question.id] = "string"
        for choice in question.choices:
            if choice.text:
                dtypes[question.text_column(choice)] = "string"
    return dtypes


def _convert(series: pd.Series, dtype: object) -> pd.Series:
    if dtype == "datetime":
        return pd.to_datetime(series, format=DATE_FORMAT)
    if dtype == "boolean":
        return series.map({"True": True, "False": False}).astype("boolean")
    if dtype == "Int64":
        return pd.to_numeric(series).astype("Int64")
    return series.astype(dtype)


def read_tidy(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read a tidy table written by ``write_tidy`` with its types restored."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    dtypes = {**META_DTYPES, **question_dtypes(codebook)}
    for column in frame.columns:
        if column in dtypes:
            frame[column] = _convert(frame[column], dtypes[column])
        elif column == TIER:
            frame[column] = frame[column].astype("string")
    return frame


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV atomically: the file appears whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            frame.to_csv(out, index=False, date_format=DATE_FORMAT, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

