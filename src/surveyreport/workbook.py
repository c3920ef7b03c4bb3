"""The crosstabs as an Excel workbook: a contents sheet, then one formatted sheet per question."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import xlsxwriter

from . import methodology
from .codebook import Codebook
from .crosstab import (
    BANNER_QUESTION,
    CAUTION,
    CHOICE,
    NO_ANSWER,
    NONSUBSTANTIVE,
    NOT_SUBSTANTIVE,
    NOT_TESTED,
    OVERLAP,
    TIER_QUESTION,
    TOTAL,
    blocks,
    pairwise_tests,
)
from .stats import NO_VARIATION, SMALL_BASE

UNTESTED = {
    SMALL_BASE: "a base is under the minimum",
    NO_VARIATION: "both shares 0% or both 100%: no difference to test",
    TIER_QUESTION: "the question defines the tiers",
    BANNER_QUESTION: "the question defines the banner",
    OVERLAP: "the columns share respondents (a net and a column it holds)",
    NOT_SUBSTANTIVE: "not a substantive answer",
}


def _family(statistics: dict, pairs: pd.DataFrame, question: str) -> str:
    """Over which tests the p-values of this question's letters were corrected."""
    family = statistics["family"]
    tested = pairs[pairs["test"] != ""]
    if family == "row":
        return "over the tier pairs of each row"
    if family == "table":
        return f"over all tier pairs tested in this table ({(tested['question'] == question).sum()} tests)"
    return f"over all {len(tested)} tier-pair tests of the workbook"


def _letters_note(question, pairs: pd.DataFrame, statistics: dict, letters: str) -> str:
    if not letters:
        return "No letters: the study has no tiers, so the total is not compared with any group."
    if pairs.loc[pairs["question"] == question.id, "not_tested"].eq(TIER_QUESTION).all():
        return "No letters: this question defines the tiers, so comparing them on it would test the tier rule itself."
    return (
        f"Letters: the share is significantly higher than in the tier with that letter ({letters}); "
        f"{methodology.pair_test('5')}; two-sided, alpha {statistics['alpha']} after "
        f"{methodology.CORRECTION_NAMES[statistics['correction']]} correction {_family(statistics, pairs, question.id)}. "
        f"No test where {methodology.untested(str(statistics['min_base']), '0%', '100%')}. "
        "Every pair, with its raw and adjusted p-value: sheet 'Pairwise tests'."
        + (BANNERS_NOTE if pairs["family"].str.contains("|", regex=False).any() else "")
    )


BANNERS_NOTE = (
    f" Each block of columns (the tiers, each banner) is {methodology.within_blocks()};"
    " 'vs total' (+ higher, - lower) compares a banner column with the rest of the sample (the part-whole comparison)."
)


def _notes(question, tests: pd.DataFrame, pairs: pd.DataFrame, statistics: dict, letters: str) -> list[str]:
    notes = [
        "Column percentages of respondents who answered (unweighted); the base row gives each column's base.",
        f"Brackets: {statistics['confidence']:.0%} Wilson interval, per estimate: {methodology.per_estimate()}, as the letters are.",
        _letters_note(question, pairs, statistics, letters),
        f"Bases under {statistics['caution_base']}: interpret with caution.",
    ]
    if question.multi:
        notes.append(f"More than one answer allowed: {methodology.several_answers('100%')}.")
    if any(c.nonsubstantive for c in question.choices):
        notes.append("Non-substantive answers are shown apart, left out of the base and not tested.")
    test = tests[tests["question"] == question.id]
    if not test.empty and pd.notna(test["p"].iloc[0]):
        t = test.iloc[0]
        note = (
            f"Chi-square test of independence of tier and answer: chi2 = {t['chi2']:.2f}, df = {t['df']}, "
            f"n = {t['n']}; {t['low_expected']:.0%} of cells expect fewer than 5 (smallest {t['min_expected']:.2f}), "
        )
        if t["cochran"]:
            note += f"so Cochran's rule holds: p = {t['p']:.3f} from the chi-square distribution."
        else:
            note += (
                f"so Cochran's rule fails and the chi-square distribution's p = {t['p_asymptotic']:.3f} is unreliable: "
                f"p = {t['p']:.3f} is a Monte Carlo p-value from {methodology.simulated(format(t['simulations'], ','))}."
            )
        notes.append(note)
    return notes


def _pairs_sheet(book, pairs: pd.DataFrame, formats: dict) -> None:
    """Every pair of tiers on every answer: counts, test, raw and adjusted p-value, result."""
    sheet = book.add_worksheet("Pairwise tests")
    header = [
        "Question",
        "Answer",
        "Family",
        "Tier",
        "Count",
        "Base",
        "Vs tier",
        "Count",
        "Base",
        "Test",
        "z",
        "p",
        "Adjusted p",
        "Higher",
        "Not tested because",
    ]
    sheet.write_row(0, 0, header, formats["bold"])
    sheet.set_column(0, 2, 18)
    sheet.set_column(14, 14, 48)
    sheet.freeze_panes(1, 0)
    for row, pair in enumerate(pairs.itertuples(), start=1):
        sheet.write_row(
            row,
            0,
            [
                pair.question,
                pair.choice,
                pair.family,
                pair.letter_a,
                pair.count_a,
                pair.base_a,
                pair.letter_b,
                pair.count_b,
                pair.base_b,
                pair.test,
            ],
        )
        for column, value, style in ((10, pair.z, "z"), (11, pair.p, "p"), (12, pair.p_adjusted, "p")):
            if pd.notna(value):
                sheet.write_number(row, column, value, formats[style])
        sheet.write_row(row, 13, [pair.higher, UNTESTED.get(pair.not_tested, "")])


def sheet_names(ids: list[str]) -> dict[str, str]:
    """A sheet name per question: its id, cut to Excel's 31 characters and numbered where two would be the same."""
    names: dict[str, str] = {}
    taken: set[str] = {"contents", "pairwise tests", *(name.lower() for name in SCORE_SHEETS)}
    for question in ids:
        name, n = question[:31], 2
        while name.lower() in taken:
            suffix = f"~{n}"
            name, n = question[: 31 - len(suffix)] + suffix, n + 1
        taken.add(name.lower())
        names[question] = name
    return names


def write_workbook(
    table: pd.DataFrame,
    tests: pd.DataFrame,
    codebook: Codebook,
    tiers: dict,
    statistics: dict,
    title: str,
    created: dt.datetime,
    path: str | Path,
    scores: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    weighting: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    banners: list[dict] = (),
    pairs: pd.DataFrame | None = None,
) -> None:
    """Write the workbook to ``path`` (the crosstab stage makes it atomic); its date is ``created`` (from the data), never the clock.

    ``pairs``: the pairwise tests of ``table``'s columns (``crosstab_and_pairs``), tested here if not given.

    ``weighting``: a weighted study's summary and target table (``weights.rake``), for a sheet 'Weights'.
    ``banners``: the configuration's (completed), their columns after the tiers', side by side.
    """
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": f"{title}: crosstabs", "created": created})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    header = book.add_format({"bold": True, "bottom": 1, "align": "center", "text_wrap": True})
    percent = book.add_format({"num_format": "0%", "align": "right"})
    muted = book.add_format({"font_color": "#666666", "align": "right", "font_size": 9})
    base_format = book.add_format({"bold": True, "top": 1})
    labels = {f"{b['id']}:{c['id']}": f"{b['label']}: {c['label']}" for b in banners for c in b["columns"]}
    labels |= {level["id"]: level["label"] for level in tiers["levels"]}
    columns = [(TOTAL, "Total", "")] + [
        (column, labels[column], letter) for block in blocks(tiers, list(banners)) for column, letter in block["letters"].items()
    ]
    letters = ", ".join(f"{letter} {label.lower()}" for _, label, letter in columns[1:])
    if pairs is None:
        pairs = pairwise_tests(table, tiers, statistics, banners)

    contents = book.add_worksheet("Contents")
    contents.set_column(0, 0, 22)
    contents.set_column(1, 1, 100)
    contents.write(0, 0, title, bold)
    contents.write_row(2, 0, ["Sheet", "Question"], bold)
    names = sheet_names([q.id for q in codebook.tabulated])
    for row, question in enumerate(codebook.tabulated, start=3):
        contents.write_url(row, 0, f"internal:'{names[question.id]}'!A1", string=names[question.id])
        contents.write(row, 1, f"{question.text} — {question.statement}" if question.parent else question.text)
    contents.write_url(row + 1, 0, "internal:'Pairwise tests'!A1", string="Pairwise tests")
    contents.write(row + 1, 1, PAIRS_CONTENTS if letters else "None: the study has no tiers to compare")
    scored = scores is not None and not scores[0].empty
    if scored:
        for offset, (name, what) in enumerate(SCORE_SHEETS.items(), start=2):
            contents.write_url(row + offset, 0, f"internal:'{name}'!A1", string=name)
            contents.write(row + offset, 1, what + (WEIGHTED_SCORE_SHEETS[name] if weighting else ""))
    if weighting:
        row += 2 + (len(SCORE_SHEETS) if scored else 0)
        contents.write_url(row, 0, "internal:'Weights'!A1", string="Weights")
        contents.write(row, 1, "How the weights were reached: targets, iterations, efficiency, smallest and largest weight")

    for question in codebook.tabulated:
        sheet = book.add_worksheet(names[question.id])
        records = table[table["question"] == question.id].to_dict("records")
        by_choice, by_kind = {}, {}  # the first row of each (column, choice) and (column, kind)
        for record in records:
            by_choice.setdefault((record["column"], record["choice"]), record)
            by_kind.setdefault((record["column"], record["kind"]), record)
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, 3 * len(columns), 9)
        sheet.merge_range(0, 0, 0, 3 * len(columns), question.text, wrap)
        sheet.set_row(0, 32)
        sheet.write(2, 0, "Answer", header)
        for c, (_, label, letter) in enumerate(columns):
            first = 1 + 3 * c
            sheet.merge_range(2, first, 2, first + 2, f"{label} ({letter})" if letter else label, header)
            sheet.write_row(3, first, ["%", "95% CI", "Sig."], header)
        row = 4
        answers = [(c.id, c.label + (" (not in base)" if c.nonsubstantive else "")) for c in question.choices]
        for key, label in answers + [(net.key, net.label) for net in question.nets]:
            sheet.write(row, 0, label)
            for c, (column, _, _) in enumerate(columns):
                cell = by_choice[(column, key)]
                first = 1 + 3 * c
                if cell["base"]:
                    share = cell["pct"] / 100 if weighting else cell["count"] / cell["base"]
                    sheet.write_number(row, first, share, percent)
                    sheet.write(row, first + 1, f"{cell['ci_low']:.0f}–{cell['ci_high']:.0f}", muted)
                sheet.write(row, first + 2, (cell["higher_than"] or "") + VS_TOTAL.get(cell.get("vs_total", ""), ""))
            row += 1
        for label, kind in (("Base (answered)", CHOICE), ("No answer (not in base)", NO_ANSWER)):
            sheet.write(row, 0, label, base_format if kind == CHOICE else None)
            for c, (column, _, _) in enumerate(columns):
                cell = by_kind[(column, kind)]
                sheet.write_number(
                    row, 1 + 3 * c, int(cell["base" if kind == CHOICE else "count"]), base_format if kind == CHOICE else None
                )
            row += 1
        if weighting:
            row = _effective_bases(sheet, row, by_kind, columns)
        sheet.write(row, 0, "Base flag")
        for c, (column, _, _) in enumerate(columns):
            flag = next(r["flag"] for r in records if r["column"] == column and r["kind"] in (CHOICE, NONSUBSTANTIVE))
            sheet.write(row, 1 + 3 * c, {CAUTION: "caution", NOT_TESTED: "not tested"}.get(flag, ""))
        row += 2
        for note in _notes(question, tests, pairs, statistics, letters):
            if weighting and note.startswith("Column percentages"):
                note = WEIGHTED_NOTE
            sheet.write(row, 0, note)
            row += 1
    formats = {"bold": bold, "z": book.add_format({"num_format": "0.00"}), "p": book.add_format({"num_format": "0.0000"})}
    _pairs_sheet(book, pairs, formats)
    if scored:
        formats["number"] = book.add_format({"num_format": "0.00"})
        _frame_sheet(book, "Scores", scores[0], formats)
        _frame_sheet(book, "Score tests", scores[1], formats)
    if weighting:
        _weights_sheet(book, *weighting, codebook, bold)
    book.close()


VS_TOTAL = {"higher": " +", "lower": " -"}  # a banner column's share against the rest of the sample
PAIRS_CONTENTS = "Every pair of tiers on every answer: the test, its raw and adjusted p-value, the result"
SCORE_SHEETS = {
    "Scores": "Means (numbers, scales, ranks) and net promoter scores by tier: n, value, sd, median, interval, letters",
    "Score tests": "Every pair of tiers on every score: Welch's t-test (means) or z-test (NPS), raw and adjusted p-value",
}
# Added to a weighted study's descriptions of the score sheets.
WEIGHTED_SCORE_SHEETS = {
    "Scores": "; weighted (sheet 'Weights'): n is the unweighted count, effective_base Kish's, on which sd, interval and "
    "letters are computed",
    "Score tests": "; weighted: on the effective bases (Kish)",
}


def _frame_sheet(book, name: str, frame: pd.DataFrame, formats: dict) -> None:
    """A table as it is, its column names in bold, numbers to two decimals (p-values to four)."""
    sheet = book.add_worksheet(name)
    sheet.write_row(0, 0, list(frame.columns), formats["bold"])
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 24)
    for row, record in enumerate(frame.itertuples(index=False), start=1):
        for column, (name_, value) in enumerate(zip(frame.columns, record)):
            if isinstance(value, str):
                sheet.write_string(row, column, value)
            elif pd.notna(value):
                sheet.write_number(row, column, float(value), formats["p" if name_.startswith("p") else "number"])


# ----------------------------------------------------------------------------- weights (a weighted study only)

WEIGHTED_NOTE = (
    "Column percentages are weighted (sheet 'Weights'); the base row gives each column's unweighted base, the "
    "effective base row Kish's (sum of weights)^2 / sum of squared weights, on which intervals and letters are computed."
)
MEASURES = {
    "respondents": "Respondents weighted",
    "iterations": "Raking iterations (weightipy's count)",
    "max_iterations": "Most iterations allowed",
    "largest_gap_to_target": "Largest gap between a weighted share and its target",
    "tolerance": "Largest gap accepted",
    "trim_max": "Cap on a weight (weights average 1)",
    "weights_at_trim_max": "Weights at the cap",
    "min_weight": "Smallest weight",
    "max_weight": "Largest weight",
    "sum_of_weights": "Sum of weights",
    "effective_sample_size": "Effective sample size (Kish)",
    "efficiency": "Weighting efficiency (effective / actual size)",
    "design_effect": "Design effect of weighting (actual / effective size)",
}


def _effective_bases(sheet, row: int, by_kind: dict, columns: list) -> int:
    """A row of each column's effective base (of its substantive answers); the next row."""
    sheet.write(row, 0, "Effective base (Kish)")
    for c, (column, _, _) in enumerate(columns):
        sheet.write_number(row, 1 + 3 * c, round(float(by_kind[(column, CHOICE)]["effective_base"]), 1))
    return row + 1


def _weights_sheet(book, summary: pd.DataFrame, targets: pd.DataFrame, codebook: Codebook, bold) -> None:
    """How the weights were reached: the convergence and cost measures, then each target beside the shares."""
    sheet = book.add_worksheet("Weights")
    sheet.set_column(0, 0, 52)
    sheet.set_column(1, 5, 14)
    sheet.write(0, 0, "Rim weighting (raking) to population targets, with weightipy", bold)
    row = 2
    for measure in summary.itertuples():
        sheet.write(row, 0, MEASURES.get(measure.measure, measure.measure))
        value = pd.to_numeric(measure.value, errors="coerce")
        if pd.notna(value):
            sheet.write_number(row, 1, float(value))
        row += 1
    row += 1
    sheet.write_row(row, 0, ["Question: answer (shares of those who answered)", "Target", "Unweighted", "Weighted", "Gap"], bold)
    shares = book.add_format({"num_format": "0.0%"})
    for target in targets.itertuples():
        row += 1
        question = codebook.question(target.question)
        label = (
            "no answer (kept at its share of everyone)" if target.choice == NO_ANSWER else question.choice(target.choice).label
        )
        sheet.write(row, 0, f"{question.id}: {label}")
        for column, value in enumerate((target.target, target.unweighted, target.weighted), start=1):
            sheet.write_number(row, column, value, shares)
        sheet.write_number(row, 4, target.gap)
