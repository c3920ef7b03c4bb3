"""Segment reports: the study's report again for each segment of its respondents.

A study's ``segments:`` block names a single-choice question and, optionally, groups of its
choices (one segment per substantive choice by default). The tiered respondents are split
once into one table per segment, and in the same pass each segment's crosstabs are made;
one job then draws every segment's charts, and each segment gets its own report job: the
same stage functions as the full report's, each library imported once per stage, not once
per segment. A segment with fewer respondents than ``cleaning.min_respondents`` (or none)
gets no report: the split says so in one line, and the segment summary
(``segments/segments.csv``) records it.
"""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook
from .tiers import answer_groups

SUMMARY_COLUMNS = ["segment", "label", "respondents", "report"]


def segment_rule(segments: dict, codebook: Codebook) -> dict:
    """The segments block with its ``groups`` (one per substantive choice where none are configured) and ``label``."""
    groups = segments.get("groups") or answer_groups(codebook.question(segments["question"]))
    label = segments.get("label") or segments["question"].replace("_", " ")
    return {"question": segments["question"], "label": label, "groups": groups}


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


def built(summary: str) -> list[str]:
    """The segments the summary file says get a report, in its order."""
    table = pd.read_csv(summary, dtype=str, keep_default_na=False)
    return table.loc[table["report"] == "built", "segment"].tolist()


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
    subtitle = f"Segment report, {rule['label']}: {group['label']}. {study['subtitle']}"
    return {**study, "subtitle": subtitle, "segment": group["label"]}
