"""Draft a study's questions from an SPSS ``.sav`` file: what its dictionary says.

Variable labels give the wording, value labels the choices of a closed question,
multiple-response sets (multiple dichotomy) the multi-select questions and their
choices, string variables the open answers, and the measurement level what cannot
be a choice question (a ``scale`` variable without value labels: a number). Single-choice
variables side by side with the same value labels, labelled ``<question> - <statement>``,
are one matrix. The
Qualtrics metadata variables (made SPSS-safe: ``Duration__in_seconds_``) are found
by name; a file from elsewhere may have none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyreadstat

from .draft import METADATA, PII, Choice, Header, Item, Statement, _split_labels
from .draft_export import Source, last_required
from .errors import SurveyError
from .spss import variable

TEXT_OF_CHOICE = re.compile(r"(?P<column>.+)_(?P<code>-?\d+)_TEXT")
SPLIT = re.compile(r"(?P<stem>.+)_(?P<code>\d+)")  # a split multi-select's variable: <question>_<choice code>


def read(path: Path) -> Source:
    """The SPSS file's questions, metadata and personal-data variables."""
    try:
        frame, meta = pyreadstat.read_sav(str(path))
    except Exception as error:  # pyreadstat raises its own error types for unreadable files
        raise SurveyError(f"not a readable SPSS file ({error})", file=path, expected="an SPSS .sav export") from None
    names = list(meta.column_names)
    labels = meta.column_names_to_labels
    metadata = {key: variable(column) for key, (column, _) in METADATA.items() if variable(column) in names}
    pii = {key: variable(column) for key, column in PII.items() if variable(column) in names}
    taken = set(metadata.values()) | set(pii.values())
    sets = {**_tick_groups(frame, names, labels, taken), **meta.mr_sets}
    in_set = {name: set_name for set_name, mr_set in sets.items() for name in mr_set["variable_list"]}
    items: list[Item] = []
    for name in names:
        if name in taken or TEXT_OF_CHOICE.fullmatch(name):
            continue
        set_name = in_set.get(name)
        if set_name is None:
            items.append(_variable(name, frame[name], labels.get(name) or name, meta))
        elif name == sets[set_name]["variable_list"][0]:
            items.append(_multi(set_name, sets[set_name], labels))
    items = _grids(items, meta.variable_value_labels)
    by_column = {i.column: i for i in items}
    for name in names:
        match = TEXT_OF_CHOICE.fullmatch(name)
        item = by_column.get(match["column"]) if match else None
        choice = next((c for c in item.choices if str(c.code) == match["code"]), None) if item else None
        if choice is not None:
            choice.text = True
        elif match:
            items.append(Item(name, "", "text", labels.get(name) or name, column=name))
    answered = [_answered(frame, i, sets) for i in items if i.closed]
    statuses = [int(v) for v in frame[metadata["status"]].dropna()] if "status" in metadata else []
    return Source(
        header=Header(path, "spss", names, [labels.get(n) or "" for n in names], [None] * len(names), [[]] * len(frame)),
        items=items,
        metadata=metadata,
        pii=pii,
        finished=None if {"finished", "progress"} & set(metadata) else last_required([i for i in items if i.closed], answered),
        title=meta.file_label or "",
        statuses=statuses,
    )


def _multi(set_name: str, mr_set: dict, labels: dict) -> Item:
    """A multiple-response set: one choice per variable, labelled by the variable's label past the set's."""
    text = mr_set.get("label") or set_name
    item = Item(set_name, "", "multi", text, column=set_name)
    if not mr_set.get("is_dichotomy", False):
        item.reason = "a multiple-category set: not supported yet (a multiple-dichotomy set is)"
        return item
    variables = list(mr_set["variable_list"])
    numbered = [re.fullmatch(rf"{re.escape(set_name)}_(\d+)", v) for v in variables]
    for n, (name, match) in enumerate(zip(variables, numbered), start=1):
        label = labels.get(name) or name
        label = label[len(text) :].removeprefix(" - ").strip() if label.startswith(text) else label
        item.choices.append(Choice(int(match.group(1)) if all(numbered) else n, label or f"Choice {n}"))
    if not all(numbered):
        item.notes.append(f"its variables are not named {set_name}_<code>: codes numbered here in the set's order")
    return item


def _variable(name: str, values, label: str, meta) -> Item:
    """A single-choice question (value labels), an open one (a string) or a variable the pipeline does not read."""
    value_labels = meta.variable_value_labels.get(name, {})
    measure = meta.variable_measure.get(name, "unknown")
    if meta.readstat_variable_types.get(name) == "string":
        return Item(name, "", "text", label, column=name)
    if not value_labels and measure == "scale":
        return Item(name, "", "numeric", label, column=name)
    if not value_labels:
        return Item(
            name,
            "",
            f"number ({measure})",
            label,
            reason=f"a number without value labels, {measure} (not scale): not a choice question",
        )
    codes = sorted(set(value_labels) | {v for v in values.dropna().unique()})
    if not all(float(c).is_integer() for c in codes):
        return Item(name, "", "single", label, reason="a value that is not a whole number: not a choice code")
    item = Item(name, "", "single", label, column=name)
    item.choices = [Choice(int(c), value_labels.get(c) or f"Code {int(c)}") for c in codes]
    unlabelled = [str(int(c)) for c in codes if c not in value_labels]
    if unlabelled:
        item.notes.append(f"values without a label in the file: {', '.join(unlabelled)}; label them")
    if measure == "ordinal":
        item.notes.append("ordinal in SPSS: its choices are in the order of their codes")
    return item


def _grids(items: list[Item], value_labels: dict) -> list[Item]:
    """Single-choice variables next to each other with the same value labels, labelled ``<question> - <statement>``
    (or sharing a prefix up to " - "), as one ``matrix`` question: a statement per variable, the labels its scale."""
    runs: list[list[Item]] = []
    for item in items:
        previous = runs[-1][-1] if runs else None
        same = (
            previous is not None
            and item.kind == previous.kind == "single"
            and not item.reason
            and not previous.reason
            and value_labels.get(item.column) == value_labels.get(previous.column)
            and " - " in os.path.commonprefix([previous.text, item.text])
        )
        if same:
            runs[-1].append(item)
        else:
            runs.append([item])
    out = []
    for run in runs:
        if len(run) < 2:
            out += run
            continue
        text, statements = _split_labels([i.text for i in run])
        stems = {m["stem"] if (m := SPLIT.fullmatch(i.column)) else i.column for i in run}
        key = stems.pop() if len(stems) == 1 else run[0].column
        grid = Item(key, "", "matrix", text, column=key, choices=run[0].choices, notes=run[0].notes)
        grid.statements = [Statement(str(n), i.column, "", s or i.column) for n, (i, s) in enumerate(zip(run, statements), 1)]
        out.append(grid)
    return out


def _answered(frame, item: Item, sets: dict) -> set[int]:
    """The rows that answered a closed question (ticked anything, for a multi-select)."""
    if item.kind == "multi":
        variables = sets[item.key]["variable_list"]
        return set(frame.index[frame[variables].eq(sets[item.key]["counted_value"]).any(axis=1)])
    return set(frame.index[frame[item.column].notna()])


def _tick_groups(frame, names: list[str], labels: dict, taken: set[str]) -> dict[str, dict]:
    """Multi-select questions a file without multiple-response sets holds as split variables, as sets.

    Variables ``<stem>_<code>`` next to each other that hold only 1 (ticked), 0 or
    nothing, labelled ``<question> - <choice>`` as a Qualtrics export labels them.
    """
    runs: list[tuple[str, list[str]]] = []
    for name in names:
        if TEXT_OF_CHOICE.fullmatch(name):  # a "please specify" text beside its choice
            continue
        match = SPLIT.fullmatch(name)
        ticks = match and name not in taken and set(frame[name].dropna().unique()) <= {0, 1}
        if not ticks:
            runs.append(("", []))
        elif runs and runs[-1][0] == match["stem"]:
            runs[-1][1].append(name)
        else:
            runs.append((match["stem"], [name]))
    groups = {}
    for stem, variables in runs:
        if stem and stem not in names and " - " in (labels.get(variables[0]) or ""):
            text, _ = _split_labels([labels.get(v) or v for v in variables])
            groups[stem] = {"label": text, "variable_list": variables, "is_dichotomy": True, "counted_value": 1}
    return groups
