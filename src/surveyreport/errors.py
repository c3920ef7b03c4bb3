"""Errors a user can act on, and the wrapper that shows them without a traceback."""

from __future__ import annotations

import logging
import os
import stat
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


def reason(error: OSError) -> str:
    """The system's wording of an operating-system error, without its number: "no space left on device"."""
    text = os.strerror(error.errno) if error.errno else (error.strerror or str(error))
    return text[:1].lower() + text[1:]


def cannot(action: str, path: str | Path, error: OSError) -> SurveyError:
    """An operating-system error as one line naming the file: "cannot write PATH: permission denied"."""
    return SurveyError(f"cannot {action} {path}: {reason(error)}")


def os_error_in(error: BaseException) -> OSError | None:
    """The operating-system error behind ``error``: itself, or one it was raised from or while handling."""
    seen = set()
    while error is not None and id(error) not in seen and not isinstance(error, SurveyError):
        if isinstance(error, OSError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def located(error: OSError) -> str:
    """One line for an operating-system error no step turned into a SurveyError."""
    if error.filename is not None and error.filename2 is not None:
        return f"{error.filename} -> {error.filename2}: {reason(error)}"
    if error.filename is not None:
        return f"{error.filename}: {reason(error)}"
    return str(error)


def file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None: missing, a directory, a FIFO, a device."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        broken = os.path.islink(path)
        return f"{path} does not exist" + (" (a symbolic link to a missing file)" if broken else "")
    except OSError as error:
        return f"{path} cannot be read: {reason(error)}"
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    for test, kind in kinds.items():
        if test(mode):
            return f"{path} is {kind}, not a file"
    if not os.access(path, os.R_OK):
        return f"{path} cannot be read: permission denied"
    return None


def one_line(error: BaseException) -> str | None:
    """What a step says of an error in the data, on the disk or of memory, in one line; None for a fault of the
    code (which keeps its traceback)."""
    if isinstance(error, SurveyError):
        return str(error)
    if isinstance(error, OSError):
        return located(error)
    if isinstance(error, MemoryError):
        return "out of memory (the machine's, or the job's mem_mb on a cluster)"
    return None


def run_step(step: Callable[[], None], log_path: str | Path | None = None) -> None:
    """Run one pipeline step; on a SurveyError or an operating-system error print one line and exit 1.

    The step's log records go to ``log_path`` (a rule's ``log:`` file) and stderr.
    """
    if not report_errors(step, log_path):
        sys.exit(1)


def report_errors(step: Callable[[], None], log_path: str | Path | None = None) -> bool:
    """Run ``step`` with its log records on stderr and in ``log_path``; False when it stopped on a
    SurveyError or an operating-system error, after logging that one line. The logging set-up is undone after."""
    from .publish import share_run_lock

    share_run_lock()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        try:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
        except OSError as error:
            print(cannot("write", log_path, error), file=sys.stderr)
    root, progress = logging.getLogger(), logging.getLogger("weasyprint.progress")
    handlers_before, level_before, progress_before, raise_before = (
        root.handlers[:],
        root.level,
        progress.level,
        logging.raiseExceptions,
    )
    root.handlers[:] = []
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers)
    logging.raiseExceptions = False  # a log file on a full disk: the console still has the message
    progress.setLevel(logging.WARNING)  # a line per page and step: noise
    try:
        step()
        return True
    except (SurveyError, OSError, MemoryError) as error:
        log.error("%s", one_line(error))
    finally:
        for handler in handlers:
            handler.close()
        root.handlers[:] = handlers_before
        root.setLevel(level_before)
        progress.setLevel(progress_before)
        logging.raiseExceptions = raise_before
    # the error is reported: objects a library left open may fail again as they are destroyed
    sys.unraisablehook = lambda unraisable: None
    return False
