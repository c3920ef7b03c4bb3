"""Draft a study from an export of another platform than Qualtrics: SPSS or SurveyMonkey.

``draft_spss`` and ``draft_surveymonkey`` read their file into a :class:`Source`
(the questions as ``draft.Item`` lists, the metadata and personal-data columns
found, how a finished response is told); this module writes the study's
``config.yaml`` and ``codebook.yaml`` for it, and the rest as ``draft`` does for a
Qualtrics export.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from .draft import (
    METADATA,
    Draft,
    Header,
    Item,
    Refused,
    _export_path,
    _question_yaml,
    _write,
    assign_ids,
    exclusion_rules,
    inventory,
    not_drafted,
    pick_banner,
    q,
    report_yaml,
    study_yaml,
    summary,
)
from .errors import SurveyError
from .study import PLATFORM_NAMES


@dataclass
class Source:
    """What an export says of its survey, as the drafter needs it."""

    header: Header  # the file's columns (``rows`` only counted)
    items: list[Item]
    metadata: dict[str, str]  # tidy name -> column, as the codebook's survey.metadata names them
    pii: dict[str, str]  # tidy name -> column, as survey.pii
    finished: Item | None  # the question a finished response has answered (None: the export's Finished/Progress, or none)
    title: str = ""
    statuses: list[int] | None = None  # the Status codes the export holds


def last_required(closed: list[Item], answered: list[set[int]]) -> Item | None:
    """The survey's last required closed question, as the answers show it.

    A question is required where every response that answered a later question
    answered it too. The last question has none after it: it counts as required
    unless responses that answered every required question before it skipped it
    (an optional last question, not a respondent who left).
    """
    if not closed:
        return None
    later: set[int] = set()
    required = []
    for n in range(len(closed) - 1, -1, -1):
        if later and later <= answered[n]:
            required.append(n)
        later |= answered[n]
    if not required:
        return closed[-1]
    return closed[-1] if answered[required[0]] <= answered[-1] else closed[required[0]]


def init_from(platform: str, name: str, export: Path, banner: str | None, root: Path) -> list[str]:
    """Draft ``config/NAME/`` from an SPSS or SurveyMonkey export; return the lines to print."""
    source = import_module(f".draft_{platform}", __package__).read(export)
    items = source.items
    assign_ids(items)
    found = inventory(items)
    if not any(i.closed for i in items):
        raise Refused(f"none of its {len(items)} questions is of a type the pipeline reads (single, multi)", found, file=export)
    try:
        chosen, why = pick_banner(items, banner)
    except SurveyError as error:
        raise Refused(error.message, found, expected=error.expected) from None
    named, copy = _export_path(export, root)
    draft = Draft(name, named, source.header, items, chosen, why, source.title or f"Survey {name}", export.name)
    texts = {
        "config.yaml": config_yaml(draft, source),
        "codebook.yaml": codebook_yaml(draft, source),
        "report.yaml": report_yaml(draft),
    }
    _write(root, root / "config" / name, texts, export, copy, root / "workflow" / "schemas")
    return summary(draft)


def _rules(d: Draft, source: Source) -> list[str]:
    """The exclusion rules whose fields the export has."""
    return exclusion_rules(set(source.metadata) | set(source.pii), source.statuses or [], source.finished is not None)


def config_yaml(d: Draft, source: Source) -> str:
    return study_yaml(d, d.header.platform, "Not stated yet", _rules(d, source))


def codebook_yaml(d: Draft, source: Source) -> str:
    platform = d.header.platform
    if platform == "surveymonkey":
        metadata = (
            "  # A SurveyMonkey export's metadata (Respondent ID, Start Date, End Date) and personal data\n"
            "  # (IP Address, Email Address, First Name, Last Name, Custom Data 1) are the importer's.\n"
            "  metadata: {}\n  pii: {}"
        )
    else:
        found = "\n".join(f"    {k}: {q(v)}  # {METADATA[k][1]}" for k, v in source.metadata.items())
        pii = "\n".join(f"    {k}: {q(v)}" for k, v in source.pii.items())
        metadata = (
            "  # tidy name -> the file's variable; only what the file has. Without response_id the\n"
            "  # responses are named by their row. PII variables never pass ingest.\n"
            f"  metadata:{chr(10) + found if found else ' {}'}\n  pii:{chr(10) + pii if pii else ' {}'}"
        )
    if source.finished is not None:
        metadata += (
            f"\n  # A response is finished once it answered {source.finished.key!r}: the last question every response\n"
            "  # that went on past it answered. Check it is the survey's last required question.\n"
            f"  finished: {{answered: {source.finished.id}}}"
        )
    skipped_block = not_drafted(d.skipped, lambda i: f"{i.key} ({i.kind})")
    return f"""\
# The questionnaire, drafted by `surveyreport init` from {d.source} ({PLATFORM_NAMES[platform]}).
# Check each question's type, its wording and its choices' labels and order; mark answers such
# as "Don't know" `nonsubstantive: true` (reported apart, left out of bases); a choice the
# survey spelled wrongly keeps the export's text under `match` and the right one under
# `label`. Keys explained in config/README.md.
#
{skipped_block}
survey:
{metadata}

questions:
{(chr(10) + chr(10)).join(_question_yaml(i) for i in d.drafted)}
"""
