"""Tiers: groups of respondents defined by their answer to one rating question.

A study without a ``tiers:`` block has the rule ``NO_TIERS``: no groups, a total-only report.
Banners (``banners:``) are further breaks of the appendix and the workbook; ``banner_columns``
completes one: a column per substantive choice of its question unless it groups them.
"""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook
from .errors import SurveyError
from .tidy import TIER

# The tier rule of a study that configures none: no question, no groups (the report gives the total only).
NO_TIERS = {"question": None, "label": "", "levels": []}


def tier_rule(config: dict) -> dict:
    """The study's tier rule, ``NO_TIERS`` where its configuration has no ``tiers:`` block."""
    return config.get("tiers") or NO_TIERS


def check_tier_rule(rule: dict, codebook: Codebook) -> None:
    """Every tier names choices of the rating question, and no choice is in two tiers."""
    question = codebook.question(rule["question"])
    seen: dict[str, str] = {}
    for level in rule["levels"]:
        for choice in level["choices"]:
            question.choice(choice)
            if choice in seen:
                raise SurveyError(
                    f"tier rule: choice {choice!r} is in tiers {seen[choice]!r} and {level['id']!r}",
                    expected="each choice in one tier at most",
                )
            seen[choice] = level["id"]


def assign_tiers(respondents: pd.DataFrame, rule: dict, codebook: Codebook) -> pd.DataFrame:
    """Add the ``tier`` column: a tier id, or missing for respondents the rule leaves out (everyone, without tiers)."""
    tiered = respondents.copy(deep=False)  # copy-on-write: the respondents' columns are shared, not copied
    if not rule["levels"]:
        tiered[TIER] = pd.Series(pd.NA, index=respondents.index, dtype="string")
        return tiered
    check_tier_rule(rule, codebook)
    tier_of = {choice: level["id"] for level in rule["levels"] for choice in level["choices"]}
    tiered[TIER] = respondents[rule["question"]].map(tier_of).astype("string")  # a category's tier looked up once
    return tiered


def answer_groups(question) -> list[dict]:
    """A group per substantive answer of a single-choice question: a banner's columns, segments, where none are configured."""
    return [{"id": choice.id, "label": choice.label, "choices": [choice.id]} for choice in question.substantive]


def banner_columns(banner: dict, codebook: Codebook) -> dict:
    """The banner with its ``columns`` (one per substantive choice where none are configured) and ``compare_total``."""
    columns = banner.get("columns") or answer_groups(codebook.question(banner["question"]))
    label = banner.get("label") or banner["id"].replace("_", " ").capitalize()
    return {**banner, "label": label, "columns": columns, "compare_total": banner.get("compare_total", False)}
