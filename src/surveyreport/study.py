"""A study is one folder under ``config/``: its configuration, questionnaire, report and templates.

``config/<name>/`` holds ``config.yaml`` (what the study is, its export, cleaning, tiers and
statistics), ``codebook.yaml`` (the questionnaire), ``report.yaml`` (exhibits and findings),
optionally ``published_figures.yaml`` (the figures to reproduce) and the study's own report
templates (``*.j2``). Nothing is shared between studies but the project's generic layout in
``report/``. Every file is checked against its schema, and the references between the files
(tiers, questions, choices, palette) before any job runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from snakemake.utils import update_config

from .codebook import Codebook, Question, parse_codebook
from .configuration import load_valid, load_yaml, validate
from .errors import SurveyError, file_problem
from .segments import segment_rule
from .tiers import banner_columns, tier_rule
from .weights import target_problems

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
WORKFLOW_KEYS = {"study", "base"}  # --config keys of the workflow, not of a study: which study, a diff's base


@dataclass(frozen=True)
class Study:
    name: str
    folder: Path
    config: dict
    report: dict
    codebook: Path
    figures: Path | None

    @property
    def templates(self) -> list[Path]:
        """The study's own report templates, found before the generic ones in ``report/``."""
        return sorted(self.folder.glob("*.j2"))


def folder_of(root: str | Path, name: object) -> Path:
    """The study's folder under ``root`` (``config/``), or one line naming the studies there."""
    root = Path(root)
    if isinstance(name, str) and NAME.match(name) and (root / name / "config.yaml").is_file():
        return root / name
    studies = sorted(p.name for p in root.iterdir() if (p / "config.yaml").is_file()) if root.is_dir() else []
    raise SurveyError(
        f"no study {str(name)[:60]!r}: a study is a folder {root}/NAME/ holding config.yaml "
        f"(studies here: {', '.join(studies) or 'none'})",
        expected="--config study=NAME",
    )


def load_study(root: str | Path, name: object, overrides: dict, schemas: str | Path) -> Study:
    """Read and check a study's folder; ``overrides`` (the command line's ``--config``) win over its config."""
    folder, schemas = folder_of(root, name), Path(schemas)
    path = folder / "config.yaml"
    overrides = {k: v for k, v in overrides.items() if k not in WORKFLOW_KEYS}
    config = load_yaml(path, "the study configuration")
    update_config(config, overrides)  # nested mappings key by key, as Snakemake merges --config
    validate(config, schemas / "config.schema.yaml", f"the study configuration {path}" + (" with --config" if overrides else ""))
    config["tiers"] = tier_rule(config)
    report_path, codebook_path, figures_path = folder / "report.yaml", folder / "codebook.yaml", folder / "published_figures.yaml"
    report = load_valid(report_path, schemas / "report.schema.yaml", "the report configuration")
    raw = load_valid(codebook_path, schemas / "codebook.schema.yaml", "the codebook")
    codebook = parse_codebook(raw, source=str(codebook_path))
    figures = None
    if figures_path.exists():
        figures = load_valid(figures_path, schemas / "published_figures.schema.yaml", "the published figures")
    problems = [
        *(f"{path}: {p}" for p in config_references(config, codebook)),
        *(f"{path}: {p}" for p in metadata_references(config, codebook)),
        *export_references(config, codebook),
        *(f"{report_path}: {p}" for p in report_references(report, config["tiers"], codebook)),
        *(f"{figures_path}: {p}" for p in checks_references(figures or [], "", config["tiers"], codebook)),
    ]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SurveyError(problems[0] + more)
    config["banners"] = [banner_columns(banner, codebook) for banner in config["banners"]]
    if "segments" in config:
        config["segments"] = segment_rule(config["segments"], codebook)
    return Study(str(name), folder, config, report, codebook_path, figures_path if figures is not None else None)


# ----------------------------------------------------------------------------- references between files


def _question(codebook: Codebook, question_id: object, where: str, closed: bool = True) -> Question | str:
    """The question (or a grid's statement, ``<question>.<statement>``), or a problem naming what is missing."""
    for question in codebook.questions:
        if question.id == question_id or (question.statements and str(question_id).startswith(f"{question.id}.")):
            try:
                question = codebook.question(question_id)
            except SurveyError:
                break
            if closed and not (question.closed or question.numeric):
                return f"{where}: {question_id!r} is an open question; a closed one is needed"
            return question
    known = ", ".join(q.id for q in codebook.questions)
    return f"{where}: {str(question_id)[:60]!r} is not a question of the codebook ({known[:200]})"


def _choices(question: Question, choices: list, where: str) -> Iterator[str]:
    known = {c.id for c in question.choices}
    for choice in choices:
        if choice not in known:
            yield f"{where}: {str(choice)[:60]!r} is not a choice of {question.id!r} ({', '.join(sorted(known))[:200]})"


def config_references(config: dict, codebook: Codebook) -> Iterator[str]:
    """Tiers, recodes, exclusion rules and weight targets name questions and choices of the codebook."""
    tiers = config["tiers"]
    question = _question(codebook, tiers["question"], "tiers.question") if tiers["levels"] else None
    if isinstance(question, str):
        yield question
    elif question is not None:
        for i, level in enumerate(tiers["levels"]):
            yield from _choices(question, level["choices"], f"tiers.levels[{i}].choices")
    for i, rule in enumerate(config["cleaning"].get("recode_other", [])):
        question = _question(codebook, rule["question"], f"cleaning.recode_other[{i}].question")
        if isinstance(question, str):
            yield question
            continue
        yield from _choices(question, [rule["to"]], f"cleaning.recode_other[{i}].to")
        if not any(c.text for c in question.choices):
            yield f"cleaning.recode_other[{i}].question: {question.id!r} has no “please specify” text to recode"
    for i, rule in enumerate(config["cleaning"]["exclusions"]):
        key = "question" if "question" in rule else "questions"
        for question_id in [rule["question"]] if key == "question" else rule.get("questions", []):
            question = _question(codebook, question_id, f"cleaning.exclusions[{i}].{key}")
            if isinstance(question, str):
                yield question
            elif "choices" in rule:
                yield from _choices(question, rule["choices"], f"cleaning.exclusions[{i}].choices")
    yield from banner_problems(config["banners"], codebook)
    columns = len(tiers["levels"]) + sum(len(b.get("columns") or []) or len(_choices_of(codebook, b)) for b in config["banners"])
    if columns > MAX_LETTERS:
        yield f"banners: {columns} columns with the tiers; a table letters {MAX_LETTERS} at most (A to Z)"
    if "weights" in config:
        yield from target_problems(config["weights"], codebook)
    if "segments" in config:
        yield from segment_problems(config["segments"], codebook)


MAX_LETTERS = 26  # the columns of the tiers and banners together: one letter each


def _choices_of(codebook: Codebook, banner: dict) -> tuple:
    """The substantive choices of a banner's question (none where it is not a question of the codebook)."""
    question = _question(codebook, banner["question"], "")
    return () if isinstance(question, str) else question.substantive


def banner_problems(banners: list[dict], codebook: Codebook) -> Iterator[str]:
    """Each banner: a new id, a single-choice question, columns of its choices with ids of their own."""
    seen = set()
    for i, banner in enumerate(banners):
        where = f"banners[{i}]"
        if banner["id"] in seen | {"tiers", "total"}:
            yield f"{where}.id: {banner['id']!r} is taken (ids of banners are unique; tiers and total are the report's)"
        seen.add(banner["id"])
        question = _question(codebook, banner["question"], f"{where}.question")
        if isinstance(question, str):
            yield question
            continue
        if question.multi or question.statements or not question.choices:
            yield f"{where}.question: {question.id!r} is a {question.type} question; a banner needs a single-choice one"
            continue
        ids = [column["id"] for column in banner.get("columns", [])]
        if len(set(ids)) < len(ids):
            yield f"{where}.columns: two columns have the id {next(c for c in ids if ids.count(c) > 1)!r}"
        for j, column in enumerate(banner.get("columns", [])):
            yield from _choices(question, column["choices"], f"{where}.columns[{j}].choices")


def segment_problems(segments: dict, codebook: Codebook) -> Iterator[str]:
    """The question exists and is single-choice; each group has its own id and names choices of it."""
    question = _question(codebook, segments["question"], "segments.question", closed=False)
    if isinstance(question, str):
        yield question
        return
    if question.multi or question.statements or not question.choices or question.numeric:
        yield f"segments.question: {question.id!r} is a {question.type} question; segments need a single-choice one"
        return
    seen: set[str] = set()
    for i, group in enumerate(segments.get("groups", [])):
        if group["id"] in seen:
            yield f"segments.groups[{i}].id: {group['id']!r} names two segments (ids of segments are unique)"
        seen.add(group["id"])
        yield from _choices(question, group["choices"], f"segments.groups[{i}].choices")


PLATFORM_NAMES = {
    "qualtrics": "Qualtrics",
    "qualtrics_legacy": "legacy Qualtrics",
    "surveymonkey": "SurveyMonkey",
    "spss": "SPSS",
}


def metadata_references(config: dict, codebook: Codebook) -> Iterator[str]:
    """Each cleaning rule finds the metadata it reads, and ``survey.finished`` names questions of the codebook."""
    from .clean import unmet
    from .platforms import available_fields, platform_of

    platform = platform_of(config)
    available = available_fields(platform, codebook)
    for question_id in codebook.finished:
        found = _question(codebook, question_id, f"survey.finished.answered in {codebook.source}", closed=False)
        if isinstance(found, str):
            yield found
    if not {"recorded", "end", "start"} & available:
        yield (
            f"the report needs the survey's field dates: survey.metadata in {codebook.source} names "
            "no recorded, end or start date column"
        )
    for i, rule in enumerate(config["cleaning"]["exclusions"]):
        needed = unmet(rule["rule"], available)
        if needed is None:
            continue
        if platform in ("qualtrics", "spss"):
            where = f"survey.{'pii' if rule['rule'] == 'duplicate' else 'metadata'} in {codebook.source} names none"
        else:
            where = f"a {PLATFORM_NAMES[platform]} export has none"
        hint = "; or name the question that ends the survey under survey.finished" if rule["rule"] == "incomplete" else ""
        yield f"cleaning.exclusions[{i}] (rule {rule['rule']}) needs {needed}: {where}{hint}"


def export_references(config: dict, codebook: Codebook) -> Iterator[str]:
    """A Qualtrics export's header rows name the questions the codebook does (checked where the export exists)."""
    from .platforms import platform_of

    if platform_of(config) == "qualtrics" and not file_problem(config["export"]):
        from .qualtrics import header_problems

        yield from header_problems(Path(config["export"]), codebook)


def checks_references(checks: list[dict], where: str, tiers: dict, codebook: Codebook) -> Iterator[str]:
    """Claims, published-figure checks and named values name questions, choices and tiers that exist."""
    tier_ids = {level["id"] for level in tiers["levels"]}
    for i, item in enumerate(checks):
        place = f"{where}[{i}]" if where else f"[{i}]"
        nested = item.get("checks")
        if nested is not None:  # a published figure: its checks
            yield from checks_references(nested, f"{place}.checks", tiers, codebook)
            continue
        named = ([item["tier"]] if "tier" in item else []) + list(item.get("tiers", []))
        if named and not tier_ids:
            yield f"{place}: names tier {str(named[0])[:60]!r}, but the study has no tiers (config.yaml has no tiers: block)"
        for tier in named if tier_ids else []:
            if tier not in tier_ids:
                yield f"{place}: {str(tier)[:60]!r} is not a tier ({', '.join(sorted(tier_ids))})"
        if "question" not in item:
            continue
        question = _question(codebook, item["question"], f"{place}.question")
        if isinstance(question, str):
            yield question
            continue
        choices = list(item.get("choices", [])) + ([item["choice"]] if "choice" in item else [])
        expected = item.get("expect")
        if item.get("measure") == "top" and isinstance(expected, list):
            choices += expected
        yield from _choices(question, choices, place)


def report_references(report: dict, tiers: dict, codebook: Codebook) -> Iterator[str]:
    """Exhibits name closed questions and tiers with a colour and a hatch; findings and headlines name what exists."""
    tier_ids = [level["id"] for level in tiers["levels"]]
    style = report["style"]
    for key, needed in (("palette", ["total", *tier_ids]), ("hatches", tier_ids)):
        missing = [t for t in needed if t not in style[key]]
        if missing:
            yield f"style.{key}: no entry for {', '.join(missing)} (every tier needs one)"
    for kind in ("exhibits", "findings", "practices", "sentences"):
        for i, item in enumerate(report.get(kind, [])):
            if kind == "exhibits" and item["by"] == "tier" and not tier_ids:
                yield f"exhibits[{i}].by: 'tier', but the study has no tiers (config.yaml has no tiers: block): by: total"
            if kind == "exhibits":
                yield from exhibit_problems(item, f"exhibits[{i}]", tier_ids, codebook)
            values = [{**v, "name": n} for n, v in item.get("values", {}).items()]
            yield from checks_references(values, f"{kind}[{i}].values", tiers, codebook)
            yield from checks_references(item.get("claims", []), f"{kind}[{i}].claims", tiers, codebook)


PANEL_TYPES = ("single", "rating", "multi")  # a panel ranks a question's answers: one of choices, not a grid


def exhibit_problems(exhibit: dict, where: str, tier_ids: list[str], codebook: Codebook) -> Iterator[str]:
    """An exhibit charts a closed question, or panels of choice questions; the tiers it compares exist."""
    if ("question" in exhibit) == ("panels" in exhibit):
        yield f"{where}: names {'both a question and panels' if 'question' in exhibit else 'no question'}; an exhibit charts one question, or panels"
        return
    if "question" in exhibit:
        question = _question(codebook, exhibit["question"], f"{where}.question")
        if isinstance(question, str):
            yield question
        return
    for j, panel in enumerate(exhibit["panels"]):
        question = _question(codebook, panel["question"], f"{where}.panels[{j}].question")
        if isinstance(question, str):
            yield question
        elif question.type not in PANEL_TYPES or question.statements:
            yield f"{where}.panels[{j}].question: {question.id!r} is a {question.type} question; a panel needs a single- or multiple-answer one"
    compared = exhibit.get("compare", [])
    if compared and exhibit["by"] != "tier":
        yield f"{where}.compare: the tiers are compared only in an exhibit by: tier"
    for tier in compared if tier_ids else []:
        if tier not in tier_ids:
            yield f"{where}.compare: {str(tier)[:60]!r} is not a tier ({', '.join(sorted(tier_ids))})"
    if len(set(compared)) == 1:
        yield f"{where}.compare: names {compared[0]!r} twice; two different tiers are compared"
