"""Statistics against the worked checks of the project reference and independent computations."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact, hypergeom, norm
from statsmodels.stats.multitest import multipletests

from surveyreport.stats import (
    NO_VARIATION,
    SMALL_BASE,
    adjusted_p,
    chi_square,
    pair_test,
    ratio_interval,
    untestable,
    wilson,
    z_test,
)


def test_z_test_worked_check():
    z, p = z_test(30, 60, 12, 45)
    assert z == pytest.approx(2.415, abs=5e-4)
    assert p == pytest.approx(0.0157, abs=5e-5)


def test_wilson_worked_check():
    low, high = wilson(12, 40)
    assert (round(100 * low, 1), round(100 * high, 1)) == (18.1, 45.4)


def test_katz_ratio_worked_check():
    ratio, low, high = ratio_interval(30, 60, 12, 45)
    assert ratio == pytest.approx(1.875)
    assert (round(low, 3), round(high, 3)) == (1.085, 3.239)


Z95 = norm.ppf(0.975)


def by_hand_wilson(x, n, z=Z95):
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_the_formula(xn):
    assert wilson(*xn) == pytest.approx(by_hand_wilson(*xn), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300), st.integers(2, 300), st.data())
def test_z_squared_is_pearson_chi_square(n1, n2, data):
    x1, x2 = data.draw(st.integers(1, n1 - 1)), data.draw(st.integers(1, n2 - 1))
    z, p = z_test(x1, n1, x2, n2)
    chi2, p_chi, _, _ = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
    assert z * z == pytest.approx(chi2, rel=1e-9)
    assert p == pytest.approx(p_chi, rel=1e-7, abs=1e-12)


def proportions(low=1, high=400):
    return st.integers(low, high).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=300, deadline=None)
@given(proportions(), proportions())
@example((187, 197), (197, 197))  # an expected count of exactly 5, which floating point puts just under
def test_pairs_get_the_z_test_or_fishers_by_the_smallest_expected_count(first, second):
    (x1, n1), (x2, n2) = first, second
    if x1 + x2 in (0, n1 + n2):
        assert untestable(x1, n1, x2, n2, min_base=1) == NO_VARIATION
        return
    test, z, p = pair_test(x1, n1, x2, n2)
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    expected = chi2_contingency(table, correction=False).expected_freq
    if expected.min() < 5:
        assert test == "fisher" and np.isnan(z)
        assert p == fisher_exact(table).pvalue
    else:
        assert test == "z"
        chi2, p_chi, _, _ = chi2_contingency(table, correction=False)
        assert z * z == pytest.approx(chi2, rel=1e-9)
        assert p == pytest.approx(p_chi, rel=1e-7, abs=1e-12)


def test_a_zero_share_is_compared_with_a_nonzero_one():
    # 0 of 72 against 6 of 39: z = 3.4, p = .0006 by the z-test, but the smaller group expects
    # 39 x 6/111 = 2.1 answers: Fisher's exact test decides
    z, p = z_test(0, 72, 6, 39)
    assert (round(abs(z), 1), round(p, 4)) == (3.4, 0.0006)
    assert untestable(0, 72, 6, 39, min_base=30) == ""
    test, _, p = pair_test(0, 72, 6, 39)
    assert test == "fisher" and p == pytest.approx(fisher_exact([[0, 72], [6, 33]]).pvalue) and p < 0.002


def test_why_a_pair_is_not_tested():
    assert untestable(5, 29, 10, 40, min_base=30) == SMALL_BASE
    assert untestable(0, 40, 0, 74, min_base=30) == NO_VARIATION
    assert untestable(40, 40, 74, 74, min_base=30) == NO_VARIATION
    assert untestable(40, 40, 0, 74, min_base=30) == ""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=12),
    st.sampled_from(["holm", "bonferroni", "fdr_bh"]),
)
def test_adjusted_p_values_match_statsmodels(p_values, method):
    reject, corrected, _, _ = multipletests(p_values, alpha=0.05, method=method)
    assert adjusted_p(p_values, method) == pytest.approx(corrected, abs=1e-12)
    assert ((adjusted_p(p_values, method) <= 0.05) == reject).all()


def test_no_p_values_nothing_to_adjust_and_an_unknown_method_is_refused():
    assert len(adjusted_p([], "holm")) == 0
    with pytest.raises(ValueError, match="sidak"):
        adjusted_p([0.01], "sidak")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=3, max_size=3), min_size=2, max_size=6))
def test_chi_square_matches_scipy_and_flags_cochrans_rule(rows):
    table = pd.DataFrame(rows)
    result = chi_square(table, simulations=200)
    kept = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if kept.shape[0] < 2 or kept.shape[1] < 2:
        assert np.isnan(result["p"]) and result["p_method"] == "not tested"
        return
    expected = chi2_contingency(kept.to_numpy(), correction=False)
    assert result["chi2"] == pytest.approx(expected.statistic)
    assert result["df"] == expected.dof
    assert result["p_asymptotic"] == pytest.approx(expected.pvalue)
    cells = expected.expected_freq.ravel()
    cochran = cells.min() >= 1 and (cells < 5).sum() <= 0.2 * len(cells)
    assert result["cochran"] == cochran
    if cochran:
        assert (result["p"], result["p_method"], result["simulations"]) == (result["p_asymptotic"], "chi-square distribution", 0)
    else:
        assert (result["p_method"], result["simulations"]) == ("Monte Carlo", 200)
        assert 1 / 201 <= result["p"] <= 1


def exact_conditional_p(table):
    """The exact p-value of Pearson's statistic given both margins of a 2x2 table (hypergeometric)."""
    (a, b), (c, d) = table
    rows, first_column, n = a + b, a + c, a + b + c + d
    statistic = chi2_contingency(table, correction=False).statistic
    p = 0.0
    for k in range(max(0, first_column - (c + d)), min(rows, first_column) + 1):
        other = [[k, rows - k], [first_column - k, n - rows - first_column + k]]
        if chi2_contingency(other, correction=False).statistic >= statistic * (1 - 1e-9):
            p += hypergeom.pmf(k, n, first_column, rows)
    return p


@pytest.mark.parametrize("table", [[[1, 7], [6, 2]], [[0, 9], [5, 6]], [[3, 3], [1, 9]]])
def test_monte_carlo_p_is_reproducible_and_near_the_exact_p(table):
    first = chi_square(pd.DataFrame(table), simulations=20_000)
    assert not first["cochran"] and first["p_method"] == "Monte Carlo"
    assert chi_square(pd.DataFrame(table), simulations=20_000) == first  # seeded: the same p every run
    exact = exact_conditional_p(table)
    assert abs(first["p"] - exact) < 4 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-4
    assert chi_square(pd.DataFrame(table), simulations=20_000, seed=7)["p"] != first["p"]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_ratio_interval_matches_scipy(exposed, control, confidence):
    from scipy.stats.contingency import relative_risk

    expected = relative_risk(*exposed, *control)
    interval = expected.confidence_interval(confidence_level=confidence)
    computed = ratio_interval(*exposed, *control, confidence)
    wanted = (expected.relative_risk, interval.low, interval.high)
    assert computed == pytest.approx(wanted, rel=1e-12, nan_ok=True)
