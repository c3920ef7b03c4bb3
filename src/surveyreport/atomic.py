"""Every output is written whole under a temporary name beside it, then renamed into place.

A reader, or the next job, sees the old file or the new one, never a part of one. The
temporary name starts with a dot and ends in ``.tmp``; a run that is killed can leave
such files behind, and the next run removes them (``surveyreport.publish.prepare``).
Files get the mode the user's umask gives any new file (``mkstemp`` alone makes them
private: 0600).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import cannot, os_error_in

TMP_SUFFIX = ".tmp"


def umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write`` with a temporary path beside ``path``, then rename the file it wrote to ``path``.

    An operating-system error (disk full, permission denied, read-only file system) becomes a
    SurveyError naming ``path``: "cannot write PATH: no space left on device".
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
        try:
            os.fchmod(handle, 0o666 & ~umask())
        finally:
            os.close(handle)
    except OSError as error:
        raise cannot("write", path, error) from None
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        cause = os_error_in(error)
        if cause is None:
            raise
        raise cannot("write", path, cause) from error


def write_text(path: str | Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            out.write(text)

    write_atomically(path, write)
