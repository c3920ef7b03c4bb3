"""The intermediate every platform's reader produces, and the checks every reader makes.

Each platform's reader (``qualtrics``, ``surveymonkey``, ``spss``) turns its file
into an :class:`Export`: the responses as text, metadata under tidy names, personal
data apart, answers under the codebook's column names. ``parse`` then types, checks
and de-identifies every format alike; its messages name the file's own rows and
columns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codebook import Codebook
from .errors import SurveyError
from .tidy import DATE_FORMAT

log = logging.getLogger("surveyreport")

UNANSWERED = {"", "-99"}
MAX_LISTED = 10  # bad values an error lists with their rows; the rest are counted  # the cells of a question not answered (-99: seen but not answered)


@dataclass
class Export:
    """One platform's export, cell text under the names the parser knows.

    ``meta`` holds tidy metadata names (``response_id``, ``start`` …; a platform
    without a column leaves it out and the parser derives or blanks it), ``pii``
    the codebook's personal-data keys, ``answers`` the codebook's export columns
    (split multi-select ``Qn_code``, ``_TEXT`` columns). ``first_row`` is the
    file's number of the first response; ``names`` gives a column as the file
    names it, for messages.
    """

    path: Path
    platform: str
    meta: pd.DataFrame
    pii: pd.DataFrame
    answers: pd.DataFrame
    first_row: int
    names: dict[str, str] = field(default_factory=dict)
    date_format: str = DATE_FORMAT
    problems: list[Problem] = field(default_factory=list)

    def name(self, column: str) -> str:
        return self.names.get(column, column)

    def reject(self, bad: pd.Series, values: pd.Series, column: str, message: str, expected: str) -> None:
        """Note the cells where ``bad`` holds (``message`` formats ``{value}``); ``report`` raises them all at once."""
        if not bad.any():
            return
        rows = bad.to_numpy().nonzero()[0]
        listed = [(int(r) + self.first_row, shortened(values.iloc[int(r)])) for r in rows[:MAX_LISTED]]
        self.problems.append(Problem(self.name(column), message, expected, listed, len(rows)))

    def report(self) -> None:
        """Raise one SurveyError naming every bad value noted: the first ``MAX_LISTED`` with their rows, a count of the rest."""
        problems, self.problems = self.problems, []
        total = sum(p.count for p in problems)
        if total == 1:
            p = problems[0]
            ((row, value),) = p.listed
            raise SurveyError(p.message.format(value=value), file=self.path, row=row, column=p.column, expected=p.expected)
        if total == 0:
            return
        cells = sorted((row, n, value) for n, p in enumerate(problems) for row, value in p.listed)[:MAX_LISTED]
        lines, shown = [], set()
        for row, n, value in cells:  # by row; each column's expectation with its first cell
            p = problems[n]
            expected = "" if n in shown else f" (expected {p.expected})"
            shown.add(n)
            lines.append(f"  row {row}, column {p.column!r}: {p.message.format(value=value)}{expected}")
        columns = len({p.column for p in problems})
        more = f"\n  and {total - len(lines):,} more" if total > len(lines) else ""
        raise SurveyError(f"{total:,} values cannot be read, in {columns} column(s):\n" + "\n".join(lines) + more, file=self.path)


@dataclass(frozen=True)
class Problem:
    """The bad cells of one column: the first ``MAX_LISTED`` (file row, value) and how many there are."""

    column: str
    message: str
    expected: str
    listed: list[tuple[int, object]]
    count: int


def shortened(value: object, limit: int = 60) -> object:
    """A cell's text shortened for a message (a 100,000-character answer is not printed whole)."""
    return value[: limit - 1] + "…" if isinstance(value, str) and len(value) > limit else value


def occurrence(name: str, k: int) -> str:
    """The name a codebook gives the ``k``-th column (from 1) whose ID ``name`` repeats: ``2:question_one_1``."""
    return f"{k}:{name}"


def number_repeats(header: list[str], wanted: set[str]) -> list[str]:
    """The header with each repeated column ID the codebook names by occurrence (``2:Q5_1``) so named.

    A legacy export names a grid's columns by its statements' export tags alone
    (``question_one_1``), so grids sharing them repeat their IDs with nothing else to tell
    them apart; the codebook then names each by its place among the columns of that ID.
    Other repeated IDs are left for ``check_columns`` (or the ImportIds) to judge.
    """
    names = list(header)
    for name in {c for c in header if c and header.count(c) > 1}:
        positions = [i for i, c in enumerate(header) if c == name]
        if any(occurrence(name, k) in wanted for k in range(1, len(positions) + 1)):
            for k, i in enumerate(positions, start=1):
                names[i] = occurrence(name, k)
    return names


def check_columns(
    header: list[str], path: Path, codebook: Codebook, columns: list[str], known: set[str], labels: list[str] | None = None
) -> None:
    """Refuse a repeated ID the codebook reads, another survey's export or missing columns; warn of columns it does not know.

    ``labels`` (the question text of each column, where the export has it) describe repeated columns.
    """
    repeated = [c for c in dict.fromkeys(columns) if header.count(c) > 1]
    if repeated:
        positions = [i for i, c in enumerate(header) if c == repeated[0]]
        described = [f"column {i + 1}" + (f" ({labels[i]!r})" if labels else "") for i in positions]
        raise SurveyError(
            f"the column ID {repeated[0]!r} repeats: {' and '.join(described[:2])}"
            + (f" and {len(described) - 2} more" if len(described) > 2 else "")
            + (f"; also repeated: {', '.join(repeated[1:])}" if len(repeated) > 1 else ""),
            file=path,
            row=1,
            expected="one column of each ID the codebook reads (or ImportIds that tell the codebook's apart, "
            f"or the codebook naming each by its place: {occurrence(repeated[0], 1)!r}, {occurrence(repeated[0], 2)!r} …)",
        )
    questions = [c for c in columns if c not in known]
    absent = [c for c in questions if c not in header]
    if len(absent) > len(questions) / 2:
        raise SurveyError(
            f"{len(absent)} of the {len(questions)} question columns the codebook names are missing: "
            "is this an export of another survey?",
            file=path,
            row=1,
            expected=f"the questionnaire in {codebook.source}",
        )
    missing = [c for c in columns if c not in header]
    if missing:
        raise SurveyError(
            f"required column(s) missing: {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}",
            file=path,
            row=1,
            expected="the columns the codebook names",
        )
    unknown = [c for c in header if c not in known and c not in columns and c != ""]
    if unknown:
        log.warning("%s: %d column(s) the codebook does not know are ignored: %s", path, len(unknown), ", ".join(unknown[:10]))
