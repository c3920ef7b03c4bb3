"""The crosstabs as an Excel workbook: a contents sheet, then one formatted sheet per question."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import xlsxwriter

from .codebook import Codebook
from .crosstab import CAUTION, CHOICE, NO_ANSWER, NONSUBSTANTIVE, NOT_TESTED, TOTAL


def _notes(question, tests: pd.DataFrame, statistics: dict, letters: str) -> list[str]:
    notes = [
        "Column percentages of respondents who answered (unweighted); the base row gives each column's base.",
        f"Brackets: {statistics['confidence']:.0%} Wilson interval.",
        f"Letters: the share is significantly higher than in the tier with that letter ({letters}); pooled "
        f"two-proportion z-test, two-sided, alpha {statistics['alpha']}, {statistics['correction'].title()} "
        f"correction over the tier pairs of the row; no test where a base is under {statistics['min_base']} "
        "or a share is 0% or 100%.",
        f"Bases under {statistics['caution_base']}: interpret with caution.",
    ]
    if question.multi:
        notes.append("More than one answer allowed: shares can add up to more than 100%.")
    if any(c.nonsubstantive for c in question.choices):
        notes.append("Non-substantive answers are shown apart and left out of the base.")
    test = tests[tests["question"] == question.id]
    if not test.empty and pd.notna(test["p"].iloc[0]):
        t = test.iloc[0]
        notes.append(
            f"Chi-square test of independence of tier and answer: chi2 = {t['chi2']:.2f}, df = {t['df']}, "
            f"p = {t['p']:.3f}, n = {t['n']}; {t['low_expected']:.0%} of cells expect fewer than 5."
        )
    return notes


def write_workbook(
    table: pd.DataFrame,
    tests: pd.DataFrame,
    codebook: Codebook,
    tier_levels: list[dict],
    statistics: dict,
    title: str,
    created: dt.datetime,
    path: str | Path,
) -> None:
    """Write the workbook atomically; its date is ``created`` (from the data), never the clock."""
    path = Path(path)
    tmp = path.with_suffix(".xlsx.tmp")
    book = xlsxwriter.Workbook(str(tmp))
    book.set_properties({"title": f"{title}: crosstabs", "created": created})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    header = book.add_format({"bold": True, "bottom": 1, "align": "center", "text_wrap": True})
    percent = book.add_format({"num_format": "0%", "align": "right"})
    muted = book.add_format({"font_color": "#666666", "align": "right", "font_size": 9})
    base_format = book.add_format({"bold": True, "top": 1})
    columns = [(TOTAL, "Total", "")] + [
        (level["id"], level["label"], letter) for level, letter in zip(tier_levels, "ABCDEFGHIJ")
    ]
    letters = ", ".join(f"{letter} {label.lower()}" for _, label, letter in columns[1:])

    contents = book.add_worksheet("Contents")
    contents.set_column(0, 0, 22)
    contents.set_column(1, 1, 100)
    contents.write(0, 0, title, bold)
    contents.write_row(2, 0, ["Sheet", "Question"], bold)
    for row, question in enumerate(codebook.closed, start=3):
        contents.write_url(row, 0, f"internal:'{question.id[:31]}'!A1", string=question.id[:31])
        contents.write(row, 1, question.text)

    for question in codebook.closed:
        sheet = book.add_worksheet(question.id[:31])
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
        for choice in question.choices:
            sheet.write(row, 0, choice.label + (" (not in base)" if choice.nonsubstantive else ""))
            for c, (column, _, _) in enumerate(columns):
                cell = by_choice[(column, choice.id)]
                first = 1 + 3 * c
                if cell["base"]:
                    sheet.write_number(row, first, cell["count"] / cell["base"], percent)
                    sheet.write(row, first + 1, f"{cell['ci_low']:.0f}–{cell['ci_high']:.0f}", muted)
                sheet.write(row, first + 2, cell["higher_than"] or "")
            row += 1
        for label, kind in (("Base (answered)", CHOICE), ("No answer (not in base)", NO_ANSWER)):
            sheet.write(row, 0, label, base_format if kind == CHOICE else None)
            for c, (column, _, _) in enumerate(columns):
                cell = by_kind[(column, kind)]
                sheet.write_number(row, 1 + 3 * c, int(cell["base" if kind == CHOICE else "count"]),
                                   base_format if kind == CHOICE else None)
            row += 1
        sheet.write(row, 0, "Base flag")
        for c, (column, _, _) in enumerate(columns):
            flag = next(r["flag"] for r in records if r["column"] == column and r["kind"] in (CHOICE, NONSUBSTANTIVE))
            sheet.write(row, 1 + 3 * c, {CAUTION: "caution", NOT_TESTED: "not tested"}.get(flag, ""))
        row += 2
        for note in _notes(question, tests, statistics, letters):
            sheet.write(row, 0, note)
            row += 1
    book.close()
    os.replace(tmp, path)
