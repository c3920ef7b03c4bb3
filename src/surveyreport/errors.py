"""Errors a user can act on, and the wrapper that shows them without a traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("surveyreport")


class SurveyError(Exception):
    """A problem with the user's input or configuration, stated so they can fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ):
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = (": ".join([", ".join(where), self.message])) if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


def run_step(step: Callable[[], None], log_path: str | Path | None = None) -> None:
    """Run one pipeline step; on a SurveyError print the message alone and exit 1.

    The step's log records go to ``log_path`` (a rule's ``log:`` file) and stderr.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True
    )
    try:
        step()
    except SurveyError as error:
        log.error("%s", error)
        sys.exit(1)
