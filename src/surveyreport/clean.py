"""Cleaning: recode "Other" answers that belong to a listed choice, then exclude rows.

Exclusion rules run in the configured order; each row is excluded once, under
the first rule it breaks, so raw rows = kept + the sum of exclusions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from .codebook import Codebook
from .errors import SurveyError
from .tidy import received_order

KEPT = "kept"
METADATA = {"response_id", "recorded", "status", "progress", "duration", "finished", "identity_group"}  # what rules read


def recode_other(frame: pd.DataFrame, rules: list[dict], codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move "Other (please specify)" answers whose text matches a rule to the listed choice.

    Returns the recoded frame and one row per recoded answer (response, question, text, choice).
    """
    frame = frame.copy(deep=False)  # copy-on-write: only the columns a rule changes are copied
    log = []
    for rule in rules:
        question = codebook.question(rule["question"])
        target = question.choice(rule["to"])
        other = next((c for c in question.choices if c.text), None)
        if other is None:
            raise SurveyError(f"recode rule for {question.id!r}: the question has no 'please specify' choice")
        text_column = question.text_column(other)
        texts = frame[text_column]
        try:
            pattern = re.compile(rule["pattern"])
        except re.error as error:
            raise SurveyError(f"recode pattern {rule['pattern']!r} is not a regular expression: {error}") from None
        codes, distinct = pd.factorize(texts)  # each distinct text searched once; missing: -1, no hit
        found = np.array([pattern.search(text) is not None for text in distinct] + [False], dtype=bool)
        hit = pd.Series(found[codes], index=texts.index)
        if question.multi:
            frame.loc[hit, question.choice_column(target)] = True
            frame.loc[hit, question.choice_column(other)] = False
        else:
            frame.loc[hit, question.id] = target.id
        log.extend(
            {"row": row, "response_id": rid, "question": question.id, "text": text, "recoded_to": target.id}
            for row, rid, text in zip(frame.index[hit], frame.loc[hit, "response_id"], texts[hit])
        )
        frame.loc[hit, text_column] = pd.NA
    columns = ["row", "response_id", "question", "text", "recoded_to"]
    return frame, pd.DataFrame(log, columns=columns)


def columns_read(config: dict, codebook: Codebook) -> list[str]:
    """The tidy columns cleaning reads or changes: the metadata, the questions its rules name, the recoded ones."""
    named = _named_questions(config["exclusions"])
    return list(dict.fromkeys([*sorted(METADATA), *named, *recoded_columns(config.get("recode_other", []), codebook)]))


def _named_questions(steps: list[dict]) -> list[str]:
    """The questions the exclusion rules name (``question``, ``questions``)."""
    return [q for step in steps for q in [step.get("question"), *step.get("questions", [])] if q]


def recoded_columns(rules: list[dict], codebook: Codebook) -> list[str]:
    """The tidy columns ``recode_other`` may change: those of the questions its rules recode."""
    names = dict.fromkeys(column.tidy for rule in rules for column in codebook.question(rule["question"]).columns)
    return list(names)


def _status(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    return frame["status"].isin(step["drop_status"])


def _incomplete(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    return ~frame["finished"].fillna(False).astype(bool) | (frame["progress"] < step["min_progress"]).fillna(True)


def _screened_out(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    question = codebook.question(step["question"])
    for choice in step["choices"]:
        question.choice(choice)
    return frame[question.id].isin(step["choices"]).astype(bool)


def _duplicate(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    """Every response of an identity but its first (by recorded date, then response ID)."""
    order = received_order(frame)
    repeated = np.empty(len(frame), dtype=bool)
    repeated[order] = frame["identity_group"].iloc[order].duplicated(keep="first").to_numpy()
    return pd.Series(repeated, index=frame.index)


def _speeder(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    unknown = frame["duration"].isna()
    if unknown.any():
        raise SurveyError(
            f"the speeder rule needs every response's duration: {int(unknown.sum()):,} have none (a blank start or end date), "
            f"the first {frame.loc[unknown, 'response_id'].iloc[0]!r}",
            expected="a duration or both dates on every response, or no speeder rule",
        )
    median = frame["duration"].median()
    return (frame["duration"] < step["max_share_of_median"] * median).fillna(False).astype(bool)


def _straightliner(frame: pd.DataFrame, step: dict, codebook: Codebook) -> pd.Series:
    """The same choice on every question of a battery, with at least ``min_answered`` of them answered."""
    questions = [codebook.question(q) for q in step["questions"]]
    codes = pd.DataFrame(
        {q.id: frame[q.id].astype(object).map({c.id: c.code for c in q.choices}) for q in questions}, index=frame.index
    )
    answered = codes.notna().sum(axis=1)
    return (answered >= step["min_answered"]) & (codes.nunique(axis=1) == 1)


# What a rule reads, by tidy name: any one of the alternatives (``survey.finished`` provides "finished").
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "status": (("status",),),
    "incomplete": (("finished",), ("progress",)),
    "speeder": (("duration",), ("start", "end")),
    "duplicate": (("email",), ("ip_address",)),
}


def unmet(rule: str, available: set[str]) -> str | None:
    """What ``rule`` needs and ``available`` (the export's metadata and personal data) lacks, in words; None if nothing."""
    alternatives = NEEDS.get(rule, ())
    if not alternatives or any(set(names) <= available for names in alternatives):
        return None
    return ", or ".join(" and ".join(names) for names in alternatives)


RULES: dict[str, Callable[[pd.DataFrame, dict, Codebook], pd.Series]] = {
    "status": _status,
    "incomplete": _incomplete,
    "screened_out": _screened_out,
    "duplicate": _duplicate,
    "speeder": _speeder,
    "straightliner": _straightliner,
}


# The rules that judge a row among the rows remaining (the first response of an identity, the median duration), and
# the columns of those rows they read; the others judge each row by itself.
AMONG_REMAINING = {"duplicate": ["response_id", "recorded", "identity_group"], "speeder": ["response_id", "duration"]}


def dispositions(frame: pd.DataFrame, steps: list[dict], codebook: Codebook) -> pd.Series:
    """The reason each raw row is excluded (its first broken rule), or ``kept``."""
    # the rules read the metadata and the questions they name, no other column
    named = set(_named_questions(steps))
    frame = frame[[c for c in frame.columns if c in METADATA or c in named]]
    broken = np.zeros(len(frame), dtype=np.int64)  # the number of the first rule a row breaks; 0: kept
    for number, step in enumerate(steps, start=1):
        if step["rule"] not in RULES:
            raise SurveyError(f"unknown cleaning rule {step['rule']!r}", expected=f"one of {', '.join(RULES)}")
        rule = RULES[step["rule"]]
        if step["rule"] not in AMONG_REMAINING:  # judged on every row at once: no copy of the rows remaining
            broken[rule(frame, step, codebook).to_numpy(dtype=bool) & (broken == 0)] = number
            continue
        remaining = np.flatnonzero(broken == 0)
        hit = rule(frame[AMONG_REMAINING[step["rule"]]].iloc[remaining], step, codebook).to_numpy(dtype=bool)
        broken[remaining[hit]] = number
    reasons = np.array([KEPT, *(step["reason"] for step in steps)], dtype=object)
    return pd.Series(reasons[broken], index=frame.index, dtype="string")


def attrition(reason: pd.Series, steps: list[dict]) -> pd.DataFrame:
    """Raw rows, then each exclusion in order with what remains, then the respondents kept."""
    rows = [{"step": 0, "reason": "raw", "label": "Responses in the raw export", "excluded": 0, "remaining": len(reason)}]
    remaining = len(reason)
    for number, step in enumerate(steps, start=1):
        excluded = int((reason == step["reason"]).sum())
        remaining -= excluded
        rows.append(
            {"step": number, "reason": step["reason"], "label": step["label"], "excluded": excluded, "remaining": remaining}
        )
    kept = int((reason == KEPT).sum())
    if kept != remaining:
        raise AssertionError(f"attrition does not add up: {remaining} remaining but {kept} kept")
    rows.append({"step": len(steps) + 1, "reason": KEPT, "label": "Valid respondents", "excluded": 0, "remaining": kept})
    return pd.DataFrame(rows)


def require_respondents(attrition: pd.DataFrame, minimum: int) -> None:
    """Stop when cleaning keeps fewer than ``minimum`` respondents, naming the rule that removed the most."""
    kept = int(attrition["remaining"].iloc[-1])
    if kept >= minimum:
        return
    raw = int(attrition["remaining"].iloc[0])
    message = f"cleaning keeps {kept:,} of {raw:,} responses, fewer than cleaning.min_respondents ({minimum:,})"
    steps = attrition.iloc[1:-1]
    if len(steps) and steps["excluded"].max() > 0:
        most = steps.loc[steps["excluded"].idxmax()]
        message += f"; the rule that removed the most is {most['reason']!r} ({most['label']}): {int(most['excluded']):,}"
    raise SurveyError(message)


def clean(frame: pd.DataFrame, config: dict, codebook: Codebook) -> dict[str, pd.DataFrame]:
    """Recode, then exclude: the kept respondents, every row's disposition, the attrition and recodes."""
    recoded, recodes = recode_other(frame, config.get("recode_other", []), codebook)
    reason = dispositions(recoded, config["exclusions"], codebook)
    kept = (reason == KEPT).to_numpy()
    return {
        "respondents": recoded[kept].reset_index(drop=True),
        "dispositions": pd.DataFrame({"response_id": recoded["response_id"], "disposition": reason}),
        "attrition": attrition(reason, config["exclusions"]),
        "recodes": recodes[reason.reindex(recodes.pop("row")).eq(KEPT).to_numpy()].reset_index(drop=True),
    }
