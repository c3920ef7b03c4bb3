"""Significance letters: which pairs of tiers are tested, how, and which p-values are corrected together."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.multitest import multipletests

from surveyreport.crosstab import add_statistics, pairwise_tests
from surveyreport.results import Results
from surveyreport.tiers import assign_tiers

LEVELS = [
    {"id": "hi", "label": "High", "choices": ["high"]},
    {"id": "mid", "label": "Middle", "choices": ["middle"]},
    {"id": "lo", "label": "Low", "choices": ["low", "lowest"]},
]
TIERS = {"question": "rating", "levels": LEVELS}
SETTINGS = {"confidence": 0.95, "alpha": 0.05, "correction": "holm", "family": "table", "min_base": 30, "caution_base": 50}


def table_of(questions: dict, kind: dict | None = None) -> pd.DataFrame:
    """A crosstab's tier cells from {question: {choice: [(count, base) per tier]}}."""
    rows = []
    for question, choices in questions.items():
        for choice, cells in choices.items():
            for level, (count, base) in zip(LEVELS, cells):
                rows.append(
                    {
                        "question": question,
                        "type": "single",
                        "column": level["id"],
                        "choice": choice,
                        "kind": (kind or {}).get(choice, "choice"),
                        "count": count,
                        "base": base,
                        "respondents": base,
                    }
                )
    return pd.DataFrame(rows)


def with_letters(questions: dict, **changes) -> pd.DataFrame:
    return add_statistics(table_of(questions), TIERS, {**SETTINGS, **changes}).set_index(["question", "choice", "letter"])


def independent_p(xa, na, xb, nb):
    """None where the pair is not tested; else scipy's Fisher p where a cell expects under 5, else the chi-square p."""
    if min(na, nb) < SETTINGS["min_base"] or xa + xb in (0, na + nb):
        return None
    table = [[xa, na - xa], [xb, nb - xb]]
    result = chi2_contingency(table, correction=False)
    return fisher_exact(table).pvalue if result.expected_freq.min() < 5 else result.pvalue


def test_a_share_of_zero_is_compared_and_gets_its_letter():
    # 6 of 39 against 0 of 72: Fisher's exact p = .0014, still significant after Holm over three pairs
    table = with_letters({"initiative": {"new_markets": [(6, 39), (0, 72), (3, 40)]}})
    assert table.loc[("initiative", "new_markets", "A"), "higher_than"] == "B"
    assert table["not_tested"].eq("").all()


def test_both_shares_zero_or_a_small_base_leave_the_pair_untested_and_say_why():
    table = with_letters({"q": {"none": [(0, 40), (0, 74), (3, 40)], "small": [(5, 20), (30, 74), (10, 40)]}})
    assert table.loc[("q", "none", "A"), ["not_tested", "not_tested_why"]].tolist() == ["B", "B=no_variation"]
    assert table.loc[("q", "none", "C"), "not_tested"] == ""
    assert table.loc[("q", "small", "A"), ["not_tested", "not_tested_why"]].tolist() == ["BC", "B=small_base C=small_base"]
    assert table.loc[("q", "small", "B"), ["not_tested", "not_tested_why"]].tolist() == ["A", "A=small_base"]


def test_the_question_that_defines_the_tiers_and_dont_know_are_not_tested():
    tiering = {
        "rating": {
            "high": [(40, 40), (0, 74), (0, 40)],
            "middle": [(0, 40), (74, 74), (0, 40)],
            "low": [(0, 40), (0, 74), (30, 40)],
            "lowest": [(0, 40), (0, 74), (10, 40)],
        }
    }
    pairs = pairwise_tests(table_of(tiering), TIERS, SETTINGS)
    assert pairs["not_tested"].eq("tier_question").all()
    # the same answers on another question are tested, even where no one in a tier gave another tier's answer
    other = {"rating_last_year": tiering["rating"]}
    assert pairwise_tests(table_of(other), TIERS, SETTINGS)["not_tested"].ne("tier_question").all()
    dont_know = table_of(
        {"q": {"yes": [(20, 40), (30, 74), (10, 40)], "dk": [(1, 41), (9, 83), (9, 49)]}}, {"dk": "nonsubstantive"}
    )
    pairs = pairwise_tests(dont_know, TIERS, SETTINGS).set_index("choice")
    assert pairs.loc["dk", "not_tested"].eq("nonsubstantive").all() and pairs.loc["yes", "not_tested"].eq("").all()


def test_the_family_decides_whether_one_difference_among_many_answers_gets_a_letter():
    # one answer differs (p = .006 raw); eleven do not: alone in its row it passes Holm, among the
    # table's 36 tests it does not
    answers = {"diff": [(20, 40), (18, 74), (14, 40)], **{f"same{i}": [(12, 40), (22, 74), (12, 40)] for i in range(11)}}
    assert with_letters({"q": answers}, family="row").loc[("q", "diff", "A"), "higher_than"] == "B"
    table = with_letters({"q": answers}, family="table")
    assert table["higher_than"].eq("").all()
    pairs = pairwise_tests(table_of({"q": answers}), TIERS, {**SETTINGS, "family": "table"})
    assert pairs["p_adjusted"].min() > 0.05 > pairs["p"].min()


counts = st.integers(20, 120).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["q1", "q2", "q3"]),
        st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.tuples(counts, counts, counts), min_size=1),
        min_size=1,
    ),
    st.sampled_from(["row", "table", "report"]),
    st.sampled_from(["holm", "bonferroni", "fdr_bh"]),
)
def test_adjusted_p_values_and_letters_match_statsmodels_within_each_family(questions, family, method):
    options = {**SETTINGS, "family": family, "correction": method}
    pairs = pairwise_tests(table_of(questions), TIERS, options)
    raw = [independent_p(r.count_a, r.base_a, r.count_b, r.base_b) for r in pairs.itertuples()]
    assert [p is None for p in raw] == pairs["test"].eq("").tolist()
    pairs["expected_p"] = [np.nan if p is None else p for p in raw]
    key = {"row": ["question", "choice"], "table": ["question"], "report": lambda _: 0}[family]
    for _, members in pairs.dropna(subset=["expected_p"]).groupby(key):
        assert members["p"].to_numpy() == pytest.approx(members["expected_p"].to_numpy(), rel=1e-7, abs=1e-12)
        reject, corrected, _, _ = multipletests(members["expected_p"], alpha=0.05, method=method)
        assert members["p_adjusted"].to_numpy() == pytest.approx(corrected, rel=1e-6, abs=1e-12)
        assert (members["higher"] != "").tolist() == reject.tolist()

    # each pair reads one way from the crosstab's columns: higher, lower, not significant or not tested
    table = add_statistics(table_of(questions), TIERS, options).set_index(["question", "choice", "letter"])
    for pair in pairs.itertuples():
        a, b = table.loc[(pair.question, pair.choice, pair.letter_a)], table.loc[(pair.question, pair.choice, pair.letter_b)]
        outcome = (pair.letter_b in a["higher_than"], pair.letter_a in b["higher_than"], pair.letter_b in a["not_tested"])
        assert sum(outcome) <= 1 and (pair.letter_a in b["not_tested"]) == outcome[2]
        assert outcome == (pair.higher == pair.letter_a, pair.higher == pair.letter_b, pair.not_tested != "")
    for letters, why in zip(table["not_tested"], table["not_tested_why"]):
        assert "".join(item.split("=")[0] for item in why.split()) == letters


def test_results_count_the_tests_from_the_crosstab_file(tmp_path):
    questions = {
        "q1": {"a": [(6, 39), (0, 72), (3, 40)], "b": [(0, 39), (0, 72), (4, 40)]},
        "q2": {"a": [(5, 20), (30, 74), (10, 40)]},
    }
    table = add_statistics(table_of(questions), TIERS, SETTINGS)
    table.to_csv(tmp_path / "crosstabs.csv", index=False)
    results = Results(pd.read_csv(tmp_path / "crosstabs.csv"), codebook=None)
    tested = pairwise_tests(table_of(questions), TIERS, SETTINGS)["test"].ne("").sum()
    assert results.pairwise_tests() == tested == 3 + 2 + 1
    assert results.pairwise_tests().kind == "pairwise tests"


def test_the_default_family_is_a_table():
    import yaml

    from surveyreport.configuration import validate

    from .conftest import ROOT

    config = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))
    del config["statistics"]["family"]
    validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml", "config.yaml")
    assert config["statistics"]["family"] == "table"


# ----------------------------------------------------------------------------- the p-values the report quotes


def recomputed_pair_tests(crosstab: pd.DataFrame, settings: dict) -> dict:
    """What the report quoted before the crosstab's pairs were published: the tiers' tests run again on the crosstab's
    counts (weighted: shares and effective bases), each family's size its tested pairs."""
    from surveyreport.formatting import tests_of

    return tests_of(pairwise_tests(crosstab, settings["tiers"], settings["statistics"]), settings["statistics"])


def test_the_report_quotes_the_tier_tests_of_the_pairs_file_as_a_new_test_finds_them(codebook, tmp_path):
    """A weighted crosstab with a banner compared with the total: from ``pairwise.csv`` the report reads the tiers'
    tests alone, with the p-values and family sizes that testing the tiers of ``crosstabs.csv`` again gives."""
    from surveyreport.crosstab import crosstab_and_pairs, read_pairs
    from surveyreport.formatting import pair_tests
    from surveyreport.tidy import write_csv
    from surveyreport.tiers import banner_columns

    from .conftest import STATISTICS, answers
    from .conftest import TIERS as TWO_TIERS

    rows = [("high", ["mobile"])] * 40 + [("mid", ["games"])] * 35 + [("low", ["mobile", "games"])] * 30 + [("dk", None)] * 5
    frame = assign_tiers(answers(rows, codebook), TWO_TIERS, codebook).assign(weight=[1.5, 0.5] * 55)
    banners = [banner_columns({"id": "rated", "question": "rating", "compare_total": True}, codebook)]
    statistics = {**STATISTICS, "family": "report"}  # one family of the tiers' tests, and one of each banner's
    table, pairs = crosstab_and_pairs(frame, codebook, TWO_TIERS, statistics, banners)
    write_csv(table, tmp_path / "crosstabs.csv")
    write_csv(pairs, tmp_path / "pairwise.csv")
    written = read_pairs(tmp_path / "pairwise.csv")
    pd.testing.assert_frame_equal(written, pairs, check_dtype=False)
    untested = written[written["test"] == ""]
    assert len(untested) and untested["not_tested"].ne("").all() and untested["p"].isna().all()
    assert written.loc[written["test"] != "", "not_tested"].eq("").all()
    assert written["column_a"].str.startswith("rated:").any()  # the banner's pairs are in the file, not in the report's

    config = {"tiers": TWO_TIERS, "statistics": statistics}
    crosstab = pd.read_csv(tmp_path / "crosstabs.csv")
    quoted = pair_tests(Results(crosstab, codebook, pairs=written), config)
    assert quoted == recomputed_pair_tests(crosstab, config)
    assert {key[2:] for key in quoted} == {("top", "rest"), ("rest", "top")}
    assert {test.tests for test in quoted.values()} == {len(quoted) // 2}


def test_the_report_needs_the_crosstabs_pairs_to_quote_a_p_value(codebook):
    from surveyreport.crosstab import crosstab
    from surveyreport.errors import SurveyError
    from surveyreport.formatting import pair_test_of

    from .conftest import STATISTICS, answers
    from .conftest import TIERS as TWO_TIERS

    frame = assign_tiers(answers([("high", ["mobile"])] * 40 + [("mid", ["games"])] * 40, codebook), TWO_TIERS, codebook)
    results = Results(crosstab(frame, codebook, TWO_TIERS, STATISTICS), codebook, frame)
    comparison = results.compare("tools", "mobile", ["top", "rest"])
    with pytest.raises(SurveyError, match="the crosstab's pairs were not given"):
        pair_test_of(comparison, results, {"tiers": TWO_TIERS, "statistics": STATISTICS})


def test_the_first_studys_report_quotes_the_published_pairs_as_testing_the_crosstab_again_did(build):
    """The report's p-values come from ``crosstab/pairwise.csv``: the same as testing the tiers of ``crosstabs.csv``
    again, as the render did before, for every tested pair."""
    from surveyreport.codebook import load_codebook
    from surveyreport.crosstab import read_pairs
    from surveyreport.formatting import pair_tests
    from surveyreport.study import load_study

    from .conftest import RESULTS, ROOT

    study = load_study(build / "config", "sales-training-2012", {}, ROOT / "workflow" / "schemas")
    config = {"tiers": study.config["tiers"], "statistics": study.config["statistics"]}
    crosstab = pd.read_csv(build / RESULTS / "crosstab" / "crosstabs.csv")
    pairs = read_pairs(build / RESULTS / "crosstab" / "pairwise.csv")
    quoted = pair_tests(Results(crosstab, load_codebook(study.codebook), pairs=pairs), config)
    assert quoted == recomputed_pair_tests(crosstab, config)
    assert len(quoted) == 2 * pairs["test"].ne("").sum() > 100
