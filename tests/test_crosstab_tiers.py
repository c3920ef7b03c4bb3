import pandas as pd
import pytest

from surveyreport.crosstab import crosstab
from surveyreport.errors import SurveyError
from surveyreport.tiers import assign_tiers

from .conftest import STATISTICS, answers


@pytest.fixture
def tiered(codebook, tiers):
    rows = [
        ("high", {"mobile"}),
        ("high", {"mobile", "games"}),
        ("mid", {"games"}),
        ("low", None),  # skipped the multi-select
        ("dk", {"mobile"}),
        (None, {"other"}),  # skipped the rating
    ]
    return assign_tiers(answers(rows, codebook), tiers, codebook)


def cell(table, question, column, choice):
    row = table[(table.question == question) & (table.column == column) & (table.choice == choice)]
    assert len(row) == 1
    return row.iloc[0]


def test_tiers_follow_the_rule_and_leave_unrated_out(tiered):
    assert tiered["tier"].tolist()[:4] == ["top", "top", "rest", "rest"]
    assert tiered["tier"].isna().tolist()[4:] == [True, True]


def test_a_choice_in_two_tiers_is_an_error(codebook):
    rule = {"question": "rating", "levels": [{"id": "a", "choices": ["high"]}, {"id": "b", "choices": ["high"]}]}
    with pytest.raises(SurveyError, match="'high' is in tiers 'a' and 'b'"):
        assign_tiers(pd.DataFrame({"rating": []}), rule, codebook)


def test_single_choice_base_leaves_out_dont_know_and_no_answer(tiered, codebook, tiers):
    table = crosstab(tiered, codebook, tiers, STATISTICS)
    high = cell(table, "rating", "total", "high")
    # 6 respondents: 1 skipped, 1 don't know -> base of 4 substantive answers
    assert (high["count"], high["base"], high["respondents"]) == (2, 4, 6)
    assert high["pct"] == 50.0
    dk = cell(table, "rating", "total", "dk")
    assert (dk["kind"], dk["count"], dk["base"]) == ("nonsubstantive", 1, 5)
    assert cell(table, "rating", "total", "no_answer")["count"] == 1


def test_multi_select_base_is_those_who_ticked_anything(tiered, codebook, tiers):
    table = crosstab(tiered, codebook, tiers, STATISTICS)
    mobile = cell(table, "tools", "total", "mobile")
    assert (mobile["count"], mobile["base"]) == (3, 5)
    assert cell(table, "tools", "rest", "games")[["count", "base"]].tolist() == [1, 1]
    assert cell(table, "tools", "top", "mobile")["pct"] == 100.0
    # shares of a multi-select can add past 100%
    top = table[(table.question == "tools") & (table.column == "top") & (table.kind == "choice")]
    assert top["pct"].sum() == 150.0


def test_small_bases_are_flagged_and_not_tested(tiered, codebook, tiers):
    table = crosstab(tiered, codebook, tiers, STATISTICS)
    top = cell(table, "tools", "top", "mobile")
    assert top["flag"] == "not tested" and top["higher_than"] == ""
    assert (top["not_tested"], top["not_tested_why"]) == ("B", "B=small_base")
    # the rating defines the tiers: never compared, whatever the bases
    assert cell(table, "rating", "rest", "high")["not_tested_why"] == "A=tier_question"
    assert cell(table, "tools", "total", "mobile")["not_tested"] == ""
    assert top["letter"] == "A" and cell(table, "tools", "rest", "mobile")["letter"] == "B"
    low, high = top["ci_low"], top["ci_high"]
    assert 0 < low < 100 == top["pct"] and high == 100


def test_workbook_has_a_sheet_per_question_with_letters_and_notes(tiered, codebook, tiers, tmp_path):
    import datetime as dt
    import zipfile

    from surveyreport.crosstab import chi_square_tests
    from surveyreport.workbook import write_workbook

    table = crosstab(tiered, codebook, tiers, STATISTICS)
    path = tmp_path / "crosstabs.xlsx"
    args = (table, chi_square_tests(table, codebook, tiers, STATISTICS), codebook, tiers, STATISTICS, "Test study")
    write_workbook(*args, dt.datetime(2012, 7, 27), path)
    with zipfile.ZipFile(path) as book:
        workbook = book.read("xl/workbook.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    for sheet in ("Contents", "role", "rating", "tools", "Pairwise tests"):
        assert f'name="{sheet}"' in workbook
    assert "Top (A)" in strings and "Holm correction" in strings and "can add up to more than 100%" in strings
    assert "Fisher's exact test" in strings and "not adjusted for the number of comparisons" in strings
    assert "a base is under the minimum" in strings and "the question defines the tiers" in strings
    assert "No letters: this question defines the tiers" in strings.replace("&apos;", "'")
    first = path.read_bytes()
    write_workbook(*args, dt.datetime(2012, 7, 27), path)
    assert path.read_bytes() == first


@pytest.mark.parametrize(
    "counts, says",
    [
        (
            [[1, 7], [6, 2]],
            "so Cochran's rule fails and the chi-square distribution's p = 0.012 is unreliable: p = 0.043 is a "
            "Monte Carlo p-value from 1,000 simulated tables with the same margins.",
        ),
        ([[20, 30], [35, 15]], "so Cochran's rule holds: p = 0.003 from the chi-square distribution."),
    ],
)
def test_workbook_says_where_the_chi_square_distribution_is_not_to_be_trusted(tiered, codebook, tiers, tmp_path, counts, says):
    import datetime as dt
    import zipfile

    from surveyreport.stats import chi_square
    from surveyreport.workbook import write_workbook

    table = crosstab(tiered, codebook, tiers, STATISTICS)
    tests = pd.DataFrame([{"question": "role", **chi_square(pd.DataFrame(counts), simulations=1000)}])
    path = tmp_path / "crosstabs.xlsx"
    write_workbook(table, tests, codebook, tiers, STATISTICS, "Test study", dt.datetime(2012, 7, 27), path)
    with zipfile.ZipFile(path) as book:
        strings = book.read("xl/sharedStrings.xml").decode().replace("&apos;", "'")
    assert says in strings
