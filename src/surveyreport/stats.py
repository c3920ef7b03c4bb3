"""Survey statistics on column proportions: intervals, pairwise tests, independence, ratios.

Conventions follow SPSS Custom Tables: pooled two-proportion z-tests between
banner columns, corrected within a row, marked with the letter of the column a
cell is significantly higher than; no test where a base is under the minimum or
a share is 0% or 100%.
"""

from __future__ import annotations

import math
from itertools import combinations
from statistics import NormalDist
from string import ascii_uppercase

import numpy as np
import pandas as pd

# scipy.stats and statsmodels take over a second to import; each function imports what it
# uses, so pipeline steps that test nothing start without them.


def wilson(count: int, base: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of count/base, as proportions."""
    from statsmodels.stats.proportion import proportion_confint

    if base == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(count, base, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test: (z, two-sided p)."""
    from statsmodels.stats.proportion import proportions_ztest

    z, p = proportions_ztest([x1, x2], [n1, n2], alternative="two-sided", prop_var=False)
    return float(z), float(p)


def testable(count: int, base: int, min_base: int) -> bool:
    return base >= min_base and 0 < count < base


def column_letters(n: int) -> list[str]:
    return list(ascii_uppercase[:n])


def adjusted_p(p_values: list[float], correction: str) -> np.ndarray:
    """Bonferroni or Holm (step-down) adjusted p-values, as statsmodels' ``multipletests`` gives them.

    Computed here because statsmodels' Holm branch forces a full garbage collection on
    every call (about 60 ms each, most of the crosstab stage's time); a test keeps the two
    in agreement.
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if correction == "bonferroni":
        return np.minimum(p * m, 1.0)
    if correction != "holm":
        raise ValueError(f"unknown correction {correction!r}")
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def higher_than(cells: list[tuple[int, int]], min_base: int, alpha: float, correction: str) -> list[str]:
    """For each column of one row, the letters of the columns it is significantly higher than.

    ``cells`` are (count, base) per column, lettered A, B, C… in order. The p-values of
    all testable pairs in the row are corrected together (``holm`` or ``bonferroni``).
    """
    letters = column_letters(len(cells))
    pairs = [
        (i, j)
        for i, j in combinations(range(len(cells)), 2)
        if testable(*cells[i], min_base) and testable(*cells[j], min_base)
    ]
    marks: list[list[str]] = [[] for _ in cells]
    if not pairs:
        return ["" for _ in cells]
    p_values = [z_test(*cells[i], *cells[j])[1] for i, j in pairs]
    reject = adjusted_p(p_values, correction) <= alpha
    for (i, j), significant in zip(pairs, reject):
        if not significant:
            continue
        share_i, share_j = cells[i][0] / cells[i][1], cells[j][0] / cells[j][1]
        winner, loser = (i, j) if share_i > share_j else (j, i)
        marks[winner].append(letters[loser])
    return ["".join(sorted(m)) for m in marks]


def chi_square(table: pd.DataFrame) -> dict:
    """Pearson chi-square test of independence (no continuity correction) on a count table.

    Rows and columns that are all zero are dropped first.
    """
    from scipy.stats import chi2_contingency

    counts = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0].to_numpy()
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return {"chi2": np.nan, "df": 0, "p": np.nan, "n": int(counts.sum()), "low_expected": np.nan}
    result = chi2_contingency(counts, correction=False)
    expected = result.expected_freq
    return {
        "chi2": float(result.statistic),
        "df": int(result.dof),
        "p": float(result.pvalue),
        "n": int(counts.sum()),
        "low_expected": float((expected < 5).mean()),
    }


def ratio_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Ratio of two shares with its Katz log interval: (ratio, low, high).

    The formula and zero-count conventions of scipy's ``relative_risk`` (a test keeps them
    equal), computed here so the steps that print ratios need not import scipy.stats.
    """
    nan = float("nan")
    ratio = (x1 / n1) / (x2 / n2) if x2 else (nan if x1 == 0 else float("inf"))
    if x1 == 0 and x2 == 0:
        return ratio, nan, nan
    if x1 == 0:
        return ratio, 0.0, nan
    if x2 == 0:
        return ratio, nan, float("inf")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    delta = z * math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio, ratio * math.exp(-delta), ratio * math.exp(delta)
