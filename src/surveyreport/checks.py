"""Checks of published figures and of the claims of findings and headlines against the computed results.

Each measure a check can name is one small function giving the computed value and the text
that shows it with its counts; whether the check holds compares that value with the
published one (exactly, or after rounding it as the study rounded it), or with a bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .errors import SurveyError
from .results import Results, round_half_up


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


def _decimals(check: dict) -> int:
    return check.get("decimals", 1 if check["measure"] == "ratio" else 0)


def _counts(a, b) -> str:
    return f"{a.shown()} vs {b.shown()}"


# Each measure: (results, check) -> (value, computed text). A share or ratio is the exact
# fraction (rounded as published when compared), None where it is undefined; ``top`` gives
# the leading answers, or None where they are not set apart from the rest by their counts.


def _share(results: Results, check: dict):
    share = results.share(check["question"], check["choices"], check.get("tier"))
    return share.value * 100, f"{share.percent(_decimals(check))}% ({share.shown()})"


def _ratio(results: Results, check: dict):
    ratio = results.ratio(check["question"], check["choice"], check["tiers"])
    counts = _counts(ratio.numerator, ratio.denominator)
    if not ratio.defined:
        return None, f"undefined ({counts})"
    return ratio.value, f"{ratio.rounded(_decimals(check))} ({counts})"


def _comparison(results: Results, check: dict):
    comparison = results.compare(check["question"], check["choice"], check["tiers"])
    return comparison.outcome, f"{comparison.outcome} ({_counts(comparison.first, comparison.second)})"


def _top(results: Results, check: dict):
    ranking = results.ranking(check["question"], check.get("tier"))
    k = len(check["expect"])
    top = [s.choices[0] for s in ranking[:k]]
    counts = [s.amount for s in ranking]  # weighted counts where the crosstab is weighted
    separated = k >= len(counts) or counts[k - 1] > counts[k]
    shown = ", ".join(f"{s.choices[0]} ({s.shown()})" for s in ranking[: k + 1])
    if not check.get("ordered", True):
        return frozenset(top) if separated else None, shown
    in_order = all(a > b for a, b in zip(counts[: k - 1], counts[1:k]))
    return top if separated and in_order else None, shown


def _rank(results: Results, check: dict):
    ranking = [s.choices[0] for s in results.ranking(check["question"], check.get("tier"))]
    rank = ranking.index(check["choice"]) + 1
    return rank, str(rank)


def _field_month(results: Results, check: dict):
    first, last = results.field_period()
    month = first.strftime("%Y-%m") if first.strftime("%Y-%m") == last.strftime("%Y-%m") else "several months"
    return month, f"{month} ({first:%Y-%m-%d} to {last:%Y-%m-%d})"


def _shown(value):
    return value, str(value)


MEASURES = {
    "share": _share,
    "ratio": _ratio,
    "comparison": _comparison,
    "top": _top,
    "rank": _rank,
    "respondents": lambda results, check: _shown(results.respondents(check.get("tier"))),
    "base": lambda results, check: _shown(results.base(check["question"], check.get("tier"))),
    "count": lambda results, check: _shown(results.count(check["question"], check["choices"], check.get("tier"))),
    "distinct": lambda results, check: _shown(results.distinct(check["question"])),
    "field_month": _field_month,
}

LAYOUT = {"pages": _shown}  # measures of the rendered PDF, checked by the render job as it writes it: pages -> (value, computed)

ANSWERS = {"top", "comparison"}  # measures whose published value is an answer, not a number: bounds do not apply
BOUNDS = {"above": ">", "below": "<", "at_least": ">="}


def _holds(value, check: dict, bound: str | None) -> bool:
    """Whether the computed ``value`` is the published one (as rounded for publishing), or within its bound;
    an undefined value (None) never holds."""
    if value is None:
        return False
    if bound:
        exact, limit = Fraction(value), Fraction(str(check[bound]))
        return {"above": exact > limit, "below": exact < limit, "at_least": exact >= limit}[bound]
    if isinstance(value, Fraction):
        return round_half_up(value, _decimals(check)) == Decimal(str(check["expect"]))
    if isinstance(value, frozenset):
        return value == frozenset(check["expect"])
    return value == check["expect"]


def evaluate_check(results: Results | None, check: dict, pages: int | None = None) -> tuple[str, str, bool]:
    """(expected, computed, holds) for one check of a published figure."""
    measure = check["measure"]
    if measure in LAYOUT:
        value, computed = LAYOUT[measure](pages)
    elif measure in MEASURES:
        value, computed = MEASURES[measure](results, check)
    else:
        raise SurveyError(f"unknown measure {measure!r} in a published-figure check")
    bound = None if measure in ANSWERS else next((key for key in BOUNDS if key in check), None)
    if bound:
        expected = f"{BOUNDS[bound]} {check[bound]}"
    elif measure == "top":
        expected = ", ".join(check["expect"])
    else:
        expected = str(check.get("expect"))
    return expected, computed, _holds(value, check, bound)


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
    """Every claim of every finding (or practice, exhibit headline, template sentence: ``kind``) that the computed
    results do not support, with its numbers."""
    failures = []
    for item in items:
        for claim in item.get("claims", []):
            expected, computed, holds = evaluate_check(results, claim)
            if not holds:
                failures.append(f"{kind} {item['id']!r}: {_describe(claim)} should be {expected}, computed {computed}")
    return failures


def verification_markdown(checks: list[CheckResult], figures: list[dict]) -> str:
    """verification.md: each published figure's checks, computed and whether they hold."""
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
