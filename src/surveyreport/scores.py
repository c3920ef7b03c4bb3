"""Scores per banner column: means (numbers, a matrix's scale, ranks) and net promoter scores, with their tests.

One row per scored question (each statement of a grid apart) x banner column x statistic:
the respondents it is taken over (``n``), the value, its standard deviation and median, its
interval, the letters of the tiers it is significantly higher than, those it was not compared
with and why, and the base flag, as the crosstab gives them for shares. Tiers are compared
pair by pair by Welch's t-test (means) or a z-test of two independent NPS (see ``nps``), and
the p-values adjusted by ``statistics.correction`` within ``statistics.family`` as the shares'
are (one family per answer, per question or over all the scores; the scores' families are
their own, apart from the shares').

Where the respondents carry weights (a ``weight`` column), every score is weighted and its
interval and tests use Kish's effective base n_e = (sum w)^2 / sum w^2 in place of n, as the
crosstab's shares do (SPSS's and Q's effective base): the weighted mean m = sum w x / sum w;
the standard deviation sqrt(n_e / (n_e - 1) * sum w (x - m)^2 / sum w), which is the usual one
(ddof 1) when every weight is 1; Student's t interval m +- t(n_e - 1) sd / sqrt(n_e); the
weighted median (the answer at which the weights reach half their sum; midway between two
answers where they reach it exactly); the NPS of the weighted shares of promoters and
detractors with its standard error on n_e; Welch's test of two means on the effective bases
(``scipy.stats.ttest_ind_from_stats``). ``n`` stays the unweighted count, which the base
flags and the minimum base for a test use, and ``EFFECTIVE_BASE`` follows ``COLUMNS``.
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
from .crosstab import COLUMNS as CROSSTAB_COLUMNS
from .stats import NO_VARIATION, SMALL_BASE, adjusted_p, column_letters
from .tidy import TIER
from .weights import WEIGHT, effective_base

MEAN, NPS = "mean", "nps"
COLUMNS = ["question", "type", "statistic", "column", "n", "value", "sd", "median"]
COLUMNS += CROSSTAB_COLUMNS[CROSSTAB_COLUMNS.index("ci_low") :]  # the interval, letters and flags as the crosstab has them
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


EFFECTIVE_BASE = "effective_base"  # after COLUMNS where the respondents are weighted
# After PAIR_COLUMNS where the respondents are weighted: the effective bases tested.
WEIGHTED_PAIR_COLUMNS = ["effective_base_a", "effective_base_b"]


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


def weights_of(question: Question, group: pd.DataFrame) -> np.ndarray:
    """The weights of the respondents ``values`` takes numbers from, in the same order."""
    column = group[question.id]
    kept = column.notna() if question.numeric else column.astype(object).map(question.scale_values()).notna()
    return group.loc[kept.to_numpy(dtype=bool), WEIGHT].to_numpy(dtype=float)


def weighted_median(numbers: np.ndarray, w: np.ndarray) -> float:
    """The answer at which the sorted answers' weights reach half their sum; midway to the next
    answer where they reach it exactly (with equal weights, the usual median)."""
    order = np.argsort(numbers, kind="stable")
    x, cumulative = numbers[order], np.cumsum(w[order])
    half = cumulative[-1] / 2
    i = int(np.searchsorted(cumulative, half))
    if math.isclose(cumulative[i], half, rel_tol=1e-12) and i + 1 < len(x):
        return float((x[i] + x[i + 1]) / 2)
    return float(x[i])


def nps(scores: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Net promoter score, in points, and its standard error, of 0-10 scores.

    NPS = 100 (p_P - p_D), with p_P the share of promoters (9-10) and p_D of detractors (0-6).
    Each answer scores +1, 0 or -1, so the NPS / 100 is their mean, with variance
    Var = (p_P + p_D - (p_P - p_D)^2) / n and standard error 100 sqrt(Var). With weights ``w``
    the shares are weighted and n is the effective base.
    """
    n = len(scores)
    if n == 0:
        return float("nan"), float("nan")
    if w is None:
        promoters, detractors = float(np.mean(scores >= 9)), float(np.mean(scores <= 6))
    else:
        promoters, detractors = float(w[scores >= 9].sum() / w.sum()), float(w[scores <= 6].sum() / w.sum())
        n = effective_base(w)
    variance = (promoters + detractors - (promoters - detractors) ** 2) / n
    return 100 * (promoters - detractors), 100 * math.sqrt(max(variance, 0.0))


def weighted_moments(numbers: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """(weighted mean, standard deviation on the effective base, effective base) of one column's numbers."""
    mean = float(np.average(numbers, weights=w))
    n_e = effective_base(w)
    spread = float(np.average((numbers - mean) ** 2, weights=w))
    sd = math.sqrt(n_e / (n_e - 1) * spread) if n_e > 1 else float("nan")
    return mean, sd, n_e


def summary(question: Question, numbers: np.ndarray, confidence: float, w: np.ndarray | None = None) -> dict:
    """n, value, sd, median and interval of one banner column's numbers (weighted, with ``w``, and
    with their effective base: see the module's docstring).

    A mean's interval is Student's t interval (mean +- t sd / sqrt(n)); an NPS's the normal
    interval of ``nps``'s standard error, within -100..100.
    """
    from scipy.stats import t as student

    n = len(numbers)
    nan = float("nan")
    row = {"n": n, "value": nan, "sd": nan, "median": nan, "ci_low": nan, "ci_high": nan}
    if w is not None:
        return {**row, **_weighted_summary(question, numbers, w, confidence)} if n else {**row, EFFECTIVE_BASE: 0.0}
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


def _weighted_summary(question: Question, numbers: np.ndarray, w: np.ndarray, confidence: float) -> dict:
    """value, sd, median, interval and effective base of one banner column's weighted numbers (some at least)."""
    from scipy.stats import t as student

    nan = float("nan")
    n_e = effective_base(w)
    row = {"median": weighted_median(numbers, w), EFFECTIVE_BASE: n_e}
    if statistic_of(question) == NPS:
        score, se = nps(numbers, w)
        z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
        return {**row, "value": score, "sd": se * math.sqrt(n_e), "ci_low": max(-100.0, score - z * se),
                "ci_high": min(100.0, score + z * se)}  # fmt: skip
    mean, sd, _ = weighted_moments(numbers, w)
    if n_e <= 1:
        return {**row, "value": mean, "sd": nan, "ci_low": nan, "ci_high": nan}
    half = float(student.ppf(1 - (1 - confidence) / 2, n_e - 1)) * sd / math.sqrt(n_e)
    return {**row, "value": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def untestable_scores(a: np.ndarray, b: np.ndarray, min_base: int) -> str:
    """Why two columns' scores cannot be compared, or "": a base under ``min_base`` (or under 2),
    or both columns without any spread (every answer the same: no variance to test with)."""
    if min(len(a), len(b)) < max(min_base, 2):
        return SMALL_BASE
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return NO_VARIATION
    return ""


def score_test(
    statistic: str, a: np.ndarray, b: np.ndarray, wa: np.ndarray | None = None, wb: np.ndarray | None = None
) -> tuple[str, float, float, float]:
    """(test, t or z, degrees of freedom, two-sided p) of two columns' scores (weighted, with ``wa`` and ``wb``).

    Means: Welch's t-test (``scipy.stats.ttest_ind(equal_var=False)``; weighted,
    ``ttest_ind_from_stats`` of the weighted means and standard deviations on the effective
    bases). NPS: the z-test of the difference of two independent scores,
    (NPS_a - NPS_b) / sqrt(se_a^2 + se_b^2).
    """
    from scipy.stats import ttest_ind, ttest_ind_from_stats

    if statistic == NPS:
        (sa, ea), (sb, eb) = nps(a, wa), nps(b, wb)
        se = math.hypot(ea, eb)
        if se == 0:
            return "z", float("nan"), float("nan"), 1.0 if sa == sb else 0.0
        z = (sa - sb) / se
        return "z", z, float("nan"), 2 * (1 - NormalDist().cdf(abs(z)))
    with warnings.catch_warnings():  # one column without spread: scipy warns of precision, the statistic is still exact
        warnings.simplefilter("ignore", RuntimeWarning)
        if wa is None:
            result = ttest_ind(a, b, equal_var=False)
            return "welch", float(result.statistic), float(result.df), float(result.pvalue)
        (ma, sa, na), (mb, sb, nb) = weighted_moments(a, wa), weighted_moments(b, wb)
        result = ttest_ind_from_stats(ma, sa, na, mb, sb, nb, equal_var=False)
    va, vb = sa**2 / na, sb**2 / nb  # Welch-Satterthwaite degrees of freedom, which scipy uses and does not return here
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1)) if va + vb else float("nan")
    return "welch", float(result.statistic), float(df), float(result.pvalue)


def scores(respondents: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scores table and its pairwise tests (every pair of tiers on every score); weighted where the
    respondents have a ``weight`` column (then ``EFFECTIVE_BASE`` and ``WEIGHTED_PAIR_COLUMNS`` follow)."""
    weighted = WEIGHT in respondents
    # the banner's columns hold the scored questions alone: the crosstab's other questions are not copied for them
    read = [question.id for question in codebook.scored] + [c for c in (TIER, WEIGHT) if c in respondents]
    columns = banner(respondents[list(dict.fromkeys(read))], tiers["levels"])
    tier_ids = [level["id"] for level in tiers["levels"]]
    letters = dict(zip(tier_ids, column_letters(len(tier_ids))))
    family_of = FAMILIES[settings["family"]]
    rows, pairs = [], []
    for question in codebook.scored:
        statistic = statistic_of(question)
        numbers = {column: values(question, group) for column, group in columns}
        w = {column: weights_of(question, group) if weighted else None for column, group in columns}
        summaries = {column: summary(question, numbers[column], settings["confidence"], w[column]) for column, _ in columns}
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
            if weighted and not why and min(summaries[a][EFFECTIVE_BASE], summaries[b][EFFECTIVE_BASE]) < 2:
                why = SMALL_BASE  # weights so uneven that a column's effective base leaves no spread to test with
            test, t, df, p = (
                ("", float("nan"), float("nan"), float("nan"))
                if why
                else score_test(statistic, numbers[a], numbers[b], w[a], w[b])
            )
            value_a, value_b = summaries[a]["value"], summaries[b]["value"]
            pairs.append(
                [question.id, statistic, family_of(question.id, statistic), letters[a], a, len(numbers[a]), value_a,
                 letters[b], b, len(numbers[b]), value_b, why, test, t, df, p]
                + ([summaries[a][EFFECTIVE_BASE], summaries[b][EFFECTIVE_BASE]] if weighted else [])
            )  # fmt: skip
    extra, extra_pairs = ([EFFECTIVE_BASE], WEIGHTED_PAIR_COLUMNS) if weighted else ([], [])
    table = pd.DataFrame(rows, columns=COLUMNS[: COLUMNS.index("ci_high") + 1] + extra)
    tests = pd.DataFrame(pairs, columns=PAIR_COLUMNS[: PAIR_COLUMNS.index("p") + 1] + extra_pairs)
    tests["p_adjusted"] = float("nan")
    for _, members in tests[tests["test"] != ""].groupby("family", sort=False):
        tests.loc[members.index, "p_adjusted"] = adjusted_p(members["p"].tolist(), settings["correction"])
    significant = tests["p_adjusted"] <= settings["alpha"]
    a_higher = tests["value_a"] > tests["value_b"]
    tests["higher"] = ""
    tests.loc[significant & a_higher, "higher"] = tests["letter_a"]
    tests.loc[significant & ~a_higher, "higher"] = tests["letter_b"]
    return _marked(table, tests, letters, settings)[COLUMNS + extra], tests[PAIR_COLUMNS + extra_pairs]


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
    return table
