"""Responses written as each platform exports them: Qualtrics (current and legacy), SurveyMonkey, SPSS.

The writers take the generator's responses: the metadata under the Qualtrics export's
names (``StartDate`` …, already formatted as text) and the answers under their tidy
names. They write the layouts the readers of ``surveyreport`` read.
"""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from surveyreport import spss, surveymonkey
from surveyreport.codebook import Codebook, Question
from surveyreport.errors import SurveyError
from surveyreport.parse import STATUS_WORDS
from surveyreport.qualtrics import METADATA_COLUMNS, ExportColumn, question_columns
from surveyreport.tidy import DATE_FORMAT

# ----------------------------------------------------------------------------- Qualtrics


def _compact(import_id: str) -> str:
    return json.dumps({"ImportId": import_id}, separators=(",", ":"))


def _qualtrics_cells(responses: pd.DataFrame, question: Question, unsplit: str | None) -> list[tuple[str, str, str, list[str]]]:
    """(column ID, label, ImportId JSON, cells) of each export column of one question."""
    columns = question_columns(question)
    if not (question.multi and unsplit):
        return [(c.name, c.label, c.import_id, _export_values(responses, c)) for c in columns]
    ticked = pd.DataFrame({c: responses[question.choice_column(c)].astype("boolean").fillna(False) for c in question.choices})
    names = {c: str(c.code) if unsplit == "codes" else c.label for c in question.choices}
    joined = [",".join(names[c] for c in question.choices if row[c]) for _, row in ticked.iterrows()]
    texts = [(c.name, c.label, c.import_id, _export_values(responses, c)) for c in columns if c.is_text]
    return [(question.column, question.text, _compact(question.import_id), joined), *texts]


def _write_rows(path: str | Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def write_qualtrics(responses: pd.DataFrame, codebook: Codebook, path: str | Path, unsplit: str | None = None) -> None:
    """Write responses (export metadata columns + tidy question columns) as a Qualtrics current CSV.

    ``responses`` holds the metadata under their export names (``StartDate`` …,
    already formatted as text) and the answers under their tidy names.
    ``unsplit`` ("codes" or "labels") writes each multi-select question in one
    column, its ticked choices joined by commas.
    """
    columns = [
        (name, label, _compact(import_id), responses[name].fillna("").astype(str).tolist())
        for name, label, import_id in METADATA_COLUMNS
    ]
    for question in codebook.questions:
        columns.extend(_qualtrics_cells(responses, question, unsplit))
    names, labels, import_ids, cells = zip(*columns)
    _write_rows(path, [list(names), list(labels), list(import_ids), *map(list, zip(*cells))])


def write_qualtrics_legacy(responses: pd.DataFrame, codebook: Codebook, path: str | Path) -> None:
    """Write responses as the Qualtrics legacy exporter did: ``V1``… IDs, labels, BOM, trailing empty column."""
    name = responses["RecipientLastName"].fillna("") + ", " + responses["RecipientFirstName"].fillna("")
    values = {
        "ResponseID": responses["ResponseId"],
        "ResponseSet": pd.Series("Default Response Set", index=responses.index),
        "Name": name.where(name != ", ", ""),
        "ExternalDataReference": responses["ExternalReference"],
        "EmailAddress": responses["RecipientEmail"],
        "IPAddress": responses["IPAddress"],
        "Status": responses["Status"],
        "StartDate": responses["StartDate"],
        "EndDate": responses["EndDate"],
        "Finished": responses["Finished"],
    }
    ids = [f"V{n}" for n in range(1, len(values) + 1)]
    labels = list(values)
    cells = [v.fillna("").astype(str).tolist() for v in values.values()]
    for question in codebook.questions:
        for column, label, _, values_ in _qualtrics_cells(responses, question, None):
            ids.append(column)
            labels.append(label)
            cells.append(values_)
    rows = [[*ids, ""], [*labels, ""], *([*row, ""] for row in zip(*cells))]
    _write_rows(path, rows, encoding="utf-8-sig")


def _export_values(responses: pd.DataFrame, col: ExportColumn) -> list[str]:
    question = col.question
    if col.is_text:
        series = responses[question.text_column(col.choice)]
        return series.astype("string").fillna("").tolist()
    if question.multi:
        ticked = responses[question.choice_column(col.choice)].astype("boolean").fillna(False)
        return ticked.map({True: "1", False: ""}).tolist()
    if question.closed:
        codes = {c.id: str(c.code) for c in question.choices}
        return [codes.get(value, "") for value in responses[question.id].astype(object)]
    return responses[question.id].astype("string").fillna("").tolist()


# ----------------------------------------------------------------------------- SurveyMonkey


def write_surveymonkey(responses: pd.DataFrame, codebook: Codebook, path: str | Path) -> None:
    """Write responses (as ``write_qualtrics`` takes them) as a SurveyMonkey CSV export."""
    dates = {
        name: pd.to_datetime(responses[column]).dt.strftime(surveymonkey.DATE_FORMAT)
        for name, column in (("Start Date", "StartDate"), ("End Date", "EndDate"))
    }
    metadata = {
        "Respondent ID": responses["ResponseId"],
        "Collector ID": pd.Series("4012345", index=responses.index),
        **dates,
        "IP Address": responses["IPAddress"],
        "Email Address": responses["RecipientEmail"],
        "First Name": responses["RecipientFirstName"],
        "Last Name": responses["RecipientLastName"],
        "Custom Data 1": responses["ExternalReference"],
    }
    headings, subs, cells = [], [], []
    for name, values in metadata.items():
        headings.append(name)
        subs.append("")
        cells.append(values.fillna("").astype(str).tolist())
    for question in codebook.questions:
        for n, (sub, values) in enumerate(_surveymonkey_cells(responses, question)):
            headings.append(surveymonkey.heading(question) if n == 0 else "")
            subs.append(sub)
            cells.append(values)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerows([headings, subs, *zip(*cells)])


def _surveymonkey_cells(responses: pd.DataFrame, question: Question) -> list[tuple[str, list[str]]]:
    if question.statements:  # a matrix: a column per statement, the chosen answer's text in it
        labels = {c.id: c.label for c in question.choices}
        return [(p.statement, [labels.get(v, "") for v in responses[p.id].astype(object)]) for p in question.parts]
    if not question.closed:
        return [(surveymonkey.OPEN, responses[question.id].astype("string").fillna("").tolist())]
    other = next((c for c in question.choices if c.text), None)
    text = responses[question.text_column(other)].astype("string").fillna("") if other else None
    if question.multi:
        out = []
        for choice in question.choices:
            ticked = responses[question.choice_column(choice)].astype("boolean").fillna(False)
            if choice is other:
                out.append((surveymonkey.OTHER, [t or choice.label if tick else "" for tick, t in zip(ticked, text)]))
            else:
                out.append((choice.label, [choice.label if tick else "" for tick in ticked]))
        return out
    labels = {c.id: c.label for c in question.choices}
    chosen = [value if isinstance(value, str) else None for value in responses[question.id].astype(object)]
    response = [labels.get(value, "") for value in chosen]
    if other is None:
        return [(surveymonkey.RESPONSE, response)]
    typed = [t if value == other.id else "" for value, t in zip(chosen, text)]
    response = ["" if value == other.id and t else r for value, t, r in zip(chosen, typed, response)]
    return [(surveymonkey.RESPONSE, response), (surveymonkey.OTHER, typed)]


# ----------------------------------------------------------------------------- SPSS

# Metadata written as SPSS numbers or dates (the rest as text).
NUMERIC_METADATA = {"Status", "Progress", "Duration (in seconds)", "Finished", "LocationLatitude", "LocationLongitude"}
DATE_METADATA = {"StartDate", "EndDate", "RecordedDate"}


def write_spss(responses: pd.DataFrame, codebook: Codebook, path: str | Path) -> None:
    """Write responses (as ``write_qualtrics`` takes them) as an SPSS file with value labels and MR sets."""
    data: dict[str, pd.Series] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {spss.variable("Status"): {float(v): k for k, v in STATUS_WORDS.items()}}
    for name, label, _ in METADATA_COLUMNS:
        values = responses[name].replace("", pd.NA)
        if name in DATE_METADATA:
            values = pd.to_datetime(values, format=DATE_FORMAT)
        elif name in NUMERIC_METADATA:
            values = pd.to_numeric(values).astype(float)
        else:
            values = values.fillna("").astype(str)
        data[spss.variable(name)], labels[spss.variable(name)] = values, label
    sets = []
    measures: dict[str, str] = {}
    for question in codebook.questions:
        if question.statements and question.closed:  # a grid: a variable per statement, the scale's value labels on each
            for part in question.parts:
                codes = {c.id: float(c.code) for c in question.choices}
                data[part.column] = responses[part.id].astype(object).map(codes).astype(float)
                labels[part.column] = f"{question.text} - {part.statement}"
                value_labels[part.column] = {float(c.code): c.label for c in question.choices}
        elif question.numeric and not question.statements:
            data[question.column] = pd.to_numeric(responses[question.id]).astype(float)
            labels[question.column], measures[question.column] = question.text, "scale"
        elif question.multi:
            answered = pd.concat([responses[question.choice_column(c)].notna() for c in question.choices], axis=1).any(axis=1)
            for choice in question.choices:
                ticked = responses[question.choice_column(choice)].astype("boolean").fillna(False).astype(float)
                data[f"{question.column}_{choice.code}"] = ticked.where(answered, np.nan)
                labels[f"{question.column}_{choice.code}"] = f"{question.text} - {choice.label}"
            sets.append((question.column, question.text, [f"{question.column}_{c.code}" for c in question.choices]))
        elif question.closed:
            codes = {c.id: float(c.code) for c in question.choices}
            data[question.column] = responses[question.id].astype(object).map(codes).astype(float)
            labels[question.column] = question.text
            value_labels[question.column] = {float(c.code): c.label for c in question.choices}
        else:
            data[question.column] = responses[question.id].astype("string").fillna("").astype(str)
            labels[question.column] = question.text
        for col in question_columns(question):
            if col.is_text:
                data[col.name] = responses[question.text_column(col.choice)].astype("string").fillna("").astype(str)
                labels[col.name] = col.label
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        pd.DataFrame(data), str(path), column_labels=labels, variable_value_labels=value_labels, variable_measure=measures or None
    )
    _add_multiple_response_sets(path, sets)


def _add_multiple_response_sets(path: Path, sets: list[tuple[str, str, list[str]]]) -> None:
    """Add multiple-dichotomy sets (counted value 1) to a .sav file: ``pyreadstat.write_sav`` cannot.

    The MRSETS record (type 7, subtype 7) goes just before the dictionary's
    terminator (type 999); reading the file back checks the result.
    """
    if not sets:
        return
    text = b""
    for name, label, variables in sets:
        encoded = label.encode("utf-8")
        text += f"${name}=D1 1 {len(encoded)} ".encode() + encoded + (" " + " ".join(variables) + "\n").encode()
    record = struct.pack("<iiii", 7, 7, 1, len(text)) + text
    raw = path.read_bytes()
    end = raw.index(struct.pack("<ii", 999, 0))
    path.write_bytes(raw[:end] + record + raw[end:])
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    if set(meta.mr_sets) != {name for name, _, _ in sets}:
        raise SurveyError("the multiple-response sets did not survive writing", file=path)
