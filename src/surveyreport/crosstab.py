"""Cross-tabulation: every closed question by tier and total, as a tidy table.

One row per question x column (total or a tier) x answer: the count, the base
it is a share of, the column percentage with its Wilson interval, the letters of
the tiers it is significantly higher than, and a flag for small bases.
Single-choice bases leave out non-substantive answers ("Don't know"), which get
rows of their own; multi-select bases are the respondents who answered the
question (ticked anything).
"""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook, Question
from .stats import chi_square, column_letters, higher_than, wilson
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
    "ci_low",
    "ci_high",
    "letter",
    "higher_than",
    "flag",
]
NOT_TESTED, CAUTION = "not tested", "caution"


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


def add_statistics(table: pd.DataFrame, tier_ids: list[str], settings: dict) -> pd.DataFrame:
    """Wilson intervals, column letters, significance letters and base flags."""
    table = table.copy()
    shares = table["kind"] != NO_ANSWER
    intervals = [
        wilson(count, base, settings["confidence"]) if share else (float("nan"), float("nan"))
        for count, base, share in zip(table["count"], table["base"], shares)
    ]
    table["ci_low"] = [100 * low for low, _ in intervals]
    table["ci_high"] = [100 * high for _, high in intervals]
    letters = dict(zip(tier_ids, column_letters(len(tier_ids))))
    table["letter"] = table["column"].map(letters).fillna("")
    table["flag"] = ""
    table.loc[shares & (table["base"] < settings["caution_base"]), "flag"] = CAUTION
    table.loc[shares & (table["base"] < settings["min_base"]), "flag"] = NOT_TESTED
    table["higher_than"] = ""
    tiers = table[(table["kind"] == CHOICE) & table["column"].isin(tier_ids)]
    for _, row in tiers.groupby(["question", "choice"], sort=False):
        row = row.reset_index().set_index("column").loc[tier_ids]
        marks = higher_than(
            list(zip(row["count"], row["base"])), settings["min_base"], settings["alpha"], settings["correction"]
        )
        table.loc[row["index"], "higher_than"] = marks
    return table


def crosstab(respondents: pd.DataFrame, codebook: Codebook, tier_levels: list[dict], settings: dict) -> pd.DataFrame:
    """Every closed question by total and tier, with its statistics."""
    columns = banner(respondents, tier_levels)
    rows = [
        row for question in codebook.closed for column, group in columns for row in question_rows(question, column, group)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS[: COLUMNS.index("pct") + 1])
    return add_statistics(table, [level["id"] for level in tier_levels], settings)[COLUMNS]


def chi_square_tests(table: pd.DataFrame, codebook: Codebook, tiers: dict) -> pd.DataFrame:
    """A chi-square test of independence of tier and answer, per single-choice question.

    The question that defines the tiers is left out: it depends on them by construction.
    """
    tier_ids = [level["id"] for level in tiers["levels"]]
    rows = []
    for question in codebook.closed:
        if question.multi or question.id == tiers["question"]:
            continue
        mine = table[(table["question"] == question.id) & (table["kind"] == CHOICE) & table["column"].isin(tier_ids)]
        counts = mine.pivot(index="choice", columns="column", values="count")[tier_ids]
        rows.append({"question": question.id, **chi_square(counts)})
    return pd.DataFrame(rows, columns=["question", "chi2", "df", "p", "n", "low_expected"])
