"""Draft a study's questions from a SurveyMonkey CSV export: its headings, its second header row, the answers.

A heading whose second-row label is ``Response`` is a single-choice question (its
choices the answers observed, an ``Other (please specify)`` column its text choice,
any further column a comment field, drafted as an open question of the same heading);
``Open-Ended Response`` an open question; a heading over columns that each hold their
own label when ticked a check-all question, one choice per column; columns holding
answers of their own a matrix or rating scale (a statement per column, the answers
observed its scale). Anything else is listed with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from .csvcells import read_csv_cells
from .draft import Choice, Header, Item, Statement
from .draft_export import Source, last_required
from .errors import SurveyError
from .export import UNANSWERED
from .surveymonkey import META, OPEN, OTHER, OTHER_METADATA, PII, RESPONSE

LEADING_NUMBER = re.compile(r"-?\d+(\.\d+)?")  # a scale point numbered in its text: "5 - Excellent"


def read(path: Path) -> Source:
    """The export's questions, found under its headings, and its metadata and personal-data columns."""
    cells = read_csv_cells(path, "a SurveyMonkey CSV export")
    if len(cells) < 3:
        raise SurveyError(f"the file has {len(cells)} row(s)", file=path, expected="two header rows, then responses")
    headings = [" ".join(h.split()) for h in cells.iloc[0]]
    subs = [" ".join(s.split()) for s in cells.iloc[1]]
    rows = cells.iloc[2:].reset_index(drop=True)
    fixed = {**META, **PII, **dict.fromkeys(OTHER_METADATA, "")}
    blocks: list[tuple[str, list[int]]] = []
    for index, head in enumerate(headings):
        if head:
            blocks.append((head, [index]))
        elif blocks:
            blocks[-1][1].append(index)
    items: list[Item] = []
    answered: dict[int, set[int]] = {}
    for head, columns in blocks:
        if head in fixed and subs[columns[0]] == "":
            continue
        number = len([i for i in items if not i.key.endswith("_comment")]) + 1
        for item, rows_answered in _question(f"Q{number}", head, [(subs[c], rows.iloc[:, c]) for c in columns]):
            items.append(item)
            if rows_answered is not None:
                answered[id(item)] = rows_answered
    closed = [i for i in items if i.closed]
    present = {head for head, columns in blocks if subs[columns[0]] == ""}
    return Source(
        header=Header(path, "surveymonkey", headings, subs, [None] * len(headings), [[]] * len(rows)),
        items=items,
        metadata={key: name for name, key in META.items() if name in present},
        pii={key: name for name, key in PII.items() if name in present},
        finished=last_required(closed, [answered[id(i)] for i in closed]),
    )


def _given(values) -> set[int]:
    return set(values.index[~values.isin(UNANSWERED)])


def _question(key: str, head: str, columns: list[tuple[str, object]]) -> list[tuple[Item, set[int] | None]]:
    """The question(s) under one heading, each with the rows that answered it (None for an open one)."""
    labels = [sub for sub, _ in columns]
    if labels == [OPEN]:
        return [(Item(key, "", "text", head, column=key), None)]
    if labels[0] == RESPONSE:
        return _single(key, head, columns)
    if OTHER not in labels and not all(values[~values.isin(UNANSWERED)].eq(sub).all() for sub, values in columns):
        return [_matrix(key, head, columns)]
    item = Item(key, "", "multi", head, column=key)
    ticked: set[int] = set()
    for code, (sub, values) in enumerate(columns, start=1):
        given = values[~values.isin(UNANSWERED)]
        if sub == OTHER:
            item.choices.append(Choice(code, "Other", text=True))
        elif not given.eq(sub).all():
            item.reason = f"the column {sub!r} holds other answers than its own label: a matrix with a comment, not supported yet"
            return [(item, None)]
        else:
            item.choices.append(Choice(code, sub or f"Choice {code}"))
        ticked |= set(given.index)
    return [(item, ticked)]


def _matrix(key: str, head: str, columns: list[tuple[str, object]]) -> tuple[Item, set[int]]:
    """A matrix or rating scale: a statement per column (its second-row label), the answers observed its scale."""
    item = Item(key, "", "matrix", head, column=key)
    item.statements = [Statement(str(n), f"{key}_{n}", "", sub or f"Statement {n}") for n, (sub, _) in enumerate(columns, 1)]
    observed = {v for _, values in columns for v in values if v not in UNANSWERED}
    numbered = all(LEADING_NUMBER.match(v) for v in observed)
    ordered = sorted(observed, key=lambda v: (float(LEADING_NUMBER.match(v)[0]), v) if numbered else (0.0, v))
    item.choices = [Choice(code, label) for code, label in enumerate(ordered, start=1)]
    item.notes.append(
        "scale as the answers observed, "
        + ("in the order of their numbers" if numbered else "in alphabetical order: put them in the scale's order")
        + " (its codes are the values a mean is taken of)"
    )
    if not item.choices:
        item.reason = "nobody answered it in the export: its scale is unknown"
    answered = set().union(*(_given(values) for _, values in columns))
    return item, answered


def _single(key: str, head: str, columns: list[tuple[str, object]]) -> list[tuple[Item, set[int] | None]]:
    """A single-choice question, its choices the answers observed; an Other text and comment fields beside it."""
    response = columns[0][1]
    observed = sorted({v for v in response if v not in UNANSWERED})
    item = Item(key, "", "single", head, column=key)
    item.choices = [Choice(code, label) for code, label in enumerate(observed, start=1)]
    item.notes.append("choices as the answers observed, in alphabetical order: put them in the questionnaire's order")
    answered = _given(response)
    out: list[tuple[Item, set[int] | None]] = [(item, answered)]
    others = [values for sub, values in columns[1:] if sub == OTHER]
    if others:
        listed = next((c for c in item.choices if c.label.lower().startswith("other")), None)
        if listed is None:
            listed = Choice(len(item.choices) + 1, "Other")
            item.choices.append(listed)
        listed.text = True
        answered |= _given(others[0])
    comments = [sub for sub, _ in columns[1:] if sub != OTHER]
    if len(comments) == 1:
        out.append((Item(f"{key}_comment", "", "text", head, column=f"{key}_comment"), None))
    elif comments:
        out.append((Item(f"{key}_comment", "", "text", head, reason=f"{len(comments)} comment columns: one is read"), None))
    if not item.choices:
        item.reason = "nobody answered it in the export: its choices are unknown"
    return out
