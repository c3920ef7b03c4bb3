"""Statistics against the worked checks of the project reference and independent computations."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, norm

from surveyreport.stats import chi_square, higher_than, ratio_interval, wilson, z_test


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


def by_hand_wilson(x, n, z=norm.ppf(0.975)):
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


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=3, max_size=3), min_size=2, max_size=6))
def test_chi_square_matches_scipy_after_dropping_empty_margins(rows):
    table = pd.DataFrame(rows)
    result = chi_square(table)
    kept = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if kept.shape[0] < 2 or kept.shape[1] < 2:
        assert np.isnan(result["p"])
    else:
        expected = chi2_contingency(kept.to_numpy(), correction=False)
        assert result["chi2"] == pytest.approx(expected.statistic)
        assert result["df"] == expected.dof


def test_letters_mark_the_higher_column_after_holm():
    # A 30/60 vs C 12/45: p = 0.0157 raw; three pairs tested, Holm: 0.0471 < 0.05
    cells = [(30, 60), (25, 60), (12, 45)]
    assert higher_than(cells, min_base=30, alpha=0.05, correction="holm") == ["C", "", ""]
    # Bonferroni multiplies by 3: 0.0471 < 0.05 still, the same mark
    assert higher_than(cells, min_base=30, alpha=0.05, correction="bonferroni") == ["C", "", ""]


def test_no_test_under_the_minimum_base_or_at_zero():
    assert higher_than([(20, 25), (2, 60)], min_base=30, alpha=0.05, correction="holm") == ["", ""]
    assert higher_than([(0, 60), (30, 60)], min_base=30, alpha=0.05, correction="holm") == ["", ""]


def test_correction_can_remove_a_raw_difference():
    # 20/40 vs 10/40: p = 0.021 raw, not significant once three pairs are corrected
    cells = [(20, 40), (26, 73), (10, 40)]
    assert z_test(20, 40, 10, 40)[1] < 0.05
    assert higher_than(cells, min_base=30, alpha=0.05, correction="holm") == ["", "", ""]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=8), st.sampled_from(["holm", "bonferroni"]))
def test_adjusted_p_values_match_statsmodels(p_values, method):
    from statsmodels.stats.multitest import multipletests

    from surveyreport.stats import adjusted_p

    reject, corrected, _, _ = multipletests(p_values, alpha=0.05, method=method)
    assert adjusted_p(p_values, method) == pytest.approx(corrected, abs=1e-12)
    assert ((adjusted_p(p_values, method) <= 0.05) == reject).all()


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
