"""Scores per banner column: means (numbers, a matrix's scale, ranks) and net promoter scores, with their tests.

One row per scored question (each statement of a grid apart) x banner column x statistic:
the respondents it is taken over (``n``), the value, its standard deviation and median, its
interval, the letters of the tiers it is significantly higher than, those it was not compared
with and why, and the base flag, as the crosstab gives them for shares. Tiers are compared
pair by pair by Welch's t-test (means) or a z-test of two independent NPS (see ``nps``), and
the p-values adjusted by ``statistics.correction`` within ``statistics.family`` as the shares'
are (one family per answer, per question or over all the scores; the scores' families are
their own, apart from the shares').
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations
from statistics import NormalDist

import numpy as np
import pandas as pd

from .codebook import Codebook, Question
from .crosstab import CAUTION, FAMILIES, NOT_TESTED, TIER_QUESTION, banner
from .stats import NO_VARIATION, SMALL_BASE, adjusted_p, column_letters

MEAN, NPS = "mean", "nps"
COLUMNS = [
    "question",
    "type",
    "statistic",
    "column",
    "n",
    "value",
    "sd",
    "median",
    "ci_low",
    "ci_high",
    "letter",
    "higher_than",
    "not_tested",
    "not_tested_why",
    "flag",
]
PAIR_COLUMNS = [
    "question",
    "statistic",
    "family",
    "letter_a",
    "column_a",
    "n_a",
    "value_a",
    "letter_b",
    "column_b",
    "n_b",
    "value_b",
    "not_tested",
    "test",
    "t",
    "df",
    "p",
    "p_adjusted",
    "higher",
]


def statistic_of(question: Question) -> str:
    return NPS if question.type == "nps" else MEAN


def values(question: Question, group: pd.DataFrame) -> np.ndarray:
    """The numbers a question's score is taken of in one banner column: numeric answers, or the codes
    of the substantive choices (a scale's values, a rank, a 0-10 score); non-substantive answers
    ("don't know") and no answer are left out."""
    column = group[question.id]
    if question.numeric:
        return column.dropna().to_numpy(dtype=float)
    return column.astype(object).map(question.scale_values()).dropna().to_numpy(dtype=float)


def nps(scores: np.ndarray) -> tuple[float, float]:
    """Net promoter score, in points, and its standard error, of 0-10 scores.

    NPS = 100 (p_P - p_D), with p_P the share of promoters (9-10) and p_D of detractors (0-6).
    Each answer scores +1, 0 or -1, so the NPS / 100 is their mean, with variance
    Var = (p_P + p_D - (p_P - p_D)^2) / n and standard error 100 sqrt(Var).
    """
    n = len(scores)
    if n == 0:
        return float("nan"), float("nan")
    promoters, detractors = float(np.mean(scores >= 9)), float(np.mean(scores <= 6))
    variance = (promoters + detractors - (promoters - detractors) ** 2) / n
    return 100 * (promoters - detractors), 100 * math.sqrt(max(variance, 0.0))


def summary(question: Question, numbers: np.ndarray, confidence: float) -> dict:
    """n, value, sd, median and interval of one banner column's numbers.

    A mean's interval is Student's t interval (mean +- t sd / sqrt(n)); an NPS's the normal
    interval of ``nps``'s standard error, within -100..100.
    """
    from scipy.stats import t as student

    n = len(numbers)
    nan = float("nan")
    row = {"n": n, "value": nan, "sd": nan, "median": nan, "ci_low": nan, "ci_high": nan}
    if n == 0:
        return row
    row["median"] = float(np.median(numbers))
    if statistic_of(question) == NPS:
        score, se = nps(numbers)
        z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
        row.update(value=score, sd=se * math.sqrt(n), ci_low=max(-100.0, score - z * se), ci_high=min(100.0, score + z * se))
        return row
    mean = float(np.mean(numbers))
    row["value"] = mean
    if n > 1:
        sd = float(np.std(numbers, ddof=1))
        half = float(student.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
        row.update(sd=sd, ci_low=mean - half, ci_high=mean + half)
    return row


def untestable_scores(a: np.ndarray, b: np.ndarray, min_base: int) -> str:
    """Why two columns' scores cannot be compared, or "": a base under ``min_base`` (or under 2),
    or both columns without any spread (every answer the same: no variance to test with)."""
    if min(len(a), len(b)) < max(min_base, 2):
        return SMALL_BASE
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return NO_VARIATION
    return ""


def score_test(statistic: str, a: np.ndarray, b: np.ndarray) -> tuple[str, float, float, float]:
    """(test, t or z, degrees of freedom, two-sided p) of two columns' scores.

    Means: Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``). NPS: the z-test of the
    difference of two independent scores, (NPS_a - NPS_b) / sqrt(se_a^2 + se_b^2).
    """
    from scipy.stats import ttest_ind

    if statistic == NPS:
        (sa, ea), (sb, eb) = nps(a), nps(b)
        se = math.hypot(ea, eb)
        if se == 0:
            return "z", float("nan"), float("nan"), 1.0 if sa == sb else 0.0
        z = (sa - sb) / se
        return "z", z, float("nan"), 2 * (1 - NormalDist().cdf(abs(z)))
    with warnings.catch_warnings():  # one column without spread: scipy warns of precision, the statistic is still exact
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ttest_ind(a, b, equal_var=False)
    return "welch", float(result.statistic), float(result.df), float(result.pvalue)


def scores(respondents: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scores table and its pairwise tests (every pair of tiers on every score)."""
    columns = banner(respondents, tiers["levels"])
    tier_ids = [level["id"] for level in tiers["levels"]]
    letters = dict(zip(tier_ids, column_letters(len(tier_ids))))
    family_of = FAMILIES[settings["family"]]
    rows, pairs = [], []
    for question in codebook.scored:
        statistic = statistic_of(question)
        numbers = {column: values(question, group) for column, group in columns}
        summaries = {column: summary(question, numbers[column], settings["confidence"]) for column, _ in columns}
        for column, _ in columns:
            rows.append(
                {"question": question.id, "type": question.type, "statistic": statistic, "column": column, **summaries[column]}
            )
        for a, b in combinations(tier_ids, 2):
            why = (
                TIER_QUESTION
                if question.id == tiers["question"]
                else untestable_scores(numbers[a], numbers[b], settings["min_base"])
            )
            test, t, df, p = (
                ("", float("nan"), float("nan"), float("nan")) if why else score_test(statistic, numbers[a], numbers[b])
            )
            value_a, value_b = summaries[a]["value"], summaries[b]["value"]
            pairs.append(
                [question.id, statistic, family_of(question.id, statistic), letters[a], a, len(numbers[a]), value_a,
                 letters[b], b, len(numbers[b]), value_b, why, test, t, df, p]
            )  # fmt: skip
    table = pd.DataFrame(rows, columns=COLUMNS[: COLUMNS.index("ci_high") + 1])
    tests = pd.DataFrame(pairs, columns=PAIR_COLUMNS[: PAIR_COLUMNS.index("p") + 1])
    tests["p_adjusted"] = float("nan")
    for _, members in tests[tests["test"] != ""].groupby("family", sort=False):
        tests.loc[members.index, "p_adjusted"] = adjusted_p(members["p"].tolist(), settings["correction"])
    significant = tests["p_adjusted"] <= settings["alpha"]
    a_higher = tests["value_a"] > tests["value_b"]
    tests["higher"] = ""
    tests.loc[significant & a_higher, "higher"] = tests["letter_a"]
    tests.loc[significant & ~a_higher, "higher"] = tests["letter_b"]
    return _marked(table, tests, letters, settings), tests[PAIR_COLUMNS]


def _marked(table: pd.DataFrame, tests: pd.DataFrame, letters: dict, settings: dict) -> pd.DataFrame:
    """The scores with their column letters, the letters they are higher than, untested pairs and base flags."""
    table = table.copy()
    table["letter"] = table["column"].map(letters).fillna("")
    higher, untested = {}, {}
    for pair in tests.itertuples():
        for mine, other in ((pair.letter_a, pair.letter_b), (pair.letter_b, pair.letter_a)):
            key = (pair.question, mine)
            if pair.not_tested:
                untested.setdefault(key, []).append((other, pair.not_tested))
            elif pair.higher == mine:
                higher.setdefault(key, []).append(other)
    keys = list(zip(table["question"], table["letter"]))
    table["higher_than"] = ["".join(sorted(higher.get(key, []))) for key in keys]
    table["not_tested"] = ["".join(letter for letter, _ in sorted(untested.get(key, []))) for key in keys]
    table["not_tested_why"] = [" ".join(f"{letter}={why}" for letter, why in sorted(untested.get(key, []))) for key in keys]
    table["flag"] = ""
    table.loc[table["n"] < settings["caution_base"], "flag"] = CAUTION
    table.loc[table["n"] < settings["min_base"], "flag"] = NOT_TESTED
    return table[COLUMNS]
