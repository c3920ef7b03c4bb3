"""Tiers: groups of respondents defined by their answer to one rating question."""

from __future__ import annotations

import pandas as pd

from .codebook import Codebook
from .errors import SurveyError
from .tidy import TIER


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
    """Add the ``tier`` column: a tier id, or missing for respondents the rule leaves out."""
    check_tier_rule(rule, codebook)
    tier_of = {choice: level["id"] for level in rule["levels"] for choice in level["choices"]}
    answers = respondents[rule["question"]].astype("object")
    tiered = respondents.copy()
    tiered[TIER] = answers.map(tier_of).astype("string")
    return tiered
