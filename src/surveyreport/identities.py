"""Respondents grouped by identity, so duplicates can be found without keeping who they are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import compute as pa_compute


def identity_groups(pii: pd.DataFrame) -> pd.Series:
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
