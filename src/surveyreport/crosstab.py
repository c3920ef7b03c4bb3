"""Cross-tabulation: every closed question by tier and total, as a tidy table.

One row per question x column (total or a tier) x answer: the count, the base
it is a share of, the column percentage with its Wilson interval, the letters of
the tiers it is significantly higher than, the letters of those it could not be
compared with (and why), and a flag for small bases.
Single-choice bases leave out non-substantive answers ("Don't know"), which get
rows of their own; multi-select bases are the respondents who answered the
question (ticked anything).
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from .codebook import NET, Codebook, Question
from .stats import adjusted_p, chi_square, column_letters, pair_test, untestable, wilson
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
    "not_tested",
    "not_tested_why",
    "flag",
]
NOT_TESTED, CAUTION = "not tested", "caution"
# The tests whose p-values are adjusted together: one answer's, one question's, all of them.
FAMILIES = {"row": lambda q, c: f"{q}:{c}", "table": lambda q, c: q, "report": lambda q, c: "report"}
# Why a pair of tier cells is not compared, besides stats.SMALL_BASE and stats.NO_VARIATION.
TIER_QUESTION, NOT_SUBSTANTIVE = "tier_question", "nonsubstantive"
PAIR_COLUMNS = [
    "question",
    "choice",
    "family",
    "letter_a",
    "column_a",
    "count_a",
    "base_a",
    "letter_b",
    "column_b",
    "count_b",
    "base_b",
    "not_tested",
    "test",
    "z",
    "p",
    "p_adjusted",
    "higher",
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
        base_of = dict.fromkeys((c.id for c in question.choices), n if question.base == "respondents" else answered)
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


def pairwise_tests(table: pd.DataFrame, tiers: dict, settings: dict) -> pd.DataFrame:
    """Every pair of tiers on every answer: the test (z or Fisher), its raw and adjusted p-value,
    the letter of the significantly higher tier, or why the pair is not tested (the question that
    defines the tiers, ``tiers["question"]``, is not: comparing tiers there tests the tier rule).

    The p-values are adjusted by ``statistics.correction`` together within a family
    (``statistics.family``): one answer's pairs, one question's, or all of them.
    """
    tier_ids = [level["id"] for level in tiers["levels"]]
    letters = dict(zip(tier_ids, column_letters(len(tier_ids))))
    family_of = FAMILIES[settings["family"]]
    cells = table[table["kind"].isin([CHOICE, NONSUBSTANTIVE]) & table["column"].isin(tier_ids)]
    keys = list(zip(cells["question"], cells["choice"], cells["column"]))
    numbers = dict(zip(keys, zip(cells["count"].astype(int), cells["base"].astype(int))))
    kinds = {(q, c): kind for (q, c, _), kind in zip(keys, cells["kind"])}
    pairs = []
    for (question, choice), kind in kinds.items():
        always = TIER_QUESTION if question == tiers["question"] else NOT_SUBSTANTIVE if kind == NONSUBSTANTIVE else ""
        for a, b in combinations(tier_ids, 2):
            (xa, na), (xb, nb) = numbers[(question, choice, a)], numbers[(question, choice, b)]
            why = always or untestable(xa, na, xb, nb, settings["min_base"])
            test, z, p = ("", float("nan"), float("nan")) if why else pair_test(xa, na, xb, nb)
            pairs.append(
                [question, choice, family_of(question, choice), letters[a], a, xa, na, letters[b], b, xb, nb, why, test, z, p]
            )
    frame = pd.DataFrame(pairs, columns=PAIR_COLUMNS[:-2])
    frame["p_adjusted"] = float("nan")
    for _, members in frame[frame["test"] != ""].groupby("family", sort=False):
        frame.loc[members.index, "p_adjusted"] = adjusted_p(members["p"].tolist(), settings["correction"])
    significant = frame["p_adjusted"] <= settings["alpha"]
    a_higher = frame["count_a"] * frame["base_b"] > frame["count_b"] * frame["base_a"]
    frame["higher"] = ""
    frame.loc[significant & a_higher, "higher"] = frame["letter_a"]
    frame.loc[significant & ~a_higher, "higher"] = frame["letter_b"]
    return frame


def add_statistics(table: pd.DataFrame, tiers: dict, settings: dict) -> pd.DataFrame:
    """Wilson intervals, column letters, significance letters, untested pairs and base flags."""
    table = table.copy()
    shares = table["kind"] != NO_ANSWER
    intervals = [
        wilson(count, base, settings["confidence"]) if share else (float("nan"), float("nan"))
        for count, base, share in zip(table["count"], table["base"], shares)
    ]
    table["ci_low"] = [100 * low for low, _ in intervals]
    table["ci_high"] = [100 * high for _, high in intervals]
    tier_ids = [level["id"] for level in tiers["levels"]]
    letters = dict(zip(tier_ids, column_letters(len(tier_ids))))
    table["letter"] = table["column"].map(letters).fillna("")
    table["flag"] = ""
    table.loc[shares & (table["base"] < settings["caution_base"]), "flag"] = CAUTION
    table.loc[shares & (table["base"] < settings["min_base"]), "flag"] = NOT_TESTED
    higher, untested = {}, {}  # (question, choice, letter) -> other letters
    for pair in pairwise_tests(table, tiers, settings).itertuples():
        for mine, other in ((pair.letter_a, pair.letter_b), (pair.letter_b, pair.letter_a)):
            key = (pair.question, pair.choice, mine)
            if pair.not_tested:
                untested.setdefault(key, []).append((other, pair.not_tested))
            elif pair.higher == mine:
                higher.setdefault(key, []).append(other)
    keys = list(zip(table["question"], table["choice"], table["letter"]))
    table["higher_than"] = ["".join(sorted(higher.get(key, []))) for key in keys]
    table["not_tested"] = ["".join(letter for letter, _ in sorted(untested.get(key, []))) for key in keys]
    table["not_tested_why"] = [" ".join(f"{letter}={why}" for letter, why in sorted(untested.get(key, []))) for key in keys]
    return table


def crosstab(respondents: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict) -> pd.DataFrame:
    """Every closed question by total and tier (the configuration's ``tiers``), with its statistics."""
    from .grids import with_nets

    columns = banner(respondents, tiers["levels"])
    rows = [
        row
        for question in codebook.tabulated
        for column, group in columns
        for row in with_nets(question, question_rows(question, column, group))
    ]
    table = pd.DataFrame(rows, columns=COLUMNS[: COLUMNS.index("pct") + 1])
    return add_statistics(table, tiers, settings)[COLUMNS]


def chi_square_tests(table: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict) -> pd.DataFrame:
    """A chi-square test of independence of tier and answer, per single-choice question.

    The question that defines the tiers is left out: it depends on them by construction.
    Where Cochran's rule fails, the p-value is a Monte Carlo one (``stats.chi_square``) of
    ``statistics.chi_square_simulations`` tables.
    """
    simulations = settings["chi_square_simulations"]
    tier_ids = [level["id"] for level in tiers["levels"]]
    rows = []
    for question in codebook.tabulated:
        if question.multi or question.id == tiers["question"]:
            continue
        answers = (table["kind"] == CHOICE) & ~table["choice"].str.startswith(NET)  # a net adds up answers already counted
        mine = table[(table["question"] == question.id) & answers & table["column"].isin(tier_ids)]
        counts = mine.pivot(index="choice", columns="column", values="count")[tier_ids]
        rows.append({"question": question.id, **chi_square(counts, simulations)})
    columns = [
        "question",
        "chi2",
        "df",
        "n",
        "low_expected",
        "min_expected",
        "cochran",
        "p_asymptotic",
        "p",
        "p_method",
        "simulations",
    ]
    return pd.DataFrame(rows, columns=columns)
