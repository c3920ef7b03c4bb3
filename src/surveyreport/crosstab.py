"""Cross-tabulation: every closed question by tier and total, as a tidy table.

One row per question x column (total or a tier) x answer: the count, the base
it is a share of, and the column percentage. Single-choice bases leave out
non-substantive answers ("Don't know"), which get rows of their own; multi-select
bases are the respondents who answered the question (ticked anything).
"""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook, Question
from .tidy import TIER

TOTAL = "total"
CHOICE, NONSUBSTANTIVE, NO_ANSWER = "choice", "nonsubstantive", "no_answer"
COLUMNS = [
    "question",
    "type",
    "column",
    "choice",
    "choice_label",
    "kind",
    "count",
    "base",
    "respondents",
    "pct",
]


def banner(respondents: pd.DataFrame, tier_levels: list[dict]) -> list[tuple[str, pd.DataFrame]]:
    """The crosstab's columns: the total, then each tier in configured order."""
    columns = [(TOTAL, respondents)]
    columns += [(level["id"], respondents[respondents[TIER] == level["id"]]) for level in tier_levels]
    return columns


def question_rows(question: Question, column: str, group: pd.DataFrame) -> list[dict]:
    """Counts, base and column % of one question within one banner column."""
    rows = []
    n = len(group)
    if question.multi:
        ticks = group[[question.choice_column(c) for c in question.choices]]
        answered = int(ticks.notna().all(axis=1).sum())
        counts = [(c, int(ticks[question.choice_column(c)].fillna(False).sum())) for c in question.choices]
        base_of = dict.fromkeys((c.id for c in question.choices), answered)
    else:
        values = group[question.id]
        answered = int(values.notna().sum())
        counts = [(c, int((values == c.id).sum())) for c in question.choices]
        substantive = sum(k for c, k in counts if not c.nonsubstantive)
        base_of = {c.id: (answered if c.nonsubstantive else substantive) for c in question.choices}
    for choice, count in counts:
        base = base_of[choice.id]
        rows.append(
            {
                "choice": choice.id,
                "choice_label": choice.label,
                "kind": NONSUBSTANTIVE if choice.nonsubstantive else CHOICE,
                "count": count,
                "base": base,
            }
        )
    rows.append({"choice": NO_ANSWER, "choice_label": "No answer", "kind": NO_ANSWER, "count": n - answered, "base": n})
    for row in rows:
        row.update(question=question.id, type=question.type, column=column, respondents=n)
        row["pct"] = 100 * row["count"] / row["base"] if row["base"] else float("nan")
    return rows


def crosstab(respondents: pd.DataFrame, codebook: Codebook, tier_levels: list[dict]) -> pd.DataFrame:
    """Every closed question by total and tier."""
    rows = [
        row
        for question in codebook.closed
        for column, group in banner(respondents, tier_levels)
        for row in question_rows(question, column, group)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
