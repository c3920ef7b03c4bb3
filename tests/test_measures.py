from fractions import Fraction

import pytest

from surveyreport.checks import evaluate_check, unsupported_claims, verify, verify_layout
from surveyreport.crosstab import crosstab
from surveyreport.errors import SurveyError
from surveyreport.results import Results, round_half_up
from surveyreport.tiers import assign_tiers

from .conftest import STATISTICS, answers


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (Fraction(75, 2), 0, "38"),  # 37.5 rounds up, not to even
        (Fraction(5, 2), 0, "3"),
        (Fraction(300, 39), 1, "7.7"),
        (Fraction(11400, 154), 0, "74"),
        (Fraction(4000, 154), 0, "26"),
        (Fraction(2), 1, "2.0"),
    ],
)
def test_round_half_up(value, decimals, expected):
    assert str(round_half_up(value, decimals)) == expected


@pytest.fixture
def results(codebook, tiers):
    rows = [("high", {"mobile", "games"})] * 4 + [("mid", {"mobile"})] * 3 + [("low", {"games"})] * 5
    rows += [("dk", {"mobile"})] * 2
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    return Results(crosstab(frame, codebook, tiers, STATISTICS), codebook, frame)


def test_shares_are_exact_counts_over_bases(results):
    share = results.share("rating", ["high", "mid"])
    assert (share.count, share.base) == (7, 12)
    assert str(share.percent()) == "58"
    assert results.share("tools", "mobile", "rest").base == 8


def test_ratio_of_two_tiers(results):
    ratio = results.ratio("tools", "mobile", ["top", "rest"])
    # 4/4 against 3/8
    assert ratio.value == Fraction(8, 3)
    assert str(ratio.rounded(1)) == "2.7"


def test_multi_select_shares_of_several_choices_are_refused(results):
    with pytest.raises(Exception, match="count people twice"):
        results.share("tools", ["mobile", "games"])


def test_top_check_needs_a_clear_lead(results):
    # mobile 9 of 14, games 9 of 14: a tie is not a ranking
    expected, computed, holds = evaluate_check(results, {"measure": "top", "question": "tools", "expect": ["mobile"]})
    assert not holds
    assert "mobile (9/14)" in computed and "games (9/14)" in computed


def test_failed_figure_names_both_values(results):
    figures = [
        {
            "id": "X1",
            "published": "58% rate it",
            "checks": [{"measure": "share", "question": "rating", "choices": ["high", "mid"], "expect": 60}],
        }
    ]
    (check,) = verify(results, figures)
    assert not check.holds
    assert (check.expected, check.computed) == ("60", "58% (7/12)")


def test_page_count_is_checked_against_the_pdf_not_the_data(results):
    figures = [
        {
            "id": "X1",
            "published": "58% rate it",
            "checks": [{"measure": "share", "question": "rating", "choices": ["high", "mid"], "expect": 58}],
        },
        {"id": "X2", "published": "a 21-page report", "checks": [{"measure": "pages", "expect": 21}]},
    ]
    assert [c.figure for c in verify(results, figures)] == ["X1"]
    (held,) = verify_layout(figures, 21)
    (broken,) = verify_layout(figures, 20)
    assert (held.figure, held.holds, broken.holds, broken.computed) == ("X2", True, False, "20")


def test_above_and_count_checks(results):
    assert evaluate_check(results, {"measure": "count", "question": "rating", "choices": ["dk"], "above": 0})[2]
    assert not evaluate_check(results, {"measure": "share", "question": "rating", "choices": ["low"], "above": 50})[2]


def test_ratio_interval_is_katz(results):
    ratio = results.ratio("tools", "games", ["top", "rest"])  # 4/4 against 5/8
    low, high = ratio.interval()
    assert low < float(ratio.value) < high


def test_comparison_under_the_minimum_base_is_not_tested(results):
    # bases of 4 and 8 are under the minimum of 30: no test ran, so none may be reported
    comparison = results.compare("tools", "mobile", ["top", "rest"])
    assert comparison.outcome == "not tested" and not comparison.significant


def results_of(codebook, tiers, rows):
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    return Results(crosstab(frame, codebook, tiers, {**STATISTICS, "min_base": 10}), codebook, frame)


def test_comparison_reads_the_corrected_test(codebook, tiers):
    # mobile 38/40 top against 10/40 rest: significant either way round; games 20/40 against 21/40 is not
    rows = [("high", {"mobile", "games"})] * 18 + [("high", {"mobile"})] * 20 + [("high", {"games"})] * 2
    rows += [("mid", {"mobile", "games"})] * 10 + [("mid", {"games"})] * 11 + [("mid", {"other"})] * 19
    results = results_of(codebook, tiers, rows)
    assert results.compare("tools", "mobile", ["top", "rest"]).outcome == "higher"
    assert results.compare("tools", "mobile", ["rest", "top"]).outcome == "lower"
    assert results.compare("tools", "games", ["top", "rest"]).outcome == "not significant"


def test_an_undefined_ratio_is_a_failed_check_not_a_crash(codebook, tiers):
    rows = [("high", {"mobile"})] * 6 + [("high", {"games"})] * 33 + [("mid", {"games"})] * 72
    results = results_of(codebook, tiers, rows)
    ratio = results.ratio("tools", "mobile", ["top", "rest"])  # 6/39 against 0/72
    assert not ratio.defined
    expected, computed, holds = evaluate_check(
        results, {"measure": "ratio", "question": "tools", "choice": "mobile", "tiers": ["top", "rest"], "at_least": 2}
    )
    assert (computed, holds) == ("undefined (6/39 vs 0/72)", False)
    (failure,) = unsupported_claims(
        results,
        [
            {
                "id": "x",
                "claims": [
                    {"measure": "ratio", "question": "tools", "choice": "mobile", "tiers": ["top", "rest"], "at_least": 2}
                ],
            }
        ],
    )
    assert "undefined (6/39 vs 0/72)" in failure
    with pytest.raises(SurveyError, match="the ratio tools mobile, top 6/39 vs rest 0/72 is undefined"):
        _ = ratio.value


def test_a_claim_the_data_do_not_support_is_named_with_its_numbers(results):
    findings = [
        {"id": "tops", "claims": [{"measure": "share", "question": "rating", "choices": ["high"], "above": 50}]},
        {"id": "fine", "claims": [{"measure": "count", "question": "rating", "choices": ["dk"], "above": 0}]},
    ]
    (failure,) = unsupported_claims(results, findings)
    assert failure == "finding 'tops': share question=rating choices=high should be > 50, computed 33% (4/12)"


def test_bounds_compare_exact_values_not_rounded_ones(results):
    # 4 of 12 is 33.33...%: at least 33.3 holds, at least 33.34 does not, though both round to 33%
    check = {"measure": "share", "question": "rating", "choices": ["high"]}
    assert evaluate_check(results, {**check, "at_least": 33.3})[2]
    assert not evaluate_check(results, {**check, "at_least": 33.34})[2]


def test_top_checks_in_order_or_as_a_set(codebook, tiers):
    # mobile 6 of 6, games 4 of 6: mobile leads
    rows = [("high", {"mobile", "games"})] * 4 + [("low", {"mobile"})] * 2
    results = results_of(codebook, tiers, rows)
    top = {"measure": "top", "question": "tools"}
    assert evaluate_check(results, {**top, "expect": ["mobile", "games"]})[2]
    assert not evaluate_check(results, {**top, "expect": ["games", "mobile"]})[2]
    assert evaluate_check(results, {**top, "expect": ["games", "mobile"], "ordered": False})[:2] == (
        "games, mobile",
        "mobile (6/6), games (4/6)",
    )


def test_a_published_share_is_compared_as_it_was_rounded(results):
    # 7 of 12 is 58.33...%: published as 58, or as 58.3 with one decimal
    check = {"measure": "share", "question": "rating", "choices": ["high", "mid"]}
    assert evaluate_check(results, {**check, "expect": 58})[2]
    assert evaluate_check(results, {**check, "expect": 58.3, "decimals": 1})[:2] == ("58.3", "58.3% (7/12)")
    assert not evaluate_check(results, {**check, "expect": 58.3})[2]


def test_an_unknown_measure_is_refused(results):
    with pytest.raises(SurveyError, match="unknown measure 'mean'"):
        evaluate_check(results, {"measure": "mean", "question": "rating", "expect": 3})
