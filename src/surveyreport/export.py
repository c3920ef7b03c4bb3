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

UNANSWERED = {"", "-99"}  # the cells of a question not answered (-99: seen but not answered)


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

    def name(self, column: str) -> str:
        return self.names.get(column, column)

    def reject(self, bad: pd.Series, values: pd.Series, column: str, message: str, expected: str) -> None:
        """Raise a located error for the first cell where ``bad`` holds; ``message`` formats ``{value}``."""
        if bad.any():
            first = int(bad.to_numpy().nonzero()[0][0])
            raise SurveyError(
                message.format(value=values.iloc[first]),
                file=self.path,
                row=first + self.first_row,
                column=self.name(column),
                expected=expected,
            )


def check_columns(header: list[str], path: Path, codebook: Codebook, columns: list[str], known: set[str]) -> None:
    """Refuse repeated IDs, another survey's export or missing columns; warn of columns the codebook does not know."""
    duplicates = sorted({c for c in header if c and header.count(c) > 1})
    if duplicates:
        raise SurveyError(f"column IDs repeat: {', '.join(duplicates)}", file=path, row=1)
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
