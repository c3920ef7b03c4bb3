"""Quantities computed from the crosstabs, kept exact, and the checks of published figures.

Shares are fractions of whole counts, so a printed "26%" is the rounded value
of a count over a base that a reviewer can find in ``crosstabs.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from .codebook import Codebook
from .crosstab import CHOICE, NO_ANSWER, TOTAL
from .errors import SurveyError
from .ledger import Count
from .stats import ratio_interval


def round_half_up(value: Fraction, decimals: int = 0) -> Decimal:
    """Round an exact value half away from zero, as published figures are rounded."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """``count`` of ``base`` respondents in one banner column chose any of ``choices``."""

    question: str
    choices: tuple[str, ...]
    column: str
    count: int
    base: int

    @property
    def value(self) -> Fraction:
        if self.base == 0:
            raise SurveyError(f"{self.question} {'/'.join(self.choices)} in {self.column}: the base is zero")
        return Fraction(self.count, self.base)

    def percent(self, decimals: int = 0) -> Decimal:
        return round_half_up(self.value * 100, decimals)


@dataclass(frozen=True)
class Ratio:
    """How many times as likely one column is as another to give an answer."""

    numerator: Share
    denominator: Share

    @property
    def defined(self) -> bool:
        """A ratio needs both bases and a comparison share above zero."""
        return self.numerator.base > 0 and self.denominator.base > 0 and self.denominator.count > 0

    @property
    def value(self) -> Fraction:
        if not self.defined:
            raise SurveyError(f"the ratio {self.describe()} is undefined: the comparison share is zero")
        return self.numerator.value / self.denominator.value

    def describe(self) -> str:
        a, b = self.numerator, self.denominator
        return f"{a.question} {'+'.join(a.choices)}, {a.column} {a.count}/{a.base} vs {b.column} {b.count}/{b.base}"

    def rounded(self, decimals: int = 1) -> Decimal:
        return round_half_up(self.value, decimals)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Katz log interval of the ratio."""
        a, b = self.numerator, self.denominator
        _, low, high = ratio_interval(a.count, a.base, b.count, b.base, confidence)
        return low, high


HIGHER, LOWER, NOT_SIGNIFICANT, NOT_TESTED = "higher", "lower", "not significant", "not tested"


def _letters(marks) -> set[str]:
    """Column letters of a crosstab cell ("AC"); empty for a blank cell."""
    return set(marks) if isinstance(marks, str) else set()


@dataclass(frozen=True)
class Comparison:
    """Two banner columns' shares of one answer and what the corrected test said of them."""

    first: Share
    second: Share
    outcome: str  # HIGHER or LOWER (first against second, significant), NOT_SIGNIFICANT or NOT_TESTED
    why_not_tested: str = ""  # the crosstab's reason: small_base, no_variation, tier_question, nonsubstantive

    @property
    def significant(self) -> bool:
        return self.outcome in (HIGHER, LOWER)


class Results:
    """Look-ups over the crosstab table, by question, choice and banner column."""

    def __init__(self, crosstab: pd.DataFrame, codebook: Codebook, respondents: pd.DataFrame | None = None):
        self.crosstab = crosstab
        self.codebook = codebook
        self.respondents_table = respondents
        self._cells = {key: rows.set_index("choice") for key, rows in crosstab.groupby(["question", "column"], sort=False)}
        # (question, column) -> choice -> (count, base, respondents): shares are looked up hundreds of times per report
        self._numbers = {
            key: {c: (int(n), int(b), int(r)) for c, n, b, r in zip(rows.index, rows["count"], rows["base"], rows["respondents"])}
            for key, rows in self._cells.items()
        }

    def rows(self, question: str, column: str | None) -> pd.DataFrame:
        """The crosstab rows of one question in one banner column, indexed by choice."""
        self.codebook.question(question)
        column = column or TOTAL
        if (question, column) not in self._cells:
            raise SurveyError(f"no crosstab for question {question!r} in column {column!r}")
        return self._cells[(question, column)]

    def share(self, question: str, choices: str | list[str], tier: str | None = None) -> Share:
        """Share choosing any of ``choices``, on the question's one base (the crosstab's)."""
        choices = (choices,) if isinstance(choices, str) else tuple(choices)
        q = self.codebook.question(question)
        for choice in choices:
            q.choice(choice)
        if q.multi and len(choices) > 1:
            raise SurveyError(f"{question!r} is multi-select: a share of several choices would count people twice")
        self.rows(question, tier)
        numbers = self._numbers[(question, tier or TOTAL)]
        count = sum(numbers[choice][0] for choice in choices)
        return Share(question, choices, tier or TOTAL, count, numbers[choices[0]][1])

    def base(self, question: str, tier: str | None = None) -> Count:
        rows = self.rows(question, tier)
        return Count(rows.loc[rows["kind"] == CHOICE, "base"].iloc[0], "base", question, tier or TOTAL, "crosstab")

    def count(self, question: str, choices: str | list[str], tier: str | None = None) -> Count:
        share = self.share(question, choices, tier)
        return Count(share.count, "count", question, share.column, "crosstab: " + "+".join(share.choices))

    def answered(self, question: str, tier: str | None = None) -> Count:
        """Respondents who gave any answer, substantive or not."""
        rows = self.rows(question, tier)
        n = rows["respondents"].iloc[0] - rows.loc[rows["kind"] == NO_ANSWER, "count"].iloc[0]
        return Count(n, "answered", question, tier or TOTAL, "crosstab")

    def no_answer(self, question: str, tier: str | None = None) -> Count:
        rows = self.rows(question, tier)
        return Count(rows.loc[rows["kind"] == NO_ANSWER, "count"].iloc[0], "no answer", question, tier or TOTAL, "crosstab")

    def respondents(self, tier: str | None = None) -> Count:
        value = self.rows(self.codebook.closed[0].id, tier)["respondents"].iloc[0]
        return Count(value, "respondents", "", tier or TOTAL, "crosstab")

    def ranking(self, question: str, tier: str | None = None) -> list[Share]:
        """Listed substantive choices, most chosen first ("Other" left out); ties keep questionnaire order."""
        q = self.codebook.question(question)
        listed = [c.id for c in q.substantive if not c.text]
        shares = [self.share(question, c, tier) for c in listed]
        return sorted(shares, key=lambda s: -s.count)

    def ratio(self, question: str, choice: str, tiers: list[str]) -> Ratio:
        first, second = tiers
        return Ratio(self.share(question, choice, first), self.share(question, choice, second))

    def compare(self, question: str, choice: str, tiers: list[str]) -> Comparison:
        """The corrected pairwise test of two banner columns' shares, as the crosstab recorded it."""
        first, second = (self.share(question, choice, tier) for tier in tiers)
        a, b = (self.rows(question, tier).loc[choice] for tier in tiers)
        why = dict(item.split("=") for item in str(a["not_tested_why"]).split()) if isinstance(a["not_tested_why"], str) else {}
        if b["letter"] in why:
            return Comparison(first, second, NOT_TESTED, why[b["letter"]])
        if b["letter"] in _letters(a["higher_than"]):
            return Comparison(first, second, HIGHER)
        if a["letter"] in _letters(b["higher_than"]):
            return Comparison(first, second, LOWER)
        return Comparison(first, second, NOT_SIGNIFICANT)

    def distinct(self, question: str) -> Count:
        rows = self.rows(question, None)
        return Count(((rows["kind"] == CHOICE) & (rows["count"] > 0)).sum(), "distinct answers", question, TOTAL, "crosstab")

    def field_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        recorded = self.respondents_table["recorded"]
        return recorded.min(), recorded.max()

    def pairwise_tests(self) -> Count:
        """How many pairs of tiers were tested, over every answer of every question."""
        cells = self.crosstab[self.crosstab["letter"].fillna("").ne("") & self.crosstab["kind"].ne(NO_ANSWER)]
        partners = cells["letter"].nunique() - 1
        tested = partners - cells["not_tested"].fillna("").str.len()
        return Count(tested.sum() // 2, "pairwise tests", source="crosstab: letters and not_tested")


def exhibit_shares(exhibit: dict, results: Results, column: str | None = None) -> list[Share]:
    """The exhibit's bars for one banner column, in the configured order ("Other" last)."""
    question = results.codebook.question(exhibit["question"])
    if exhibit.get("order", "ranked") == "ranked":
        shares = results.ranking(question.id)
        ranked = [s.choices[0] for s in shares]
        others = [c.id for c in question.substantive if c.id not in ranked]
        choices = ranked + others
    else:
        choices = [c.id for c in question.substantive]
    return [results.share(question.id, choice, column) for choice in choices]


# ----------------------------------------------------------------------------- published figures


@dataclass(frozen=True)
class CheckResult:
    figure: str
    published: str
    check: str
    expected: str
    computed: str
    holds: bool


def _describe(check: dict) -> str:
    parts = [check["measure"]]
    for key in ("question", "choices", "choice", "tier", "tiers"):
        if key in check:
            value = check[key]
            parts.append(f"{key}={','.join(value) if isinstance(value, list) else value}")
    return " ".join(parts)


def _top(results: Results, check: dict) -> tuple[str, bool]:
    ranking = results.ranking(check["question"], check.get("tier"))
    expected = check["expect"]
    k = len(expected)
    top = [s.choices[0] for s in ranking[:k]]
    counts = [s.count for s in ranking]
    separated = k >= len(counts) or counts[k - 1] > counts[k]
    if check.get("ordered", True):
        separated = separated and all(a > b for a, b in zip(counts[: k - 1], counts[1:k]))
        holds = top == expected and separated
    else:
        holds = set(top) == set(expected) and separated
    shown = ", ".join(f"{s.choices[0]} ({s.count}/{s.base})" for s in ranking[: k + 1])
    return shown, holds


def evaluate_check(results: Results | None, check: dict, pages: int | None = None) -> tuple[str, str, bool]:
    """(expected, computed, holds) for one check of a published figure."""
    measure = check["measure"]
    decimals = check.get("decimals", 1 if measure == "ratio" else 0)
    bounds = {"above": ">", "below": "<", "at_least": ">="}
    bound = next((key for key in bounds if key in check), None)
    expected = f"{bounds[bound]} {check[bound]}" if bound else str(check.get("expect"))
    if measure == "top":
        computed, holds = _top(results, check)
        return ", ".join(check["expect"]), computed, holds
    if measure == "share":
        share = results.share(check["question"], check["choices"], check.get("tier"))
        value = share.percent(decimals)
        computed = f"{value}% ({share.count}/{share.base})"
    elif measure == "ratio":
        ratio = results.ratio(check["question"], check["choice"], check["tiers"])
        a, b = ratio.numerator, ratio.denominator
        if not ratio.defined:
            return expected, f"undefined ({a.count}/{a.base} vs {b.count}/{b.base})", False
        value = ratio.rounded(decimals)
        computed = f"{value} ({a.count}/{a.base} vs {b.count}/{b.base})"
    elif measure == "comparison":
        comparison = results.compare(check["question"], check["choice"], check["tiers"])
        a, b = comparison.first, comparison.second
        computed = f"{comparison.outcome} ({a.count}/{a.base} vs {b.count}/{b.base})"
        return check["expect"], computed, comparison.outcome == check["expect"]
    elif measure == "rank":
        ranking = [s.choices[0] for s in results.ranking(check["question"], check.get("tier"))]
        value = ranking.index(check["choice"]) + 1
        computed = str(value)
    elif measure == "respondents":
        value = results.respondents(check.get("tier"))
        computed = str(value)
    elif measure == "base":
        value = results.base(check["question"], check.get("tier"))
        computed = str(value)
    elif measure == "count":
        value = results.count(check["question"], check["choices"], check.get("tier"))
        computed = str(value)
    elif measure == "distinct":
        value = results.distinct(check["question"])
        computed = str(value)
    elif measure == "field_month":
        first, last = results.field_period()
        value = first.strftime("%Y-%m") if first.strftime("%Y-%m") == last.strftime("%Y-%m") else "several months"
        computed = f"{value} ({first:%Y-%m-%d} to {last:%Y-%m-%d})"
    elif measure == "pages":
        value = pages
        computed = str(value)
    else:
        raise SurveyError(f"unknown measure {measure!r} in a published-figure check")
    if bound:
        exact = ratio.value if measure == "ratio" else (share.value * 100 if measure == "share" else value)
        if value is None:
            holds = False
        else:
            exact = Fraction(exact) if not isinstance(exact, Fraction) else exact
            limit = Fraction(str(check[bound]))
            holds = {"above": exact > limit, "below": exact < limit, "at_least": exact >= limit}[bound]
    elif isinstance(value, Decimal):
        holds = value == Decimal(str(check["expect"]))
    else:
        holds = value == check["expect"]
    return expected, computed, holds


LAYOUT = {"pages"}  # measures of the rendered PDF, checked by the render job as it writes it


def _checked(figures: list[dict], of_layout: bool, evaluate) -> list[CheckResult]:
    out = []
    for figure in figures:
        for check in figure["checks"]:
            if (check["measure"] in LAYOUT) == of_layout:
                expected, computed, holds = evaluate(check)
                out.append(CheckResult(figure["id"], figure["published"], _describe(check), expected, computed, holds))
    return out


def verify(results: Results, figures: list[dict]) -> list[CheckResult]:
    """The published figures' checks of the data, evaluated against the computed results."""
    return _checked(figures, False, lambda check: evaluate_check(results, check))


def verify_layout(figures: list[dict], pages: int) -> list[CheckResult]:
    """The published figures' checks of the rendered PDF (its page count)."""
    return _checked(figures, True, lambda check: evaluate_check(None, check, pages))


def failures(checks: list[CheckResult]) -> str:
    """The checks that do not hold, in one line; empty when all hold."""
    failed = [c for c in checks if not c.holds]
    details = "; ".join(f"{c.figure} ({c.check}): published {c.expected}, computed {c.computed}" for c in failed)
    return f"{len(failed)} published figure check(s) do not hold: {details}" if failed else ""


def unsupported_claims(results: Results, items: list[dict], kind: str = "finding") -> list[str]:
    """Every claim of every finding (or exhibit headline) that the computed results do not support, with its numbers."""
    failures = []
    for item in items:
        for claim in item.get("claims", []):
            expected, computed, holds = evaluate_check(results, claim)
            if not holds:
                failures.append(f"{kind} {item['id']!r}: {_describe(claim)} should be {expected}, computed {computed}")
    return failures


def verification_markdown(checks: list[CheckResult], figures: list[dict]) -> str:
    if not figures:
        return "# Published figures\n\nThe study configures no published figures: there is nothing to check.\n"
    held = sum(c.holds for c in checks)
    lines = [
        "# Published figures, checked against the computed results",
        "",
        f"{held} of {len(checks)} checks hold.",
        "",
        "| figure | published | check | expected | computed | holds |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c.figure} | {c.published} | {c.check} | {c.expected} | {c.computed} | {'yes' if c.holds else '**NO**'} |"
        )
    layout = [f"{f['id']} ({f['published']})" for f in figures if any(c["measure"] in LAYOUT for c in f["checks"])]
    if layout:
        lines += ["", f"Checked by the render job against the PDF it writes (its log has the result): {'; '.join(layout)}."]
    return "\n".join(lines) + "\n"
