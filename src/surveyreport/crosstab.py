"""Cross-tabulation: every closed question by tier and total, as a tidy table.

One row per question x column (total or a tier) x answer: the count, the base
it is a share of, the column percentage with its Wilson interval, the letters of
the tiers it is significantly higher than, the letters of those it could not be
compared with (and why), and a flag for small bases.
Single-choice bases leave out non-substantive answers ("Don't know"), which get
rows of their own; multi-select bases are the respondents who answered the
question (ticked anything).

Where the respondents carry weights (a ``weight`` column, ``weights.py``), ``pct`` is the
weighted share, ``count``, ``base`` and ``respondents`` stay unweighted, and four columns
follow ``COLUMNS`` (``WEIGHTED_COLUMNS``): the weighted count and base, the effective base
(Kish: (sum w)^2 / sum w^2 over the base) and the standard error of the share, linearized
with the weights as given (R's ``svymean`` on ``svydesign(ids=~1, weights=~weight)``).
Intervals and tests then use the share on the effective base, as SPSS and Q do.

Banners (the configuration's ``banners``, columns completed by ``tiers.banner_columns``) add
blocks of columns after the tiers, one per banner, ids ``<banner>:<column>``. Column letters
continue across blocks (tiers A, B, C, then the first banner D, E, ..., as SPSS and Q letter
them); columns are tested only against the other columns of their block, their p-values
adjusted within the block. A banner with ``compare_total`` also tests each column against the
rest of the sample (the part-whole comparison: the column's respondents against everyone
else, independent samples), adjusted over that block's comparisons with the total; the result
is ``vs_total``: higher, lower, empty (not significant) or "not tested". With banners the table
has a ``banner`` column (``total``, ``tiers`` or the banner's id) and ``vs_total`` (``BANNER_COLUMNS``).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .codebook import NET, Codebook, Question
from .stats import adjusted_p, chi_square, column_letters, pair_test, untestable, wilson
from .tidy import TIER
from .weights import WEIGHT

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
# After COLUMNS (and WEIGHTED_COLUMNS) where banners are configured: the block of the column, the test against the total.
BANNER_COLUMNS = ["banner", "vs_total"]
TIERS, REST = "tiers", "~rest"  # the tiers' block; the suffix of a column's complement (the rest of the sample)
# After COLUMNS where the respondents are weighted; an unweighted crosstab has none of them.
WEIGHTED_COLUMNS = ["weighted_count", "weighted_base", "effective_base", "se"]
NOT_TESTED, CAUTION = "not tested", "caution"
# The tests whose p-values are adjusted together: one answer's, one question's, all of them.
FAMILIES = {"row": lambda q, c: f"{q}:{c}", "table": lambda q, c: q, "report": lambda q, c: "report"}
# Why a pair of tier cells is not compared, besides stats.SMALL_BASE and stats.NO_VARIATION.
TIER_QUESTION, NOT_SUBSTANTIVE = "tier_question", "nonsubstantive"
# Why a pair of banner columns is not compared: the banner's own question; columns sharing respondents (a net and its part).
BANNER_QUESTION, OVERLAP = "banner_question", "overlap"
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
# After PAIR_COLUMNS where the crosstab is weighted: the shares (%) and effective bases tested.
WEIGHTED_PAIR_COLUMNS = ["pct_a", "effective_base_a", "pct_b", "effective_base_b"]
# The text columns of the pairs (``pairwise.csv``): an untested pair has an empty ``test`` and its reason in ``not_tested``.
PAIR_TEXT = ["question", "choice", "family", "letter_a", "column_a", "letter_b", "column_b", "not_tested", "test", "higher"]


def banner(respondents: pd.DataFrame, tier_levels: list[dict]) -> list[tuple[str, pd.DataFrame]]:
    """The crosstab's columns: the total, then each tier in configured order (the total alone without tiers)."""
    columns = [(TOTAL, respondents)]
    columns += [(level["id"], respondents[respondents[TIER] == level["id"]]) for level in tier_levels]
    return columns


def blocks(tiers: dict, banners: list[dict]) -> list[dict]:
    """The blocks of columns compared within: the tiers (where there are), then each banner.

    Each: ``id``, ``question``, ``columns`` (id, label, choices), ``letters`` (column id -> letter,
    continuing across blocks), ``compare_total`` and ``why`` (why its own question is not tested).
    """
    out = []
    if tiers["levels"]:
        columns = [(level["id"], level["label"], level["choices"]) for level in tiers["levels"]]
        out.append({"id": TIERS, "question": tiers["question"], "columns": columns, "compare_total": False, "why": TIER_QUESTION})
    for b in banners:
        columns = [(f"{b['id']}:{c['id']}", c["label"], c["choices"]) for c in b["columns"]]
        out.append(
            {
                "id": b["id"],
                "question": b["question"],
                "columns": columns,
                "compare_total": b["compare_total"],
                "why": BANNER_QUESTION,
            }
        )
    letters = column_letters(sum(len(block["columns"]) for block in out))
    for block in out:
        block["letters"] = {column: letters.pop(0) for column, _, _ in block["columns"]}
    return out


def banner_groups(respondents: pd.DataFrame, banners: list[dict], with_rest: bool = False) -> list[tuple[str, pd.DataFrame]]:
    """Each banner column's respondents: those who chose one of its choices (a net where they overlap another
    column's); with ``with_rest``, after each column of a banner that is compared with the total, everyone else."""
    columns = []
    for b in banners:
        answers = respondents[b["question"]].astype("object")
        for c in b["columns"]:
            chosen = answers.isin(c["choices"]).to_numpy(dtype=bool)
            columns.append((f"{b['id']}:{c['id']}", respondents[chosen]))
            if with_rest and b["compare_total"]:
                columns.append((f"{b['id']}:{c['id']}{REST}", respondents[~chosen]))
    return columns


def _masks(question: Question, group: pd.DataFrame) -> tuple[dict, dict, np.ndarray]:
    """Per choice, who chose it and who is in its base; and who answered the question (boolean arrays)."""
    if question.multi:
        ticks = group[[question.choice_column(c) for c in question.choices]]
        answered = ticks.notna().all(axis=1).to_numpy()
        chosen = {c.id: ticks[question.choice_column(c)].fillna(False).to_numpy(dtype=bool) for c in question.choices}
        base = answered if question.base == "answered" else np.ones(len(group), dtype=bool)
        return chosen, dict.fromkeys(chosen, base), answered
    values = group[question.id].astype("object")
    answered = values.notna().to_numpy()
    chosen = {c.id: (values == c.id).to_numpy(dtype=bool) for c in question.choices}
    substantive = values.isin([c.id for c in question.substantive]).to_numpy()
    return chosen, {c.id: answered if c.nonsubstantive else substantive for c in question.choices}, answered


def weighted_cell(w: np.ndarray, chosen: np.ndarray, base: np.ndarray, sample_size: int) -> dict:
    """The weighted count, base and share (%) of one cell, its effective base and the share's standard error.

    The standard error is the linearized one of a domain mean with the weights as given, over
    a sample of ``sample_size`` (the whole table, as R's ``survey`` estimates a subset).
    """
    total, count = float(w[base].sum()), float(w[chosen].sum())
    squares, chosen_squares = float((w[base] ** 2).sum()), float((w[chosen] ** 2).sum())
    if not total:
        return {"weighted_count": 0.0, "weighted_base": 0.0, "effective_base": 0.0, "se": float("nan"), "pct": float("nan")}
    p = count / total
    spread = chosen_squares * (1 - p) ** 2 + (squares - chosen_squares) * p**2
    n = sample_size
    se = float(np.sqrt(n / (n - 1) * spread) / total) if n > 1 else float("nan")
    return {"weighted_count": count, "weighted_base": total, "effective_base": total**2 / squares, "se": se, "pct": 100 * p}


def question_rows(
    question: Question, column: str, group: pd.DataFrame, weight: str | None = None, sample_size: int | None = None
) -> list[dict]:
    """Counts, base and column % of one question within one banner column.

    With ``weight`` (a column of ``group``), the % is weighted and the rows carry the
    ``WEIGHTED_COLUMNS`` too; ``sample_size`` is the whole sample's, for the standard error
    (default: the group's).
    """
    return _counted(question, column, group, weight, sample_size)[0]


def _counted(
    question: Question, column: str, group: pd.DataFrame, weight: str | None, sample_size: int | None
) -> tuple[list[dict], tuple | None]:
    """``question_rows``, and where weighted the weights with each choice's chosen and base masks (``_masks``)."""
    rows = []
    n = len(group)
    if question.multi:
        ticks = group[[question.choice_column(c) for c in question.choices]]
        answered = int(ticks.notna().all(axis=1).sum())
        counts = [(c, int(ticks[question.choice_column(c)].sum())) for c in question.choices]  # a tick: True; NA skipped
        base_of = dict.fromkeys((c.id for c in question.choices), n if question.base == "respondents" else answered)
    else:
        values = group[question.id]
        answered = int(values.notna().sum())
        tally = values.value_counts()
        counts = [(c, int(tally.get(c.id, 0))) for c in question.choices]
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
    if weight is None:
        return rows, None
    w = group[weight].to_numpy(dtype=float)
    chosen, base, answered_mask = _masks(question, group)
    chosen[NO_ANSWER], base[NO_ANSWER] = ~answered_mask, np.ones(n, dtype=bool)
    for row in rows:
        row.update(weighted_cell(w, chosen[row["choice"]], base[row["choice"]], sample_size or n))
    return rows, (w, chosen, base)


def pairwise_tests(table: pd.DataFrame, tiers: dict, settings: dict, banners: list[dict] = ()) -> pd.DataFrame:
    """Every pair of columns of a block (the tiers, each banner) on every answer: the test (z or Fisher),
    its raw and adjusted p-value, the letter of the significantly higher column, or why the pair is not
    tested (the question that defines the block is not: comparing tiers there tests the tier rule;
    nor are two banner columns sharing respondents). Where the table holds a banner column's rest of the
    sample (``crosstab`` does, before it drops them), each column against it too (``letter_b`` "rest").

    The p-values are adjusted by ``statistics.correction`` together within a family
    (``statistics.family``: one answer's pairs, one question's, or all of them) of one block;
    the comparisons with the total form families of their own.

    A weighted crosstab (one with ``effective_base``) is tested on the weighted shares and
    the effective bases (``WEIGHTED_PAIR_COLUMNS``); which pairs are tested still follows the
    unweighted counts and bases.
    """
    family_of = FAMILIES[settings["family"]]
    weighted = "effective_base" in table
    cells = table[table["kind"].isin([CHOICE, NONSUBSTANTIVE]) & (table["column"] != TOTAL)]
    keys = list(zip(cells["question"], cells["choice"], cells["column"]))
    numbers = dict(zip(keys, zip(cells["count"].astype(int), cells["base"].astype(int))))
    if weighted:
        numbers_tested = dict(zip(keys, zip(cells["pct"] / 100 * cells["effective_base"], cells["effective_base"])))
    kinds = {(q, c): kind for (q, c, _), kind in zip(keys, cells["kind"])}
    pairs, every = [], blocks(tiers, list(banners))
    for (question, choice), kind in kinds.items():
        for block in every:
            letters, family = block["letters"], family_of(question, choice)
            always = block["why"] if question == block["question"] else NOT_SUBSTANTIVE if kind == NONSUBSTANTIVE else ""
            choices = {column: set(chosen) for column, _, chosen in block["columns"]}
            compared = [(a, b, letters[b], family) for a, b in combinations(list(choices), 2)]
            if block["id"] != TIERS:
                compared = [(a, b, letter, f"{block['id']}|{family}") for a, b, letter, family in compared]
            if block["compare_total"]:
                compared += [
                    (a, a + REST, "rest", f"{block['id']}|total|{family}")
                    for a in choices
                    if (question, choice, a + REST) in numbers
                ]
            for a, b, letter_b, family_ in compared:
                (xa, na), (xb, nb) = numbers[(question, choice, a)], numbers[(question, choice, b)]
                overlap = OVERLAP if b in choices and choices[a] & choices[b] else ""
                why = always or overlap or untestable(xa, na, xb, nb, settings["min_base"])
                tested = (xa, na, xb, nb)
                if weighted:
                    (ea, ma), (eb, mb) = numbers_tested[(question, choice, a)], numbers_tested[(question, choice, b)]
                    tested = (ea, ma, eb, mb)
                test, z, p = ("", float("nan"), float("nan")) if why else pair_test(*tested)
                pair = [question, choice, family_, letters[a], a, xa, na, letter_b, b, xb, nb, why, test, z, p]
                if weighted:
                    pair += [100 * ea / ma if ma else float("nan"), ma, 100 * eb / mb if mb else float("nan"), mb]
                pairs.append(pair)
    extra = WEIGHTED_PAIR_COLUMNS if weighted else []
    frame = pd.DataFrame(pairs, columns=PAIR_COLUMNS[:-2] + extra)
    frame["p_adjusted"] = float("nan")
    for _, members in frame[frame["test"] != ""].groupby("family", sort=False):
        frame.loc[members.index, "p_adjusted"] = adjusted_p(members["p"].tolist(), settings["correction"])
    significant = frame["p_adjusted"] <= settings["alpha"]
    if weighted:
        a_higher = frame["pct_a"] > frame["pct_b"]
    else:
        a_higher = frame["count_a"] * frame["base_b"] > frame["count_b"] * frame["base_a"]
    frame["higher"] = ""
    frame.loc[significant & a_higher, "higher"] = frame["letter_a"]
    frame.loc[significant & ~a_higher, "higher"] = frame["letter_b"]
    return frame[PAIR_COLUMNS + extra]


def add_statistics(
    table: pd.DataFrame, tiers: dict, settings: dict, banners: list[dict] = (), pairs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Wilson intervals, column letters, significance letters, untested pairs and base flags;
    with banners, each column's block and its comparison with the total (``BANNER_COLUMNS``).
    The letters come from ``pairs`` (``pairwise_tests`` of this table), tested here if not given.

    In a weighted crosstab (one with ``effective_base``) the intervals are of the weighted
    share on the effective base; the flags stay on the unweighted base.
    """
    table = table.copy()
    shares = table["kind"] != NO_ANSWER
    counts, bases = table["count"], table["base"]
    if "effective_base" in table:
        counts, bases = table["pct"].fillna(0) / 100 * table["effective_base"], table["effective_base"]
    intervals = [
        wilson(count, base, settings["confidence"]) if share else (float("nan"), float("nan"))
        for count, base, share in zip(counts, bases, shares)
    ]
    table["ci_low"] = [100 * low for low, _ in intervals]
    table["ci_high"] = [100 * high for _, high in intervals]
    letters = {column: letter for block in blocks(tiers, list(banners)) for column, letter in block["letters"].items()}
    table["letter"] = [letters.get(column, "") for column in table["column"]]
    table["flag"] = ""
    table.loc[shares & (table["base"] < settings["caution_base"]), "flag"] = CAUTION
    table.loc[shares & (table["base"] < settings["min_base"]), "flag"] = NOT_TESTED
    higher, untested, vs_total = {}, {}, {}  # (question, choice, letter) -> other letters; (question, choice, column) -> result
    if pairs is None:
        pairs = pairwise_tests(table, tiers, settings, banners)
    for pair in pairs.itertuples():
        if pair.letter_b == "rest":
            result = (
                NOT_TESTED
                if pair.not_tested
                else ""
                if not pair.higher
                else "higher"
                if pair.higher == pair.letter_a
                else "lower"
            )
            vs_total[(pair.question, pair.choice, pair.column_a)] = result
            continue
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
    if banners:
        block_of = {column: block["id"] for block in blocks(tiers, list(banners)) for column in block["letters"]}
        table["banner"] = [block_of.get(column, TOTAL) for column in table["column"]]
        table["vs_total"] = [vs_total.get(key, "") for key in zip(table["question"], table["choice"], table["column"])]
    return table


def read_pairs(path) -> pd.DataFrame:
    """The pairs ``crosstab_and_pairs`` tested, as the crosstab stage wrote them (``pairwise.csv``): text as
    written (an empty cell as ""), numbers as written (pandas reads a float back to the value written)."""
    numbers = [name for name in PAIR_COLUMNS + WEIGHTED_PAIR_COLUMNS if name not in PAIR_TEXT]
    return pd.read_csv(path, dtype=dict.fromkeys(PAIR_TEXT, str), keep_default_na=False, na_values=dict.fromkeys(numbers, [""]))


def read_columns(codebook: Codebook, banners: list[dict] = ()) -> list[str]:
    """The respondent columns the crosstab and the scores read: the tabulated and scored questions',
    the banners' questions, the tier and the weight (where the respondents have one)."""
    questions = [q for q in codebook.tabulated if not q.multi] + list(codebook.scored)
    ticks = [q.choice_column(c) for q in codebook.tabulated if q.multi for c in q.choices]
    return list(dict.fromkeys([*(q.id for q in questions), *ticks, *(b["question"] for b in banners), TIER, WEIGHT]))


def crosstab(
    respondents: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict, banners: list[dict] = ()
) -> pd.DataFrame:
    """Every closed question (each statement of a grid) by total, tier (the configuration's
    ``tiers``) and banner column (its ``banners``), nets after the answers, with its statistics.

    Weighted where the respondents have a ``weight`` column: then ``WEIGHTED_COLUMNS`` follow ``COLUMNS``;
    ``BANNER_COLUMNS`` follow where there are banners.
    """
    return crosstab_and_pairs(respondents, codebook, tiers, settings, banners)[0]


def crosstab_and_pairs(
    respondents: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict, banners: list[dict] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``crosstab`` and the pairwise tests its letters come from, tested once: those between its
    columns (``PAIR_COLUMNS``), the comparisons of banner columns with the rest of the sample left out."""
    weight = WEIGHT if WEIGHT in respondents else None
    extra = (WEIGHTED_COLUMNS if weight else []) + (BANNER_COLUMNS if banners else [])
    columns = banner(respondents, tiers["levels"]) + banner_groups(respondents, list(banners), with_rest=True)
    rows = [
        row
        for question in codebook.tabulated
        for column, group in columns
        for row in _question_rows(question, column, group, weight, len(respondents))
    ]
    table = pd.DataFrame(rows, columns=COLUMNS[: COLUMNS.index("pct") + 1] + (WEIGHTED_COLUMNS if weight else []))
    pairs = pairwise_tests(table, tiers, settings, banners)
    table = add_statistics(table, tiers, settings, banners, pairs)
    between = pairs[pairs["letter_b"] != "rest"].reset_index(drop=True)
    return table[~table["column"].str.endswith(REST)].reset_index(drop=True)[COLUMNS + extra], between


def _question_rows(question: Question, column: str, group: pd.DataFrame, weight: str | None, sample_size: int) -> list[dict]:
    """``question_rows`` with the question's nets; a weighted net is weighted over who chose any of its answers
    (the answers' masks as ``question_rows`` computed them)."""
    from .grids import with_nets

    rows, weighted = _counted(question, column, group, weight, sample_size)
    rows = with_nets(question, rows)
    if weighted is None or not question.nets:
        return rows
    w, chosen, base = weighted
    nets = {net.key: net for net in question.nets}
    for row in rows:
        net = nets.get(row["choice"])
        if net is not None:
            anyone = np.logical_or.reduce([chosen[choice] for choice in net.choices])
            row.update(weighted_cell(w, anyone, base[net.choices[0]], sample_size))
    return rows


def chi_square_tests(table: pd.DataFrame, codebook: Codebook, tiers: dict, settings: dict) -> pd.DataFrame:
    """A chi-square test of independence of tier and answer, per single-choice question (none without tiers).

    The question that defines the tiers is left out: it depends on them by construction.
    Where Cochran's rule fails, the p-value is a Monte Carlo one (``stats.chi_square``) of
    ``statistics.chi_square_simulations`` tables. A weighted crosstab is tested on each tier's
    effective base: the weighted shares times the tier's effective base, rounded.
    """
    simulations = settings["chi_square_simulations"]
    tier_ids = [level["id"] for level in tiers["levels"]]
    rows = []
    for question in codebook.tabulated if tier_ids else []:  # without tiers, nothing to test
        if question.multi or question.id == tiers["question"]:
            continue
        answers = (table["kind"] == CHOICE) & ~table["choice"].str.startswith(NET)  # a net adds up answers already counted
        mine = table[(table["question"] == question.id) & answers & table["column"].isin(tier_ids)]
        if "effective_base" in mine:
            mine = mine.assign(count=(mine["pct"].fillna(0) / 100 * mine["effective_base"]).round().astype(int))
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
