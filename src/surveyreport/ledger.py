"""The ledger: every number the report prints, with where it came from.

While a ledger is active (``with ledger.active():``), each formatted number is
recorded as it is printed: the text shown, its value, and the question, banner
column, numerator and base behind it. Counts are ``Count`` objects, integers that
record themselves when a template prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd
from markupsafe import escape

COLUMNS = ["text", "kind", "value", "question", "column", "numerator", "base", "source"]
_CURRENT: ContextVar[Ledger | None] = ContextVar("ledger", default=None)


class Ledger:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    @contextmanager
    def active(self) -> Iterator[Ledger]:
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def frame(self) -> pd.DataFrame:
        """One row per distinct number printed, in order of first appearance."""
        frame = pd.DataFrame(self.entries, columns=COLUMNS, dtype=object)
        frame = frame.map(lambda v: "" if v is None else str(v))
        return frame.drop_duplicates().reset_index(drop=True)


@contextmanager
def quiet() -> Iterator[None]:
    """Format without recording (for text that is not printed on the page, such as alt text)."""
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def record(text: str, kind: str, value, question="", column="", numerator=None, base=None, source="") -> str:
    """Record ``text`` in the active ledger, if any, and return it."""
    ledger = _CURRENT.get()
    if ledger is not None:
        ledger.entries.append(
            {
                "text": text,
                "kind": kind,
                "value": value,
                "question": question,
                "column": column,
                "numerator": numerator,
                "base": base,
                "source": source,
            }
        )
    return text


class Count(int):
    """A whole number from the results that records itself when printed."""

    def __new__(cls, value: int, kind: str = "count", question: str = "", column: str = "", source: str = ""):
        count = super().__new__(cls, int(value))
        count.kind, count.question, count.column, count.source = kind, question, column, source
        return count

    def __html__(self) -> str:
        return str(escape(record(f"{int(self):,}", self.kind, int(self), self.question, self.column, source=self.source)))


class Printed:
    """A number formatted in advance that records itself when a template prints it (as a Count does)."""

    def __init__(self, text: str, kind: str, value, source: str = ""):
        self.text, self.kind, self.value, self.source = text, kind, value, source

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(record(self.text, self.kind, self.value, source=self.source)))


def show(value) -> str:
    """Text of a value as a template would print it (recording a Count)."""
    return str(escape(value))
