"""Which platform wrote an export, and reading any export into the tidy respondent table.

The registry of readers: ``read_export`` tells the platform from the file (or takes
the config's), hands the file to that platform's reader (``qualtrics``,
``surveymonkey``, ``spss``), and the reader's :class:`~surveyreport.export.Export`
to the one parser every format goes through (``parse``).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd

from .codebook import Codebook
from .errors import SurveyError, file_problem
from .parse import parse

log = logging.getLogger("surveyreport")

PLATFORMS = ("qualtrics", "qualtrics_legacy", "surveymonkey", "spss")


def detect_platform(path: str | Path) -> str:
    """The platform that wrote an export, from its extension and header rows."""
    path = Path(path)
    if path.suffix.lower() in (".sav", ".zsav"):
        return "spss"
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"," not in head.split(b"\n", 1)[0]:
        return "qualtrics"  # let its reader name what is wrong with the file
    text = head.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(text.splitlines()[:4]))
    first = rows[0] if rows else []
    second = rows[1] if len(rows) > 1 else []
    if first[:2] == ["V1", "V2"] or {"ResponseID", "ResponseSet"} <= set(second):
        return "qualtrics_legacy"
    if "Respondent ID" in first and "Collector ID" in first:
        return "surveymonkey"
    return "qualtrics"


def platform_of(config: dict) -> str:
    """The platform of a study's export: ``export_format``, else told from the file (Qualtrics while it cannot be read)."""
    platform = config.get("export_format", "auto")
    if platform != "auto":
        return platform
    return "qualtrics" if file_problem(config["export"]) else detect_platform(config["export"])


def available_fields(platform: str, codebook: Codebook) -> set[str]:
    """The response metadata and personal data (tidy names) an export of ``platform`` has for this codebook."""
    if platform == "qualtrics_legacy":
        from .qualtrics import LEGACY_METADATA, LEGACY_PII, LEGACY_RECIPIENT

        fields = {*LEGACY_METADATA.values(), *LEGACY_PII.values(), *LEGACY_RECIPIENT.values()}
    elif platform == "surveymonkey":
        from .surveymonkey import META, PII

        fields = {*META.values(), *PII.values()}
    else:  # Qualtrics and SPSS: what the codebook's survey section names
        fields = {*codebook.metadata, *codebook.pii}
    return fields | ({"finished"} if codebook.finished else set())


def _reader(platform: str):
    """The platform's reader, imported only when used (pyreadstat is slow to load)."""
    if platform == "spss":
        from .spss import read

        return read
    if platform == "surveymonkey":
        from .surveymonkey import read

        return read
    from .qualtrics import read_current, read_legacy

    return read_legacy if platform == "qualtrics_legacy" else read_current


def read_export(path: str | Path, codebook: Codebook, platform: str = "auto") -> pd.DataFrame:
    """Parse a raw export into the tidy respondent table (no personal data)."""
    path = Path(path)
    if not path.is_file():
        raise SurveyError("no such file", file=path, expected="the raw export named by `export` in the config")
    platform = detect_platform(path) if platform == "auto" else platform
    if platform not in PLATFORMS:
        raise SurveyError(f"unknown export format {platform!r}", expected=f"auto or one of {', '.join(PLATFORMS)}")
    export = _reader(platform)(path, codebook)
    log.info("%s: read as a %s export", path, platform)
    return parse(export, codebook)
