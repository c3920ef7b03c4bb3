"""How numbers and dates are printed, in charts and report alike; each printed number goes to the ledger."""

from __future__ import annotations

import datetime as dt
import re
import weakref
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd
from markupsafe import Markup

from .errors import SurveyError
from .ledger import Count, record, show
from .methodology import CORRECTION_NAMES, FAMILY_IN
from .results import HIGHER, LOWER, NOT_SIGNIFICANT, Comparison, Ratio, Results, Share, round_half_up

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _fraction(share: Share) -> str:
    """The share's numerator and denominator as the ledger gives them: "12/40", or weighted "12.35.../40.02..."."""
    return f"{share.amount}/{share.amount_base}"


def _share(share: Share, decimals: int) -> str:
    """The ledger's numerator and base of a weighted share are its weighted count and base (``crosstabs.csv``)."""
    text = f"{share.percent(decimals)}%"
    return record(
        text,
        "share",
        float(share.value * 100),
        share.question,
        share.column,
        share.amount,
        share.amount_base,
        source="crosstab: " + "+".join(share.choices),
    )


def pct(share: Share) -> str:
    """Whole percent, rounded half up: "26%"."""
    return _share(share, 0)


def pct1(share: Share, min_base: int = 0) -> str:
    """One decimal, "37.5%", where the base is at least ``min_base``; below it a decimal would claim
    a precision a small group cannot give, and the share is printed in whole percent."""
    return _share(share, 1 if share.base >= min_base else 0)


def _ratio(ratio: Ratio, text: str, kind: str = "ratio") -> str:
    a, b = ratio.numerator, ratio.denominator
    return record(
        text,
        kind,
        float(ratio.value) if ratio.defined else "undefined",
        a.question,
        f"{a.column}/{b.column}",
        _fraction(a),
        _fraction(b),
        source="crosstab: " + "+".join(a.choices),
    )


def _undefined(ratio: Ratio) -> str:
    """An undefined ratio said as such, with the zero it comes from."""
    b = ratio.denominator
    return _ratio(ratio, f"(ratio undefined: {b.count} of {b.base} in the comparison group)")


def times(ratio: Ratio) -> str:
    """'twice', 'three times', or '1.6 times' for a ratio rounded to one decimal."""
    if not ratio.defined:
        return _undefined(ratio)
    value = ratio.rounded(1)
    if value == 2:
        text = "twice"
    elif value == value.to_integral() and value < 10:
        text = f"{NUMBER_WORDS[int(value)]} times"
    else:
        text = f"{value} times"
    return _ratio(ratio, text)


def ratio_ci(ratio: Ratio, confidence: float = 0.95) -> str:
    """The ratio and its Katz interval, one decimal: "2.0; unadjusted 95% interval 1.1–3.7".

    The interval is per estimate, not adjusted for the many comparisons the tests correct for.
    """
    if not ratio.defined:
        return _undefined(ratio)
    low, high = ratio.interval(confidence)
    level = setting(round(confidence * 100), "confidence level", "%")
    interval = f"{round_half_up(Fraction(low), 1)}–{round_half_up(Fraction(high), 1)}"
    _ratio(ratio, interval, "ratio interval")
    return f"{_ratio(ratio, str(ratio.rounded(1)))}; unadjusted {level} interval {interval}"


def words(count: int) -> str:
    """Small counts in words ("eight"), others in figures."""
    text = NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else f"{count:,}"
    return record(text, getattr(count, "kind", "count"), int(count), getattr(count, "question", ""), getattr(count, "column", ""))


def setting(value, name: str, suffix: str = "") -> str:
    """A number from the configuration (a threshold, a confidence level), recorded as printed."""
    return record(f"{value}{suffix}", "setting", value, source=name)


def constant(text: str, why: str) -> str:
    """A number that is a fact of the method, not of the data ("more than 100%")."""
    return record(text, "constant", text, source=why)


def lower(text: str) -> str:
    """Lowercase for a label inside a sentence, keeping acronyms: "Software and IT services" -> "software and IT services".
    A word of two or more letters, all capitals, is kept as written."""

    def word(match: re.Match) -> str:
        letters = [c for c in match.group() if c.isalpha()]
        return match.group() if len(letters) > 1 and all(c.isupper() for c in letters) else match.group().lower()

    lowered = re.sub(r"\S+", word, str(text))
    return Markup(lowered) if isinstance(text, Markup) else lowered


def long_date(value: pd.Timestamp | dt.date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def date_range(first: pd.Timestamp, last: pd.Timestamp) -> str:
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B} {first.day}–{last.day}, {first.year}"
    return f"{long_date(first)} – {long_date(last)}"


def interval(low: float, high: float, share: Share) -> str:
    """A Wilson interval in whole percent: "19–34"."""
    text = f"{low:.0f}–{high:.0f}"
    return record(text, "interval", f"{low:.4f}–{high:.4f}", share.question, share.column, share.amount, share.amount_base)


def effective_base(value: float, question: str, column: str) -> str:
    """Kish's effective base of a weighted question's base, in whole respondents: "131"."""
    text = f"{round_half_up(Fraction(value))}"
    return record(text, "effective base", float(value), question, column, source="crosstab: effective_base")


# The sentence of a comparison's test. With the test's p-values (``PairTest``): {p} the unadjusted
# p-value ("p = 0.037"), {p_adjusted} the adjusted one ("adjusted p < 0.001"), {tests} how many tests were adjusted together, {correction}
# the method's name and {scope} where the tests were (methodology.FAMILY_IN). "corrected_away" is a
# gap significant on its own that the correction for the other tests of its family sets aside.
VERDICTS = {
    "significant": (
        "The gap is statistically significant after {correction} correction for the {tests} tests {scope} ({p_adjusted})."
    ),
    "corrected_away": (
        "The gap is significant on its own ({p}) but not after {correction} correction for the {tests} tests "
        "{scope} ({p_adjusted})."
    ),
    "not_significant": "The gap is not statistically significant ({p}, before any correction).",
    "not_tested": "The gap was not tested for significance: {reason}.",
}
# Without the test's p-values, what the letters alone say.
VERDICTS_WITHOUT_P = {
    "significant": "The gap is statistically significant after correction for multiple comparisons.",
    "not_significant": "The gap is not statistically significant after correction for multiple comparisons.",
    "not_tested": VERDICTS["not_tested"],
}


@dataclass(frozen=True)
class PairTest:
    """A pairwise test's p-values as the crosstab computed them, and its family."""

    p: float
    p_adjusted: float
    tests: int  # tests adjusted together (the family)
    correction: str  # methodology.CORRECTION_NAMES key
    family: str  # statistics.family
    alpha: float


_PAIR_TESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def pair_tests(results: Results, settings: dict) -> dict[tuple[str, str, str, str], PairTest]:
    """Every tested pair of tiers, (question, choice, column, column) -> its ``PairTest``: the crosstab's tests
    (``results.pairs``) between two tiers, a family's size the number of its tested pairs."""
    if results not in _PAIR_TESTS:
        if results.pairs is None:
            raise SurveyError(
                "the report quotes the pairwise tests' p-values, and the crosstab's pairs were not given",
                expected="crosstab/pairwise.csv among the render's inputs",
            )
        tiers = [level["id"] for level in settings["tiers"]["levels"]]
        frame = results.pairs
        _PAIR_TESTS[results] = tests_of(
            frame[frame["column_a"].isin(tiers) & frame["column_b"].isin(tiers)], settings["statistics"]
        )
    return _PAIR_TESTS[results]


def tests_of(pairs, statistics: dict) -> dict[tuple[str, str, str, str], PairTest]:
    """The tested pairs of a frame of pairwise tests, (question, choice, column, column) -> its ``PairTest`` (both
    orders), a family's size the number of its tested pairs."""
    frame = pairs[pairs["test"] != ""]
    sizes = frame.groupby("family")["p"].transform("size")
    tests = {}
    for row, size in zip(frame.itertuples(index=False), sizes):
        test = PairTest(row.p, row.p_adjusted, int(size), statistics["correction"], statistics["family"], statistics["alpha"])
        tests[(row.question, row.choice, row.column_a, row.column_b)] = test
        tests[(row.question, row.choice, row.column_b, row.column_a)] = test
    return tests


def pair_test_of(comparison: Comparison, results: Results, settings: dict) -> PairTest | None:
    """The p-values of a comparison's test (None for a pair the crosstab did not test)."""
    a, b = comparison.first, comparison.second
    if len(a.choices) != 1:
        return None
    return pair_tests(results, settings).get((a.question, a.choices[0], a.column, b.column))


def p_value(p: float, question: str = "", column: str = "", name: str = "p") -> str:
    """A p-value as printed: "p < 0.001", three decimals under 0.1 ("p = 0.037"), else two ("p = 0.52")."""
    number = "< 0.001" if p < 0.001 else f"= {round_half_up(Fraction(p), 3 if p < 0.1 else 2)}"
    return record(f"{name} {number}", "p-value", float(p), question, column, source="crosstab: pairwise tests")


NOT_TESTED_BECAUSE = {
    "no_variation": "the two groups gave this answer in the same all-or-none way, so there is no difference to test",
    "tier_question": "the groups are defined by this question",
    "nonsubstantive": "answers such as “don't know” are not tested",
}


def why_not_tested(comparison: Comparison, min_base: int, labels: dict[str, str]) -> str:
    """Why the crosstab ran no test on the pair, as it recorded it."""
    if comparison.why_not_tested != "small_base":
        return NOT_TESTED_BECAUSE[comparison.why_not_tested]
    small = [s for s in (comparison.first, comparison.second) if s.base < min_base]
    groups = " and ".join(
        f"{lower(labels.get(s.column, s.column))} (n={show(Count(s.base, 'base', s.question, s.column, 'crosstab'))})"
        for s in small
    )
    verb = "the bases of {} are" if len(small) > 1 else "the base of {} is"
    return f"{verb.format(groups)} under the minimum of {setting(min_base, 'minimum base')} for a test"


def verdict(
    comparison: Comparison,
    min_base: int,
    labels: dict[str, str],
    wording: dict[str, str] | None = None,
    test: PairTest | None = None,
) -> str:
    """The sentence that says what the test found: significant after the correction, significant only before it,
    not significant, or not tested and why; with ``test``, its p-values and family from the crosstab.

    ``labels`` name the banner columns; ``wording`` may replace the default sentence of each outcome
    (its placeholders are those of ``VERDICTS``). Without ``corrected_away``, a gap the correction sets
    aside takes the ``not_significant`` wording.
    """
    wording = {**(VERDICTS if test else VERDICTS_WITHOUT_P), **(wording or {})}
    a, b = comparison.first, comparison.second
    if comparison.outcome in (HIGHER, LOWER):
        text = wording["significant"]
    elif comparison.outcome == NOT_SIGNIFICANT:
        away = test is not None and test.p <= test.alpha and "corrected_away" in wording
        text = wording["corrected_away" if away else "not_significant"]
    else:
        text = wording["not_tested"].replace("{reason}", why_not_tested(comparison, min_base, labels))
    if test is not None:
        where = (a.question, f"{a.column}/{b.column}")
        numbers = {
            "{p}": lambda: p_value(test.p, *where),
            "{p_adjusted}": lambda: p_value(test.p_adjusted, *where, name="adjusted p"),
            "{tests}": lambda: record(f"{test.tests:,}", "pairwise tests", test.tests, *where, source="crosstab: family"),
            "{correction}": lambda: CORRECTION_NAMES[test.correction],
            "{scope}": lambda: FAMILY_IN[test.family],
        }
        for name, value in numbers.items():
            if name in text:
                text = text.replace(name, value())
    return record(
        text,
        "test",
        comparison.outcome,
        a.question,
        f"{a.column}/{b.column}",
        _fraction(a),
        _fraction(b),
        source="crosstab: " + "+".join(a.choices),
    )


def score(value, decimals: int = 1) -> str:
    """A mean, one decimal ("3.4"), or a net promoter score in whole points with its sign ("+12", "-5", "0")."""
    if value.statistic == "nps":
        points = value.rounded(0)
        text = f"{points:+}" if points else "0"
    else:
        text = f"{value.rounded(decimals)}"
    return record(text, value.statistic, float(value.value), value.question, value.column, None, value.n, source="scores")


def score_interval(value, decimals: int = 1) -> str:
    """A score's interval as the scores table gives it: "2.9–3.8" (a mean), "-4–+28" (an NPS)."""
    places = 0 if value.statistic == "nps" else decimals
    low, high = (round_half_up(Fraction(v), places) for v in (value.ci_low, value.ci_high))
    text = f"{low}–{high}"
    detail = f"{value.ci_low:.4f}–{value.ci_high:.4f}"
    return record(text, "score interval", detail, value.question, value.column, None, value.n, source="scores")


def statistic(value: float, kind: str, question: str, column: str, n: int, decimals: int = 1) -> str:
    """A median or a standard deviation from the scores table, rounded half up: "3.5"."""
    return record(f"{round_half_up(Fraction(value), decimals)}", kind, float(value), question, column, None, n, source="scores")
