"""Matrix nets and mean scores, numeric summaries with Welch's test, the NPS and rank shares, on a hand-made table."""

import math

import pandas as pd
import pytest
from scipy.stats import ttest_ind

from surveyreport.codebook import parse_codebook
from surveyreport.crosstab import chi_square_tests, crosstab, pairwise_tests
from surveyreport.errors import SurveyError
from surveyreport.results import Results
from surveyreport.scores import nps, scores
from surveyreport.stats import adjusted_p, pair_test
from surveyreport.tidy import TIER, question_dtypes

SCALE = [{"code": k, "id": f"p{k}", "label": f"Point {k}"} for k in range(1, 6)]
DONT_KNOW = {"code": 9, "id": "dk", "label": "Don't know", "nonsubstantive": True}


def statements(prefix, ids):
    return [{"id": s, "column": f"{prefix}_{n}", "import_id": f"QID_{n}", "text": s.upper()} for n, s in enumerate(ids, 1)]


CODEBOOK = {
    "questions": [
        {"id": "group", "column": "Q1", "import_id": "QID1", "type": "single", "text": "Group?",
         "choices": [{"code": 1, "id": "a", "label": "A"}, {"code": 2, "id": "b", "label": "B"}]},
        {"id": "grid", "column": "Q2", "import_id": "QID2", "type": "matrix", "text": "Agree?",
         "choices": [*SCALE, DONT_KNOW], "statements": statements("Q2", ["s1", "s2"])},
        {"id": "rec", "column": "Q3", "import_id": "QID3", "type": "nps", "text": "Recommend?"},
        {"id": "spend", "column": "Q4", "import_id": "QID4_TEXT", "type": "numeric", "text": "How much?"},
        {"id": "rk", "column": "Q5", "import_id": "QID5", "type": "rank", "text": "Rank", "statements": statements("Q5", "xyz")},
    ]
}  # fmt: skip
TIERS = {
    "question": "group",
    "levels": [{"id": "a", "label": "A", "choices": ["a"]}, {"id": "b", "label": "B", "choices": ["b"]}],
}
SETTINGS = {"confidence": 0.95, "alpha": 0.05, "correction": "holm", "family": "table", "min_base": 2, "caution_base": 3,
            "chi_square_simulations": 100}  # fmt: skip


@pytest.fixture(scope="module")
def book():
    return parse_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def frame(book):
    dtypes = question_dtypes(book)
    ranks = {"x": [1, 2, 1, 3, 1, None], "y": [2, 1, 3, 2, 2, None], "z": [3, 3, 2, 1, 3, None]}
    columns = {
        "group": ["a", "a", "a", "b", "b", "b"],
        "grid.s1": ["p5", "p4", "dk", "p1", "p2", "p5"],
        "grid.s2": ["p3", "p3", None, "p2", "p1", "dk"],
        "rec": ["score_10", "score_9", "score_0", "score_7", "score_6", None],
        "spend": [1.0, 2.0, 3.5, 10.0, None, 7.0],
        **{f"rk.{item}": [None if r is None else f"rank_{r}" for r in column] for item, column in ranks.items()},
    }
    table = pd.DataFrame({name: pd.Series(values, dtype=dtypes[name]) for name, values in columns.items()})
    table[TIER] = table["group"].astype(str)
    return table


@pytest.fixture(scope="module")
def table(frame, book):
    return crosstab(frame, book, TIERS, SETTINGS)


@pytest.fixture(scope="module")
def scored(frame, book):
    return scores(frame, book, TIERS, SETTINGS)


def cell(table, question, choice, column="total"):
    return table[(table["question"] == question) & (table["choice"] == choice) & (table["column"] == column)].iloc[0]


def test_a_statement_is_a_question_of_the_grid_with_its_own_column(book):
    part = book.question("grid.s2")
    assert (part.column, part.parent, part.statement, part.type) == ("Q2_2", "grid", "S2", "matrix")
    assert [q.id for q in book.tabulated] == ["group", "grid.s1", "grid.s2", "rec", "rk.x", "rk.y", "rk.z"]
    assert book.question("grid").tidy_columns == ["grid.s1", "grid.s2"]
    assert [c.label for c in book.question("rk").choices] == ["Ranked 1", "Ranked 2", "Ranked 3"]


def test_top_and_bottom_two_boxes_add_up_their_answers_on_the_substantive_base(table):
    # s1 in total: p5, p4, p1, p2, p5 answered on the scale (5), one "don't know" left out
    top, bottom = cell(table, "grid.s1", "net:top"), cell(table, "grid.s1", "net:bottom")
    assert (top["count"], top["base"], top["choice_label"]) == (3, 5, "Top 2 (Point 4 + Point 5)")
    assert (bottom["count"], bottom["base"]) == (2, 5)
    assert cell(table, "grid.s1", "dk")["base"] == 6
    # in tier a: p5 and p4 (the "don't know" left out): 2 of 2 in the top box
    assert (cell(table, "grid.s1", "net:top", "a")["count"], cell(table, "grid.s1", "net:top", "a")["base"]) == (2, 2)


def test_a_net_is_tested_as_an_answer_is_within_its_statements_family(table):
    pairs = pairwise_tests(table, TIERS, SETTINGS)
    net = pairs[(pairs["question"] == "grid.s1") & (pairs["choice"] == "net:top")].iloc[0]
    assert net["family"] == "grid.s1"
    test, _, p = pair_test(2, 2, 1, 3)
    assert (net["test"], net["p"]) == (test, pytest.approx(p))
    family = pairs[(pairs["family"] == "grid.s1") & (pairs["test"] != "")]
    assert net["p_adjusted"] == pytest.approx(adjusted_p(family["p"].tolist(), "holm")[list(family.index).index(net.name)])


def test_chi_square_leaves_nets_out(table, book):
    tests = chi_square_tests(table, book, TIERS, SETTINGS).set_index("question")
    assert tests.loc["grid.s1", "n"] == 5  # the five answers on the scale, not the nets counted again


def test_the_mean_score_leaves_out_dont_know(scored):
    means = scored[0].set_index(["question", "column"])
    assert means.loc[("grid.s1", "total"), "value"] == pytest.approx(17 / 5)
    assert means.loc[("grid.s1", "a"), "value"] == pytest.approx(4.5)
    assert means.loc[("grid.s1", "b"), "value"] == pytest.approx(8 / 3)
    assert means.loc[("grid.s1", "total"), "n"] == 5 and means.loc[("grid.s2", "b"), "n"] == 2


def test_numeric_summary_and_welchs_test_as_scipy_gives_them(scored):
    means, tests = scored[0].set_index(["question", "column"]), scored[1].set_index("question")
    total = means.loc[("spend", "total")]
    assert (total["n"], total["value"], total["median"]) == (5, pytest.approx(23.5 / 5), 3.5)
    assert total["sd"] == pytest.approx(pd.Series([1.0, 2.0, 3.5, 10.0, 7.0]).std())
    welch = ttest_ind([1.0, 2.0, 3.5], [10.0, 7.0], equal_var=False)
    pair = tests.loc["spend"]
    assert (pair["test"], pair["t"], pair["df"], pair["p"]) == ("welch", pytest.approx(welch.statistic), pytest.approx(welch.df),
                                                                pytest.approx(welch.pvalue))  # fmt: skip
    assert pair["p_adjusted"] == pytest.approx(pair["p"])  # family "table": the question's one pair


def test_the_scores_tests_are_corrected_as_the_configuration_says(frame, book):
    _, tests = scores(frame, book, TIERS, {**SETTINGS, "family": "report", "correction": "bonferroni"})
    tested = tests[tests["test"] != ""]
    assert len(set(tested["family"])) == 1
    assert tested["p_adjusted"].tolist() == pytest.approx([min(1, p * len(tested)) for p in tested["p"]])


def test_nps_its_groups_and_its_interval(table, scored):
    """Total: 10, 9, 0, 7, 6: promoters 2/5, detractors 2/5, NPS 0; Var = (p_P + p_D - (p_P - p_D)^2) / n = 0.8 / 5."""
    assert nps(pd.Series([10, 9, 0, 7, 6]).to_numpy()) == (0.0, pytest.approx(40.0))
    score, se = nps(pd.Series([10, 9, 0]).to_numpy())
    assert score == pytest.approx(100 / 3) and se == pytest.approx(100 * math.sqrt((1 - 1 / 9) / 3))
    values = scored[0].set_index(["question", "column"])
    assert values.loc[("rec", "total"), "ci_low"] == pytest.approx(-1.959964 * 40, rel=1e-5)
    assert values.loc[("rec", "b"), "value"] == pytest.approx(-50)
    assert values.loc[("rec", "a"), "ci_high"] == 100  # the interval stops at the scale's end
    assert (cell(table, "rec", "net:promoters")["count"], cell(table, "rec", "net:detractors")["count"]) == (2, 2)
    assert cell(table, "rec", "net:passives")["count"] == 1
    z = (100 / 3 + 50) / math.hypot(se, 100 * math.sqrt((0.5 - 0.25) / 2))
    assert scored[1].set_index("question").loc["rec", "t"] == pytest.approx(z)


def test_rank_shares_mean_rank_and_distribution(table, scored, book):
    results = Results(table, book, None, scored[0])
    first = results.share("rk.x", "rank_1")
    assert (first.count, first.base) == (3, 5)
    assert [results.share("rk.x", f"rank_{r}").count for r in (1, 2, 3)] == [3, 1, 1]
    assert results.score("rk.x").value == pytest.approx(8 / 5)
    assert results.share("grid.s1", "net:top").value == pytest.approx(3 / 5)


def test_a_net_of_another_question_or_a_matrix_without_statements_is_refused():
    with pytest.raises(SurveyError, match="nets.top names 'dk'"):
        parse_codebook({"questions": [{**CODEBOOK["questions"][1], "nets": {"top": ["dk"]}}]})
    with pytest.raises(SurveyError, match="rank has no statements"):
        parse_codebook({"questions": [{**CODEBOOK["questions"][4], "statements": []}]})


def test_a_multiple_answer_matrix_statement_is_a_multi_select_on_its_own_base():
    book = parse_codebook(
        {"questions": [
            CODEBOOK["questions"][0],
            {"id": "ways", "column": "Q6", "import_id": "QID6", "type": "multi", "text": "How?",
             "choices": [{"code": 1, "id": "fried", "label": "Fried"}, {"code": 2, "id": "raw", "label": "Raw"}],
             "statements": statements("Q6", ["apple", "pear"])},
        ]}
    )  # fmt: skip
    part = book.question("ways.pear")
    assert (part.column, part.multi, book.question("ways").tidy_columns) == (
        "Q6_2",
        True,
        ["ways.apple.fried", "ways.apple.raw", "ways.pear.fried", "ways.pear.raw"],
    )
    # as ingest types them: a statement where nothing was ticked is missing, not "no" to each answer
    ticks = {"ways.apple.fried": [True, False, None], "ways.apple.raw": [True, True, None],
             "ways.pear.fried": [False, None, None], "ways.pear.raw": [True, None, None]}  # fmt: skip
    frame = pd.DataFrame({name: pd.array(values, dtype="boolean") for name, values in ticks.items()})
    frame["group"] = pd.Categorical(["a", "b", "b"], categories=["a", "b"])
    frame[TIER] = frame["group"].astype(str)
    table = crosstab(frame, book, TIERS, SETTINGS)
    # apple: answered by two (the third ticked nothing there), raw ticked by both; pear: answered by one
    assert (cell(table, "ways.apple", "raw")["count"], cell(table, "ways.apple", "raw")["base"]) == (2, 2)
    assert (cell(table, "ways.pear", "raw")["count"], cell(table, "ways.pear", "raw")["base"]) == (1, 1)
