"""Survey statistics on column proportions: intervals, pairwise tests, independence, ratios.

Banner columns are compared pairwise as SPSS Custom Tables does (letters of the
column a cell is significantly higher than), with two differences: a share of 0%
or 100% is compared too, as long as the two shares are not both 0% or both 100%,
and a pair whose 2x2 table expects fewer than 5 in any cell gets Fisher's exact
test instead of the z-test. The p-values are corrected over a configurable family.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from string import ascii_uppercase

import numpy as np
import pandas as pd

# scipy.stats and statsmodels take over a second to import; each function imports what it
# uses, so pipeline steps that test nothing start without them.

CORRECTIONS = ("holm", "bonferroni", "fdr_bh")
SMALL_BASE, NO_VARIATION = "small_base", "no_variation"
MIN_EXPECTED = 5  # a 2x2 table expecting fewer in a cell gets Fisher's exact test; Cochran's bound for chi-square
CHI_SQUARE_SEED = 2012  # Monte Carlo chi-square p-values: the same simulated tables every run


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


def fisher_test(x1: float, n1: float, x2: float, n2: float) -> float:
    """Fisher's exact test of two proportions: the two-sided p.

    Counts on an effective base (weighted shares times Kish's effective base) are not whole:
    they are rounded to the nearest whole number first.
    """
    from scipy.stats import fisher_exact

    x1, n1, x2, n2 = (round(v) for v in (x1, n1, x2, n2))
    return float(fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided").pvalue)


def untestable(x1: int, n1: int, x2: int, n2: int, min_base: int) -> str:
    """Why two shares cannot be compared, or "" when they can.

    ``small_base``: a base is under ``min_base``; ``no_variation``: both shares are 0% or
    both 100% (the pooled share is 0 or 1: there is no difference to test).
    """
    if min(n1, n2) < min_base:
        return SMALL_BASE
    if x1 + x2 in (0, n1 + n2):
        return NO_VARIATION
    return ""


def pair_test(x1: float, n1: float, x2: float, n2: float) -> tuple[str, float, float]:
    """Two-sided test of x1/n1 against x2/n2: (test, z, p); weighted, x/n is the weighted share
    and n the effective base.

    The pooled z-test ("z") where every cell of the 2x2 table expects at least 5;
    otherwise Fisher's exact test ("fisher", z is NaN). The pooled share must be
    strictly between 0 and 1 (see ``untestable``).
    """
    # the smallest expected count, min(n) * min(pooled share, 1 - pooled share), compared in
    # whole numbers: in floating point 197 * 10/394 falls just under 5
    if min(n1, n2) * min(x1 + x2, n1 + n2 - x1 - x2) < MIN_EXPECTED * (n1 + n2):
        return "fisher", float("nan"), fisher_test(x1, n1, x2, n2)
    return ("z", *z_test(x1, n1, x2, n2))


def column_letters(n: int) -> list[str]:
    return list(ascii_uppercase[:n])


def adjusted_p(p_values: list[float], correction: str) -> np.ndarray:
    """p-values adjusted for multiplicity (``holm``, ``bonferroni`` or ``fdr_bh``), as statsmodels'
    ``multipletests`` gives them.

    Holm is computed here because statsmodels' Holm branch forces a full garbage collection
    on every call (about 60 ms each); a test keeps the two in agreement.
    """
    from statsmodels.stats.multitest import multipletests

    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}")
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    if correction != "holm":
        return multipletests(p, method=correction)[1]
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def chi_square(table: pd.DataFrame, simulations: int, seed: int = CHI_SQUARE_SEED) -> dict:
    """Pearson chi-square test of independence (no continuity correction) on a count table.

    Rows and columns that are all zero are dropped first. Where Cochran's rule fails (an
    expected count under 1, or more than a fifth under 5) the chi-square distribution is a
    poor guide, and ``p`` is scipy's Monte Carlo p-value over ``simulations`` tables drawn
    with the same margins (seeded: the same p every run); ``p_asymptotic`` is always the
    distribution's.
    """
    from scipy.stats import MonteCarloMethod, chi2_contingency

    counts = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0].to_numpy()
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        nan = float("nan")
        return {
            "chi2": nan,
            "df": 0,
            "n": int(counts.sum()),
            "low_expected": nan,
            "min_expected": nan,
            "cochran": None,
            "p_asymptotic": nan,
            "p": nan,
            "p_method": "not tested",
            "simulations": 0,
        }
    result = chi2_contingency(counts, correction=False)
    expected = result.expected_freq
    low_expected = float((expected < MIN_EXPECTED).mean())
    cochran = bool(expected.min() >= 1 and low_expected <= 0.2)
    p, method, runs = float(result.pvalue), "chi-square distribution", 0
    if not cochran:
        monte_carlo = MonteCarloMethod(n_resamples=simulations, batch=10_000, rng=np.random.default_rng(seed))
        p = float(chi2_contingency(counts, correction=False, method=monte_carlo).pvalue)
        method, runs = "Monte Carlo", simulations
    return {
        "chi2": float(result.statistic),
        "df": int(result.dof),
        "n": int(counts.sum()),
        "low_expected": low_expected,
        "min_expected": float(expected.min()),
        "cochran": cochran,
        "p_asymptotic": float(result.pvalue),
        "p": p,
        "p_method": method,
        "simulations": runs,
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
