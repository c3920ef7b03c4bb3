"""How numbers and dates are printed, in charts and report alike; each printed number goes to the ledger."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd

from .ledger import Count, record, show
from .results import HIGHER, LOWER, NOT_SIGNIFICANT, Comparison, Ratio, Share, round_half_up

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


VERDICTS = {
    "significant": "The gap passes the corrected significance test.",
    "not_significant": (
        "With groups of this size the gap does not pass the corrected significance test: "
        "it is a pattern to watch rather than a proven difference."
    ),
    "not_tested": "The gap was not tested for significance: {reason}.",
}


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
        f"{labels.get(s.column, s.column).lower()} (n={show(Count(s.base, 'base', s.question, s.column, 'crosstab'))})"
        for s in small
    )
    verb = "the bases of {} are" if len(small) > 1 else "the base of {} is"
    return f"{verb.format(groups)} under the minimum of {setting(min_base, 'minimum base')} for a test"


def verdict(comparison: Comparison, min_base: int, labels: dict[str, str], wording: dict[str, str] | None = None) -> str:
    """The sentence that says what the corrected test found: significant, not significant, or not tested and why.

    ``labels`` name the banner columns; ``wording`` may replace the default sentence of each outcome
    (``{reason}`` in the not-tested one is replaced by the reason).
    """
    wording = {**VERDICTS, **(wording or {})}
    a, b = comparison.first, comparison.second
    if comparison.outcome in (HIGHER, LOWER):
        text = wording["significant"]
    elif comparison.outcome == NOT_SIGNIFICANT:
        text = wording["not_significant"]
    else:
        text = wording["not_tested"].replace("{reason}", why_not_tested(comparison, min_base, labels))
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
