"""The computed results: look-ups over the crosstabs, and the exact quantities they give.

Shares are fractions of whole counts, so a printed "26%" is the rounded value
of a count over a base that a reviewer can find in ``crosstabs.csv``. Where the crosstab is
weighted, a share is its weighted count over its weighted base (both in ``crosstabs.csv``),
exact as the fraction of those two numbers; its base stays the unweighted count of respondents,
and its intervals and tests take the weighted share on the effective base.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from .codebook import NET, Codebook
from .crosstab import CHOICE, NO_ANSWER, TIERS, TOTAL, WEIGHTED_COLUMNS
from .errors import SurveyError
from .ledger import Count
from .stats import ratio_interval


def round_half_up(value: Fraction, decimals: int = 0) -> Decimal:
    """Round an exact value half away from zero, as published figures are rounded."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Share:
    """``count`` of ``base`` respondents in one banner column chose any of ``choices``.

    Weighted (``weighted_base`` given), the share is ``weighted_count`` of ``weighted_base``, and
    ``effective_base`` is Kish's effective size of the base, on which it is tested.
    """

    question: str
    choices: tuple[str, ...]
    column: str
    count: int
    base: int
    weighted_count: float | None = None
    weighted_base: float | None = None
    effective_base: float | None = None

    @property
    def weighted(self) -> bool:
        return self.weighted_base is not None

    @property
    def value(self) -> Fraction:
        if self.base == 0:
            raise SurveyError(f"{self.question} {'/'.join(self.choices)} in {self.column}: the base is zero")
        if self.weighted:
            return Fraction(self.weighted_count) / Fraction(self.weighted_base)
        return Fraction(self.count, self.base)

    @property
    def amount(self) -> float:
        """What the share is of its base: the count, or the weighted count (answers are ranked by it)."""
        return self.weighted_count if self.weighted else self.count

    @property
    def amount_base(self) -> float:
        """What the share is of: the base, or the weighted base."""
        return self.weighted_base if self.weighted else self.base

    def tested(self) -> tuple[float, float]:
        """(count, base) of intervals and tests: the counts, or the weighted share times the effective base
        and the effective base."""
        if not self.weighted:
            return self.count, self.base
        share = self.weighted_count / self.weighted_base if self.weighted_base else 0.0
        return share * self.effective_base, self.effective_base

    def shown(self) -> str:
        """The numbers behind the share, for a message or a check: "12/40", or weighted
        "12.35/40.02 weighted (n=40, effective base 33.1)"."""
        if not self.weighted:
            return f"{self.count}/{self.base}"
        return (
            f"{self.weighted_count:.2f}/{self.weighted_base:.2f} weighted "
            f"(n={self.base}, effective base {self.effective_base:.1f})"
        )

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
        return f"{a.question} {'+'.join(a.choices)}, {a.column} {a.shown()} vs {b.column} {b.shown()}"

    def rounded(self, decimals: int = 1) -> Decimal:
        return round_half_up(self.value, decimals)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Katz log interval of the ratio (weighted: of the weighted shares on their effective bases)."""
        a, b = self.numerator, self.denominator
        _, low, high = ratio_interval(*a.tested(), *b.tested(), confidence)
        return low, high


@dataclass(frozen=True)
class Score:
    """A mean or a net promoter score of one question (or grid statement) in one banner column."""

    question: str
    column: str
    statistic: str  # "mean" or "nps"
    n: int
    value: float
    sd: float
    median: float
    ci_low: float
    ci_high: float
    higher_than: str
    flag: str

    def rounded(self, decimals: int = 1) -> Decimal:
        if self.n == 0:
            raise SurveyError(f"{self.question} in {self.column}: nobody to take a {self.statistic} of")
        return round_half_up(Fraction(self.value), decimals)


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
    """Look-ups over the crosstab table, by question, choice and banner column.

    ``pairs`` are the pairwise tests the crosstab's letters come from (``crosstab.crosstab_and_pairs``,
    ``pairwise.csv``), where given: a verdict quotes their p-values.
    """

    def __init__(
        self,
        crosstab: pd.DataFrame,
        codebook: Codebook,
        respondents: pd.DataFrame | None = None,
        scores: pd.DataFrame | None = None,
        pairs: pd.DataFrame | None = None,
    ):
        self.crosstab = crosstab
        self.scores = scores
        self.pairs = pairs
        self._scores = {} if scores is None else {(r["question"], r["column"]): r for r in scores.to_dict("records")}
        self.codebook = codebook
        self.respondents_table = respondents
        self._cells = {key: rows.set_index("choice") for key, rows in crosstab.groupby(["question", "column"], sort=False)}
        # (question, column) -> choice -> (count, base, respondents): shares are looked up hundreds of times per report
        self._numbers = {
            key: {c: (int(n), int(b), int(r)) for c, n, b, r in zip(rows.index, rows["count"], rows["base"], rows["respondents"])}
            for key, rows in self._cells.items()
        }
        # weighted: (question, column) -> choice -> (weighted count, weighted base, effective base)
        self.weighted = WEIGHTED_COLUMNS[0] in crosstab
        self._weighted = {
            key: dict(zip(rows.index, zip(*(rows[c].astype(float) for c in WEIGHTED_COLUMNS[:3]))))
            for key, rows in (self._cells.items() if self.weighted else ())
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
            if not choice.startswith(NET) or choice not in {net.key for net in q.nets}:
                q.choice(choice)
        if q.multi and len(choices) > 1:
            raise SurveyError(f"{question!r} is multi-select: a share of several choices would count people twice")
        self.rows(question, tier)
        key = (question, tier or TOTAL)
        numbers = self._numbers[key]
        count = sum(numbers[choice][0] for choice in choices)
        if not self.weighted:
            return Share(question, choices, tier or TOTAL, count, numbers[choices[0]][1])
        weighted = self._weighted[key]
        _, weighted_base, effective = weighted[choices[0]]
        weighted_count = float(sum(weighted[choice][0] for choice in choices))
        return Share(question, choices, tier or TOTAL, count, numbers[choices[0]][1], weighted_count, weighted_base, effective)

    def base(self, question: str, tier: str | None = None) -> Count:
        rows = self.rows(question, tier)
        return Count(rows.loc[rows["kind"] == CHOICE, "base"].iloc[0], "base", question, tier or TOTAL, "crosstab")

    def effective_base(self, question: str, tier: str | None = None) -> float | None:
        """Kish's effective size of the question's base (the one ``base`` gives), or None where the crosstab is unweighted."""
        if not self.weighted:
            return None
        rows = self.rows(question, tier)
        return float(rows.loc[rows["kind"] == CHOICE, "effective_base"].iloc[0])

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
        value = self.rows(self.codebook.tabulated[0].id, tier)["respondents"].iloc[0]
        return Count(value, "respondents", "", tier or TOTAL, "crosstab")

    def ranking(self, question: str, tier: str | None = None) -> list[Share]:
        """Listed substantive choices, most chosen first ("Other" left out); ties keep questionnaire order."""
        q = self.codebook.question(question)
        listed = [c.id for c in q.substantive if not c.text]
        shares = [self.share(question, c, tier) for c in listed]
        return sorted(shares, key=lambda s: -s.amount)

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

    def score(self, question: str, tier: str | None = None) -> Score:
        """The question's mean (or NPS) in one banner column, as the scores table gives it."""
        self.codebook.question(question)
        row = self._scores.get((question, tier or TOTAL))
        if row is None:
            raise SurveyError(f"no score for question {question!r} in column {tier or TOTAL!r}")
        fields = ("n", "value", "sd", "median", "ci_low", "ci_high")
        text = {k: row[k] if isinstance(row[k], str) else "" for k in ("higher_than", "flag")}
        return Score(question, tier or TOTAL, row["statistic"], **{k: row[k] for k in fields}, **text)

    def distinct(self, question: str) -> Count:
        rows = self.rows(question, None)
        answers = (rows["kind"] == CHOICE) & ~rows.index.str.startswith(NET)  # a net is not an answer of its own
        return Count((answers & (rows["count"] > 0)).sum(), "distinct answers", question, TOTAL, "crosstab")

    def field_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        recorded = self.respondents_table["recorded"]
        return recorded.min(), recorded.max()

    def pairwise_tests(self) -> Count:
        """How many pairs of tiers were tested, over every answer of every question."""
        table = self.crosstab
        if "banner" in table:  # other banners' blocks are tested within themselves: not tiers
            table = table[table["banner"] == TIERS]
        cells = table[table["letter"].fillna("").ne("") & table["kind"].ne(NO_ANSWER)]
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
