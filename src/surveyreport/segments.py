"""Segment reports: the study's report again for each segment of its respondents.

A study's ``segments:`` block names a single-choice question and, optionally, groups of its
choices (one segment per substantive choice by default). The tiered respondents are split
once into one table per segment; each segment then gets its own crosstabs, charts and
report from the same stage functions as the full report. A segment with fewer respondents
than ``cleaning.min_respondents`` (or none) gets no report: the split says so in one line,
and the segment summary (``segments/segments.csv``) records it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from .codebook import Codebook

SUMMARY_COLUMNS = ["segment", "label", "respondents", "report"]


def segment_rule(segments: dict, codebook: Codebook) -> dict:
    """The segments block with its ``groups`` (one per substantive choice where none are configured) and ``label``."""
    groups = segments.get("groups") or [
        {"id": choice.id, "label": choice.label, "choices": [choice.id]}
        for choice in codebook.question(segments["question"]).substantive
    ]
    label = segments.get("label") or segments["question"].replace("_", " ")
    return {"question": segments["question"], "label": label, "groups": groups}


def segment_problems(segments: dict, codebook: Codebook) -> Iterator[str]:
    """The question exists and is single-choice; each group has its own id and names choices of it."""
    found = [q for q in codebook.questions if q.id == segments["question"]]
    if not found:
        known = ", ".join(q.id for q in codebook.questions)
        yield f"segments.question: {str(segments['question'])[:60]!r} is not a question of the codebook ({known[:200]})"
        return
    question = found[0]
    if question.multi or question.statements or not question.choices or question.numeric:
        yield f"segments.question: {question.id!r} is a {question.type} question; segments need a single-choice one"
        return
    known = {c.id for c in question.choices}
    seen: set[str] = set()
    for i, group in enumerate(segments.get("groups", [])):
        if group["id"] in seen:
            yield f"segments.groups[{i}].id: {group['id']!r} names two segments (ids of segments are unique)"
        seen.add(group["id"])
        for choice in group["choices"]:
            if choice not in known:
                yield (
                    f"segments.groups[{i}].choices: {str(choice)[:60]!r} is not a choice of {question.id!r} "
                    f"({', '.join(sorted(known))[:200]})"
                )


def split(respondents: pd.DataFrame, rule: dict, minimum: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Each segment's respondents (segments of at least ``minimum`` only), and the summary of every segment."""
    answers = respondents[rule["question"]].astype("object")
    tables, rows = {}, []
    for group in rule["groups"]:
        members = respondents[answers.isin(group["choices"]).to_numpy()].reset_index(drop=True)
        if len(members) and len(members) >= minimum:
            tables[group["id"]] = members
            reason = "built"
        else:
            reason = f"skipped: fewer than cleaning.min_respondents ({minimum:,})" if len(members) else "skipped: no respondents"
        rows.append({"segment": group["id"], "label": group["label"], "respondents": len(members), "report": reason})
    return tables, pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def segment_attrition(attrition: pd.DataFrame, group: dict, rule: dict, kept: int) -> pd.DataFrame:
    """The study's attrition with one more step: the valid respondents outside the segment."""
    steps, last = attrition.iloc[:-1], attrition.iloc[-1]
    outside = int(last["remaining"]) - kept
    step = {
        "step": int(last["step"]),
        "reason": "outside_segment",
        "label": f"Outside the segment ({rule['label']}: {group['label']})",
        "excluded": outside,
        "remaining": kept,
    }
    final = {**last.to_dict(), "step": int(last["step"]) + 1, "remaining": kept}
    return pd.concat([steps, pd.DataFrame([step, final])], ignore_index=True)[list(attrition.columns)]


def about(study: dict, rule: dict, group: dict) -> dict:
    """The study's description for a segment's report: its subtitle names the segment."""
    return {**study, "subtitle": f"Segment report, {rule['label']}: {group['label']}. {study['subtitle']}"}
