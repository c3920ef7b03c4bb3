"""Draft a study folder from a researcher's own Qualtrics export (and its ``.qsf``, if given).

``surveyreport init NAME --export FILE`` writes ``config/NAME/`` (``config.yaml``,
``codebook.yaml``, ``report.yaml``: commented YAML to refine) from what the files say:
the questions and their types (from the survey definition, or from the export's header
rows alone), the metadata and personal-data columns, cleaning rules for the columns that
exist, tiers from a banner question, one chart per closed question. Questions of a type
the pipeline does not read yet are listed, each with its reason, never dropped silently.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .csvcells import read_csv_cells
from .errors import SurveyError, cannot
from .export import UNANSWERED, occurrence
from .platforms import detect_platform
from .qsf import QsfQuestion, plain, read_qsf
from .qualtrics import LEGACY_METADATA, LEGACY_OTHER, LEGACY_PII, LEGACY_RECIPIENT, METADATA_COLUMNS, legacy_header_rows
from .study import NAME, PLATFORM_NAMES, load_study

METADATA = {  # tidy name -> (Qualtrics export column, what it is used for)
    "start": ("StartDate", "the field period; the duration where no Duration column"),
    "end": ("EndDate", "the field period; the duration where no Duration column"),
    "status": ("Status", "the `status` rule drops previews and tests"),
    "progress": ("Progress", "the `incomplete` rule"),
    "duration": ("Duration (in seconds)", "the `speeder` rule"),
    "finished": ("Finished", "the `incomplete` rule, where no Progress column"),
    "recorded": ("RecordedDate", "the field period and which of two duplicates came first"),
    "response_id": ("ResponseId", "names each response in dispositions.csv (else its row)"),
    "channel": ("DistributionChannel", "kept with each response, not reported"),
    "language": ("UserLanguage", "kept with each response, not reported"),
}
PII = {
    "email": "RecipientEmail",
    "last_name": "RecipientLastName",
    "first_name": "RecipientFirstName",
    "ip_address": "IPAddress",
    "latitude": "LocationLatitude",
    "longitude": "LocationLongitude",
    "external_reference": "ExternalReference",
}
SINGLE_SELECTORS = {"SAVR", "SAHR", "SACOL", "DL", "SB"}
MULTI_SELECTORS = {"MAVR", "MAHR", "MACOL", "MSB"}
TEXT_SELECTORS = {"SL", "ML", "ESTB", "PW"}
GRID_KINDS = {"Slider": "numeric", "CS": "numeric", "RO": "rank"}  # QuestionType -> type, a statement per choice
NOT_YET = {  # QuestionType -> why the pipeline does not read it yet
    "Matrix": "matrix questions of this kind are not supported yet",
    "SBS": "side-by-side questions are not supported yet",
    "PGR": "pick, group and rank questions are not supported yet",
    "HotSpot": "hot-spot questions are not supported yet",
    "HeatMap": "heat-map questions are not supported yet",
    "GAP": "gap-analysis questions are not supported yet",
    "FileUpload": "file uploads are not supported yet",
    "Draw": "signatures (drawn) are not supported yet",
    "Captcha": "a captcha holds no answer to report",
    "DB": "descriptive text: no answer to report",
    "Timing": "a page timer: not an answer",
    "Meta": "browser meta information: not an answer",
}
NONSUBSTANTIVE = re.compile(r"don.?t know|not sure|not applicable|prefer not|^n/?a$", re.IGNORECASE)
# Okabe-Ito colours (told apart with colour-blindness), and a hatch each, for up to eight tiers.
PALETTE = ["#009E73", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#999999"]
HATCHES = ["", "\\\\\\\\", "////", "xx", "..", "++", "--", "oo"]
TOTAL_COLOUR = "#2b6f8e"
MAX_BANNER = 6  # choices of a banner chosen without --banner
MIN_RESPONDENTS = 10


class Refused(SurveyError):
    """The export cannot be drafted into a study that builds; ``lines`` list what was found."""

    def __init__(self, message: str, lines: list[str], **where):
        super().__init__(message, **where)
        self.lines = lines


@dataclass
class Choice:
    code: int
    label: str
    text: bool = False
    id: str = ""

    @property
    def nonsubstantive(self) -> bool:
        return bool(NONSUBSTANTIVE.search(self.label))


@dataclass
class Statement:
    """A row of a grid: a matrix's statement, a slider, a constant-sum field, a rank-order item."""

    key: str  # its choice id in the survey
    column: str
    import_id: str
    text: str
    id: str = ""


@dataclass
class Item:
    """One question of the survey as drafted: a type the pipeline reads, or why not."""

    key: str  # the question's tag or column, as the researcher knows it
    import_id: str
    kind: str  # single, multi, text, matrix, rank, numeric, nps; or the platform's type where unsupported
    text: str
    column: str = ""
    choices: list[Choice] = field(default_factory=list)
    reason: str = ""  # why it is not drafted (empty: drafted)
    notes: list[str] = field(default_factory=list)
    id: str = ""
    statements: list[Statement] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return not self.reason and self.kind in ("single", "multi")

    @property
    def charted(self) -> bool:
        """Drafted with an exhibit: closed questions, grids, numbers and NPS."""
        return not self.reason and self.kind in ("single", "multi", "matrix", "rank", "numeric", "nps")


@dataclass
class Header:
    """An export's header rows and response cells, columns named as its reader names them."""

    path: Path
    platform: str
    columns: list[str]
    labels: list[str]
    import_ids: list[dict | None]
    rows: list[list[str]]

    def values(self, column: str) -> list[str]:
        i = self.columns.index(column)
        return [row[i] for row in self.rows]


# ----------------------------------------------------------------------------- reading the export


def _import_id(cell: str) -> dict | None:
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "ImportId" in value else None


def read_header(path: Path) -> Header:
    """The export's column names, labels, ImportIds (current format) and response cells."""
    platform = detect_platform(path)
    if platform not in ("qualtrics", "qualtrics_legacy"):
        raise SurveyError(f"a {platform} export", file=path, expected="a Qualtrics CSV export (init drafts from Qualtrics only)")
    frame = read_csv_cells(path, "a Qualtrics CSV export")
    cells = frame.values.tolist()
    if platform == "qualtrics":
        if len(cells) < 3 or not all(c.startswith('{"ImportId"') for c in cells[2] if c):
            raise SurveyError("row 3 does not hold ImportId JSON", file=path, row=3, expected='{"ImportId": ...} in every column')
        return Header(path, platform, cells[0], cells[1], [_import_id(c) for c in cells[2]], cells[3:])
    ids, labels = cells[0], cells[1]
    names = [label if re.fullmatch(r"V\d+", i) else i for i, label in zip(ids, labels)]
    header_rows = legacy_header_rows(frame)
    import_ids = [_legacy_import_id(c) for c in cells[2]] if header_rows == 3 else [None] * len(names)
    rows = cells[header_rows:]
    keep = [n for n, name in enumerate(names) if name or any(row[n] for row in rows)]
    return Header(
        path,
        platform,
        [names[n] for n in keep],
        [labels[n] for n in keep],
        [import_ids[n] for n in keep],
        [[r[n] for n in keep] for r in rows],
    )


LEGACY_IMPORT_ID = re.compile(r"(QID\d+(?:#\d+)?)-(\d+)(?:-(\d+))?")


def _legacy_import_id(cell: str) -> dict | None:
    """A legacy third header row's ImportId (``{'ImportId': 'QID4#1-2'}``) in the current format's terms.

    ``QID4-2`` is a grid's statement (``QID4_2``), ``QID4-2-3`` a multiple-answer matrix's tick
    (statement 2, answer 3), ``QID4-2-TEXT`` a "please specify" box; a question's own column
    keeps its ``QID4``. Metadata (``startDate``) and cells that are not ImportIds give None.
    """
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return None
    import_id = str(value.get("ImportId", "")) if isinstance(value, dict) else ""
    if not import_id.startswith("QID"):
        return None
    tick = LEGACY_IMPORT_ID.fullmatch(import_id)
    if tick and tick[3]:
        return {"ImportId": f"{tick[1]}_{tick[2]}", "choiceId": tick[3]}
    return {"ImportId": import_id.replace("-", "_")}


# ----------------------------------------------------------------------------- questions from a .qsf


def _kind(question: QsfQuestion) -> tuple[str, str]:
    """(kind, reason): the pipeline's type, or the platform's and why it is not read yet."""
    described = "/".join(p for p in (question.type, question.selector, question.sub_selector) if p)
    if question.trashed:
        return described, "in the survey's trash: not asked"
    if question.type == "MC" and question.selector in SINGLE_SELECTORS:
        return "single", ""
    if question.type == "MC" and question.selector in MULTI_SELECTORS:
        return "multi", ""
    if question.type == "MC" and question.selector == "NPS":
        return "nps", ""
    if question.type == "Matrix":
        if (question.selector, question.sub_selector) in (
            ("Likert", "SingleAnswer"),
            ("Likert", "DL"),
        ) or question.selector == "Bipolar":
            return "matrix", ""
        if (question.selector, question.sub_selector) == ("Likert", "MultipleAnswer"):
            return "multi", ""
        return described, f"matrix questions of this kind ({described}) are not supported yet"
    if question.type in GRID_KINDS:
        return GRID_KINDS[question.type], ""
    if question.type == "TE" and question.selector == "SL" and question.numeric:
        return "numeric", ""
    if question.type == "TE" and question.selector in TEXT_SELECTORS:
        return "text", ""
    if question.type == "TE" and question.selector == "FORM":
        return described, "form text entry (several fields) is not supported yet"
    return described, NOT_YET.get(question.type, f"{question.type or 'unknown'} questions are not supported yet")


def _column_for(question: QsfQuestion, kind: str, header: Header) -> str:
    """The export column holding the question: by its ImportId where the export has them, else its tag."""
    for name, import_id in zip(header.columns, header.import_ids):
        if not import_id:
            continue
        if kind == "text" and import_id["ImportId"] == f"{question.qid}_TEXT":
            return name
        if kind == "single" and import_id["ImportId"] == question.qid and "choiceId" not in import_id:
            return name
        if kind == "multi" and import_id["ImportId"] == question.qid and "choiceId" in import_id:
            suffix = f"_{import_id['choiceId']}"
            return name[: -len(suffix)] if name.endswith(suffix) else question.tag
    return question.tag


def _statements(question: QsfQuestion, header: Header, ticks: bool = False) -> list[Statement]:
    """A grid's statements, each with its export column: by its ImportId (``QID4_1``) where the export
    has them, else the tag and the statement's export tag or id (``Q4_1``). A multiple-answer
    matrix's statement (``ticks``) names the prefix of its columns ``Q4_1_<code>``."""
    by_import_id = {
        i["ImportId"]: name[: -len(f"_{i['choiceId']}")] if ticks else name
        for name, i in zip(header.columns, header.import_ids)
        if i and ("choiceId" in i) == ticks and (not ticks or name.endswith(f"_{i['choiceId']}"))
    }
    tags = dict(question.export_tags)
    present = set(header.columns)

    def found(column: str) -> bool:
        return (any(c.startswith(column + "_") for c in present)) if ticks else column in present

    out = []
    for choice in question.choices:
        import_id = f"{question.qid}_{choice.id}"
        column = by_import_id.get(import_id, f"{question.tag}_{tags.get(choice.id, choice.id)}")
        if not found(column) and choice.id in tags and found(tags[choice.id]):
            column = tags[choice.id]  # some legacy exports name the column by the statement's export tag alone
        out.append(Statement(choice.id, column, import_id, choice.label or f"Statement {choice.id}"))
    return out


def _grid(item: Item, question: QsfQuestion, header: Header) -> None:
    """A matrix's, slider's, constant sum's or rank order's statements and (a matrix's) scale, or why not."""
    item.column = question.tag
    item.statements = _statements(question, header, ticks=item.kind == "multi")
    if not item.statements:
        item.reason = "the question has no statements"
        return
    if item.kind in ("matrix", "multi"):
        try:
            item.choices = [Choice(int(c.code), c.label or f"Choice {c.code}") for c in question.scale]
        except ValueError:
            item.reason = "a scale point's recode value is not a whole number"
            return
        if not item.choices:
            item.reason = "the matrix has no scale points"
            return
    if item.kind == "multi":
        present = set(header.columns)
        by_id = [f"{s.column}_{c.id}" for s in item.statements for c in question.scale]
        if not all(f"{s.column}_{c.code}" in present for s in item.statements for c in item.choices) and set(by_id) <= present:
            # a legacy export names a ticked answer by its id, not its recode value
            item.choices = [Choice(int(c.id), choice.label) for c, choice in zip(question.scale, item.choices)]
        columns = [f"{s.column}_{c.code}" for s in item.statements for c in item.choices]
    else:
        columns = [s.column for s in item.statements]
    missing = [c for c in columns if c not in set(header.columns)]
    if missing:
        item.reason = f"no column {missing[0]!r} in the export"


def from_qsf(questions: Iterable[QsfQuestion], header: Header) -> list[Item]:
    """Each question of the survey as drafted, in the survey's order.

    A column ID that repeats (grids named by their statements' export tags alone) is
    read by no question as such: the questions that need one take its occurrences in turn,
    in the survey's order (the export's), named ``2:question_one_1`` (``export.occurrence``).
    """
    seen: Counter[str] = Counter()
    places = []  # each column's ID and its occurrence among the columns of that ID
    for name in header.columns:
        seen[name] += 1
        places.append((name, seen[name]))
    repeated = {name for name, count in seen.items() if name and count > 1}
    numbered = [occurrence(name, k) if name in repeated else name for name, k in places]

    def repeats(column: str) -> bool:  # a column, or a statement's prefix of tick columns, whose ID repeats
        return column in repeated or any(r.startswith(column + "_") for r in repeated)

    claimed: set[tuple[int, str]] = set()
    items = []
    for question in (c for q in questions for c in (q.columns if q.columns and not q.trashed else (q,))):
        item = _item(question, replace(header, columns=numbered))
        for k in range(1, max(seen[r] for r in repeated) + 1 if repeated else 1):
            if not item.reason.startswith("no column"):
                break
            view = [name if name in repeated and n == k else c for (name, n), c in zip(places, numbered)]
            taken = _item(question, replace(header, columns=view))
            used = {(k, c) for c in [taken.column, *(s.column for s in taken.statements)] if repeats(c)}
            if taken.reason or not used or used & claimed:
                continue
            claimed |= used
            taken.column = occurrence(taken.column, k) if repeats(taken.column) else taken.column
            for statement in taken.statements:
                statement.column = occurrence(statement.column, k) if repeats(statement.column) else statement.column
            taken.notes.append(f'the export repeats its column IDs: "{k}:" names the columns of this ID in place {k}')
            item = taken
        items.append(item)
    return items


def _item(question: QsfQuestion, header: Header) -> Item:
    """One question (or side-by-side column) as drafted against the export's columns."""
    present = set(header.columns)
    kind, reason = _kind(question)
    item = Item(question.tag, question.qid, kind, question.text, reason=reason)
    if reason:
        return item
    if kind in ("matrix", "rank") or (kind == "numeric" and question.type != "TE") or question.type == "Matrix":
        _grid(item, question, header)
        return item
    item.column = _column_for(question, "text" if kind == "numeric" else "single" if kind == "nps" else kind, header)
    if kind == "nps":
        if item.column not in present:
            item.reason = f"no column {item.column!r} in the export"
        return item
    if kind in ("text", "numeric"):
        item.import_id = f"{question.qid}_TEXT"
        if item.column not in present:
            item.reason = f"no column {item.column!r} in the export"
        return item
    try:
        item.choices = [Choice(int(c.code), c.label or f"Choice {c.code}", c.text_entry) for c in question.choices]
    except ValueError:
        item.reason = "a choice's recode value is not a whole number"
        return item
    if not item.choices:
        item.reason = "the question has no choices"
        return item
    split = [f"{item.column}_{c.code}" for c in item.choices]
    if kind == "single" and item.column not in present:
        item.reason = f"no column {item.column!r} in the export"
    elif kind == "multi" and not (set(split) <= present or item.column in present):
        missing = [c for c in split if c not in present]
        item.reason = f"no column {missing[0]!r} in the export"
    for choice in item.choices:
        if choice.text and f"{item.column}_{choice.code}_TEXT" not in present:
            choice.text = False
            item.notes.append(f"the export has no “please specify” column for {choice.label!r}")
    return item


# ----------------------------------------------------------------------------- questions from the export alone

QID = re.compile(r"(QID\d+(?:#\d+)?)(.*)")  # a side-by-side's column (QID4#2) is a question of its own
CHOICE_TEXT = re.compile(r"_\d+_TEXT")
STATEMENT = re.compile(r"_\d+")  # a single-answer matrix's (or slider's) statement: QID4_2


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _ticks_from_columns(qid: str, ticks: list, texts: list[str], header: Header) -> Item:
    """A multiple-answer matrix from its columns ``Q4_<statement>_<code>`` (ImportId ``QID4_<statement>`` with a
    ``choiceId``), labelled ``<question> - <statement> - <answer>``."""
    rows: dict[str, list] = {}
    for column, import_id, rest in ticks:
        rows.setdefault(rest, []).append((column, str(import_id["choiceId"])))
    first = next(iter(rows.values()))
    key = first[0][0].rsplit("_", 2)[0]
    labels = [header.labels[header.columns.index(c)] for c, _ in first]
    wording, answers = _split_labels(labels)
    text, _, _ = wording.rpartition(" - ")
    item = Item(key, qid, "multi", plain(text or wording), column=key)
    item.notes += [f"the text column {c!r} is not read" for c in texts]
    codes = [code for _, code in first]
    if any(_code(code) is None for code in codes):
        item.reason = "its answers are not numbered"
        return item
    item.choices = [Choice(int(code), plain(label) or f"Choice {code}") for code, label in zip(codes, answers)]
    for rest, columns in rows.items():
        prefixes = {c[: -len(f"_{code}")] for c, code in columns if c.endswith(f"_{code}")}
        if [code for _, code in columns] != codes or len(prefixes) != 1:
            item.reason = f"statement {rest[1:]} does not have the first statement's answers, one column each"
            return item
        label = _split_labels([header.labels[header.columns.index(c)] for c, _ in columns])[0].rpartition(" - ")[2]
        import_id = QID.fullmatch(qid + rest).group(0)
        item.statements.append(Statement(rest[1:], prefixes.pop(), import_id, plain(label) or f"Statement {rest[1:]}"))
    return item


def _grid_from_columns(qid: str, grid: list, texts: list[str], header: Header) -> Item:
    """A single-answer matrix (whole-number codes) or a set of numbers (sliders, constant sums: any decimal)
    from its statements' columns, ``QID4_1`` … with ``<question> - <statement>`` labels."""
    labels = [header.labels[header.columns.index(c)] for c, _, _ in grid]
    text, suffixes = _split_labels(labels) if len(labels) > 1 else (labels[0].rsplit(" - ", 1) + [""])[:2]
    suffixes = [suffixes] if isinstance(suffixes, str) else suffixes
    text = plain(text)
    observed = sorted(
        {v for c, _, _ in grid for v in header.values(c) if v not in UNANSWERED},
        key=lambda v: (_number(v) is None, _number(v) or 0),
    )
    kind = "numeric" if any(_number(v) is not None and _code(v) is None for v in observed) else "matrix"
    key = grid[0][0].rsplit("_", 1)[0]
    item = Item(key, qid, kind, text, column=key)
    item.statements = [
        Statement(r[1:], c, i["ImportId"], plain(label) or f"Statement {r[1:]}") for (c, i, r), label in zip(grid, suffixes)
    ]
    item.notes += [f"the text column {c!r} is not read" for c in texts]
    if kind == "numeric":
        return item
    if any(_code(v) is None for v in observed):
        item.reason = "its answers are choice texts: draft it from the .qsf"
    elif not observed:
        item.reason = "nobody answered it in the export: its scale is unknown"
    else:
        item.choices = [Choice(int(v), v) for v in observed]
        item.notes.append("scale points as the export's codes: give their labels (or draft from the .qsf)")
    return item


def _code(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _observed(header: Header, column: str) -> list[str]:
    return sorted({v for v in header.values(column) if v not in UNANSWERED}, key=lambda v: (_code(v) is None, _code(v) or 0, v))


def _split_labels(labels: list[str]) -> tuple[str, list[str]]:
    """A multi-select's wording and its choices' labels from its columns' ``<question> - <choice>`` labels."""
    prefix = labels[0] if len(labels) == 1 else labels[0][: len(os.path.commonprefix(labels))]
    cut = prefix.rfind(" - ")
    if cut < 0:
        return labels[0], labels
    text = prefix[:cut].removesuffix(" - Selected Choice")
    return text, [label[cut + 3 :] for label in labels]


def from_export(header: Header) -> list[Item]:
    """Questions told from a current export's ImportIds, choices from its labels or observed values."""
    groups: dict[str, list[int]] = {}
    items: list[Item] = []
    known = {name for name, _, _ in METADATA_COLUMNS}
    for n, import_id in enumerate(header.import_ids):
        name = header.columns[n]
        match = QID.fullmatch(import_id["ImportId"]) if import_id else None
        if match is None:
            if name not in known and name:
                items.append(
                    Item(
                        name,
                        import_id["ImportId"] if import_id else "",
                        "column",
                        header.labels[n],
                        reason="not a question (embedded data or another column): not read",
                    )
                )
            continue
        if "Topics" in match.group(2):
            items.append(
                Item(
                    name,
                    import_id["ImportId"],
                    "Text iQ",
                    header.labels[n],
                    reason="Text iQ topics are the platform's coding of a text answer: not read",
                )
            )
            continue
        groups.setdefault(match.group(1), []).append(n)
    drafted = [_from_columns(qid, columns, header) for qid, columns in groups.items()]
    return drafted + items


LEGACY_FIXED = {*LEGACY_METADATA, *LEGACY_PII, *LEGACY_RECIPIENT, *LEGACY_OTHER}
TICK = re.compile(r"(.+)_(\d+)")  # a multi-select's choice column, or a grid's statement
SPECIFY = re.compile(r"(.+)_(\d+)_TEXT")  # a choice's "please specify" box


def from_legacy(header: Header) -> list[Item]:
    """Questions told from a legacy export's columns and answers alone (it names no types).

    Columns ``X_1``, ``X_2`` … holding only 1 (or 0) and blanks are a multi-select ``X``;
    a column of whole numbers is a single-choice question with the observed codes; one of
    other text an open question; ``X_3_TEXT`` the "please specify" box of ``X``'s choice 3.
    A grid (``X_1`` … holding other numbers) is listed: its type needs the ``.qsf``.
    """
    questions = [n for n, c in enumerate(header.columns) if c and c not in LEGACY_FIXED]
    ticks: dict[str, list[int]] = {}
    grids: dict[str, list[int]] = {}
    for n in questions:
        name = header.columns[n]
        match = TICK.fullmatch(name)
        if match and not SPECIFY.fullmatch(name):
            ticked = set(header.values(name)) <= {"", "0", "1"}
            (ticks if ticked else grids).setdefault(match[1], []).append(n)
    items: dict[str, Item] = {}
    for n in questions:
        name, label = header.columns[n], plain(header.labels[n])
        match, specify = TICK.fullmatch(name), SPECIFY.fullmatch(name)
        if specify and specify[1] in items and items[specify[1]].choices:
            choice = next((c for c in items[specify[1]].choices if c.code == int(specify[2])), None)
            if choice is not None:
                choice.text = True
                continue
        if match and not specify and match[1] in ticks:
            if match[1] not in items:
                labels = [plain(header.labels[i]) for i in ticks[match[1]]]
                stem = os.path.commonprefix(labels).rpartition("-")[0] if len(labels) > 1 else label
                items[match[1]] = Item(match[1], "", "multi", stem or match[1], column=match[1])
                items[match[1]].notes.append("choices as the export's codes: give their labels (or draft from the .qsf)")
            items[match[1]].choices.append(Choice(int(match[2]), label[len(items[match[1]].text) + 1 :] or match[2]))
        elif match and not specify and match[1] in grids:
            if match[1] not in items:
                items[match[1]] = Item(match[1], "", "grid", label, reason="a legacy export's grid: draft it with the .qsf")
        else:
            items[name] = _legacy_column(name, label, header)
    for item in items.values():
        codes = [c.code for c in item.choices]
        if item.kind == "multi" and len(set(codes)) < len(codes):
            item.reason = "its column IDs repeat (grids named by their statements alone): draft it with the .qsf"
    return list(items.values())


def _legacy_column(name: str, label: str, header: Header) -> Item:
    """A legacy export's column on its own: single choice (whole numbers), open (other text) or unanswered."""
    observed = _observed(header, name)
    if not observed:
        return Item(name, "", "unknown", label, reason="nobody answered it in the export: its type is unknown")
    if all(_code(v) is not None for v in observed) and not name.endswith("_TEXT"):
        item = Item(name, "", "single", label, column=name, choices=[Choice(int(v), v) for v in observed])
        item.notes.append("choices as the export's codes: give their labels (or draft from the .qsf)")
        return item
    return Item(name, "", "text", label, column=name)


def _from_columns(qid: str, columns: list[int], header: Header) -> Item:
    parts = [(header.columns[n], header.import_ids[n]) for n in columns]
    rests = [QID.fullmatch(i["ImportId"]).group(2) for _, i in parts]
    name = parts[0][0]
    raw = [header.labels[n] for n, r in zip(columns, rests) if not CHOICE_TEXT.fullmatch(r)] or [header.labels[columns[0]]]
    text = plain(raw[0] if len(raw) == 1 and "choiceId" not in parts[0][1] else _split_labels(raw)[0])
    if "_NPS_GROUP" in rests and rests.count("") == 1:
        column = parts[rests.index("")][0]
        return Item(column, qid, "nps", text, column=column, notes=["net promoter score: its _NPS_GROUP column is not read"])
    grid = [(c, i, r) for (c, i), r in zip(parts, rests) if not CHOICE_TEXT.fullmatch(r)]
    if len(grid) > 0 and all(STATEMENT.fullmatch(r) and "choiceId" not in i for _, i, r in grid):
        return _grid_from_columns(qid, grid, [c for (c, _), r in zip(parts, rests) if CHOICE_TEXT.fullmatch(r)], header)
    ticks = [(c, i, r) for (c, i), r in zip(parts, rests) if r and not CHOICE_TEXT.fullmatch(r)]
    if ticks and all("choiceId" in i and STATEMENT.fullmatch(r) for _, i, r in ticks):
        return _ticks_from_columns(qid, ticks, [c for (c, _), r in zip(parts, rests) if CHOICE_TEXT.fullmatch(r)], header)
    if any(r and r != "_TEXT" and not CHOICE_TEXT.fullmatch(r) for r in rests) or (
        any(CHOICE_TEXT.fullmatch(r) for r in rests) and all(r for r in rests)
    ):
        return Item(name, qid, "matrix", text, reason="matrix questions of this kind are not supported yet")
    texts = [(c, i) for (c, i), r in zip(parts, rests) if CHOICE_TEXT.fullmatch(r)]
    main = [(c, i) for (c, i), r in zip(parts, rests) if not CHOICE_TEXT.fullmatch(r)]
    if rests == ["_TEXT"]:
        return Item(name, f"{qid}_TEXT", "text", text, column=name)
    if len(main) == 1 and "choiceId" not in main[0][1]:
        item = Item(name, qid, "single", text, column=name)
        observed = _observed(header, name)
        if all(_code(v) is not None for v in observed):
            item.choices = [Choice(int(v), v) for v in observed]
            if observed:
                item.notes.append("choices as the export's codes: give their labels (or draft from the .qsf)")
        else:
            item.choices = [Choice(k, v) for k, v in enumerate(observed, start=1)]
            item.notes.append("choices as the export's choice texts: codes numbered here")
    elif all("choiceId" in i for _, i in main):
        column = main[0][0][: -len(f"_{main[0][1]['choiceId']}")]
        item = Item(column, qid, "multi", text, column=column)
        labels = _split_labels([header.labels[header.columns.index(c)] for c, _ in main])[1]
        for (c, i), label in zip(main, labels):
            code = _code(str(i["choiceId"]))
            if code is None or c != f"{column}_{i['choiceId']}":
                return Item(name, qid, "multi", text, reason=f"column {c!r} does not hold a numbered choice")
            item.choices.append(Choice(code, plain(label) or f"Choice {code}"))
    else:
        return Item(name, qid, "unknown", text, reason="its columns are not a layout the pipeline reads")
    if not item.choices:
        item.reason = "nobody answered it in the export: its choices are unknown"
    for c, _ in texts:
        code = _code(c[len(item.column) + 1 : -len("_TEXT")]) if c.startswith(f"{item.column}_") else None
        if code is None:
            item.notes.append(f"the “please specify” column {c!r} is not read")
            continue
        choice = next((ch for ch in item.choices if ch.code == code), None)
        if choice is None:
            choice = Choice(code, f"Other ({code})")
            item.choices.append(choice)
        choice.text = True
    return item


# ----------------------------------------------------------------------------- ids, tiers, cleaning


def slug(text: str, limit: int = 32) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit and out:
            break
        out = f"{out}_{word}" if out else word
    return out


def unique(base: str, taken: set[str], fallback: str) -> str:
    base = base if re.match(r"[a-z]", base or "") else fallback
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def assign_ids(items: list[Item]) -> None:
    taken: set[str] = set()
    for n, item in enumerate(i for i in items if not i.reason):
        item.id = unique(slug(item.key, 40), taken, f"q{n + 1}_{slug(item.key, 30)}".rstrip("_"))
        codes: set[str] = set()
        for choice in item.choices:
            choice.id = unique(slug(choice.label), codes, f"c{choice.code}".replace("-", "minus_"))
        rows: set[str] = set()
        for statement in item.statements:
            statement.id = unique(slug(statement.text), rows, f"s{slug(statement.key) or len(rows) + 1}")


def pick_banner(items: list[Item], banner: str | None) -> tuple[Item | None, str]:
    """The question whose choices are the tiers, and how it was chosen; None (and why) where no
    question can make tiers and none was named: the study is then drafted total-only."""
    drafted = [i for i in items if not i.reason]
    if banner is not None:
        item = next((i for i in drafted if banner in (i.key, i.id, i.column, i.import_id)), None)
        if item is None:
            listed = next((i for i in items if banner in (i.key, i.import_id)), None)
            why = f": {listed.reason}" if listed else ""
            raise SurveyError(
                f"--banner {banner}: not a drafted question of the survey{why}",
                expected="a single-choice question's tag, column or QID",
            )
        if item.kind != "single" or not 2 <= len(substantive(item)) <= len(PALETTE):
            raise SurveyError(
                f"--banner {banner}: a {item.kind} question with {len(substantive(item))} substantive choices",
                expected=f"a single-choice question with 2 to {len(PALETTE)} choices",
            )
        return item, f"--banner {banner}"
    for item in drafted:
        if item.kind == "single" and 2 <= len(substantive(item)) <= MAX_BANNER:
            return item, f"no --banner given: the first single-choice question with 2 to {MAX_BANNER} choices"
    for item in drafted:
        if item.kind == "matrix" and 2 <= len(substantive(item)) <= MAX_BANNER and item.statements:
            first = item.statements[0]
            row = Item(
                f"{item.key} ({first.text})", first.import_id, "single", f"{item.text} – {first.text}", choices=item.choices
            )
            row.id = f"{item.id}.{first.id}"
            why = f"no --banner given and no single-choice question: the first statement of the first matrix with 2 to {MAX_BANNER} answers"
            return row, why
    return None, f"no single-choice question with 2 to {MAX_BANNER} choices to define tiers"


def substantive(item: Item) -> list[Choice]:
    return [c for c in item.choices if not c.nonsubstantive]


def tier_ids(choices: list[Choice]) -> list[str]:
    """Tier ids (letters and underscores only) from the choices' labels."""
    taken: set[str] = set()
    out = []
    for n, choice in enumerate(choices):
        base = re.sub(r"_+", "_", re.sub(r"[^a-z_]", "", slug(choice.label, 24))).strip("_")
        fallback = f"tier_{'abcdefgh'[n]}"
        out.append(unique(base if base and base not in taken else fallback, taken, fallback))
    return out


def status_codes(header: Header) -> list[int]:
    column = "Status"
    if column not in header.columns:
        return []
    return [int(v) for v in header.values(column) if v.strip().lstrip("-").isdigit()]


# ----------------------------------------------------------------------------- writing YAML


def q(value: object) -> str:
    """A YAML scalar or flow collection on one line."""
    return (
        yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False)
        .strip()
        .removesuffix("\n...")
        .removesuffix("...")
        .strip()
    )


def short(text: str, limit: int = 80) -> str:
    """A question's wording cut for a headline: its last sentence (the question), then words up to the limit."""
    text = text.replace("{", "(").replace("}", ")")
    sentences = [s for s in re.split(r"(?<=[.?!:])\s+", text) if s]
    text = next((s for s in reversed(sentences) if s.endswith("?")), text).lstrip("-–— ")  # a column's label after " - "
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


@dataclass
class Draft:
    name: str
    export: str  # as config.yaml names it
    header: Header
    items: list[Item]
    banner: Item | None  # None: no tiers, a total-only study
    banner_why: str
    title: str
    source: str  # what the questions were drafted from

    @property
    def drafted(self) -> list[Item]:
        return [i for i in self.items if not i.reason]

    @property
    def skipped(self) -> list[Item]:
        return [i for i in self.items if i.reason]


# The export columns that give a Qualtrics export the fields the exclusion rules read.
QUALTRICS_FIELDS = {
    "status": {"Status"},
    "progress": {"Progress", "Finished"},
    "email": {"RecipientEmail", "EmailAddress"},
    "ip_address": {"IPAddress"},
    "duration": {"Duration (in seconds)"},
    "start": {"StartDate"},
    "end": {"EndDate"},
}


def exclusion_rules(fields: set[str], statuses: list[int], finished_named: bool = False) -> list[str]:
    """The drafted exclusion rules whose fields (tidy names) the export has; ``statuses``: the Status
    codes its responses hold (a survey's tests, all of them, are kept)."""
    rules = []
    if "status" in fields:
        drop, note = [1, 2], ""
        if statuses and all(s in drop for s in statuses):
            drop = [s for s in drop if s not in statuses] or [1]
            note = (
                f"    # Every response in this export has Status {', '.join(map(str, sorted(set(statuses))))} "
                "(2: a survey test): they are kept.\n    # Drop 2 once the export holds real responses.\n"
            )
        rules.append(
            f"  - rule: status\n    reason: preview_or_test\n    label: Survey previews and test responses\n"
            f"{note}    drop_status: {q(drop)}"
        )
    if {"finished", "progress"} & fields or finished_named:
        rules.append("  - rule: incomplete\n    reason: incomplete\n    label: Did not finish the survey\n    min_progress: 100")
    if {"email", "ip_address"} & fields:
        rules.append("  - rule: duplicate\n    reason: duplicate\n    label: Second response from the same person")
    if "duration" in fields or {"start", "end"} <= fields:
        rules.append(
            "  - rule: speeder\n    reason: speeder\n    label: Finished in under 40% of the median time\n"
            "    max_share_of_median: 0.4"
        )
    return rules


def config_yaml(d: Draft) -> str:
    columns = set(d.header.columns)
    legacy = d.header.platform == "qualtrics_legacy"
    fields = {field for field, names in QUALTRICS_FIELDS.items() if names & columns}
    rules = exclusion_rules(fields, status_codes(d.header))
    platform = "qualtrics_legacy" if legacy else "qualtrics"
    return study_yaml(d, platform, "Online self-administered questionnaire (Qualtrics)", rules)


def study_yaml(d: Draft, export_format: str, mode: str, rules: list[str]) -> str:
    """A drafted config.yaml: the cover's fields to state, the export, the cleaning ``rules`` the
    export's fields allow, the tiers (or a total-only note) and the statistics' defaults."""
    rows = len(d.header.rows)
    return f"""\
# A study drafted by `surveyreport init` from {d.source} ({PLATFORM_NAMES[export_format]}).
# Refine it, then build: snakemake --cores 2 --config study={d.name}
# Every key is explained in config/README.md.

about:
  # The cover and the methodology print these: state who ran the survey and how.
  title: {q(d.title)}
  subtitle: {q(f"Results of the survey, {rows} responses in the export")}
  population: respondents
  publisher: Draft report
  sponsors: Not stated yet
  mode: {mode}
  recruitment: Not stated yet

export: {q(d.export)}
export_format: {export_format}
fail_on_unverified: true

cleaning:
  # Stop when fewer respondents than this remain after the exclusions. Set low for a
  # small export ({rows} responses); a study to publish needs 30 or more.
  min_respondents: {max(1, min(MIN_RESPONDENTS, rows))}
  recode_other: []
  # Only rules whose fields the export has.
  exclusions:{chr(10) + chr(10).join(rules) if rules else " []"}

{tiers_yaml(d)}

statistics:
  confidence: 0.95
  alpha: 0.05
  correction: holm
  family: table
  min_base: 30
  caution_base: 50
  chi_square_simulations: 10000
"""


def tiers_yaml(d: Draft) -> str:
    """The ``tiers:`` block of config.yaml; without a banner question, a comment saying the study is total-only."""
    if d.banner is None:
        return (
            f"# No tiers: {d.banner_why}, so the report gives the total only\n"
            "# (no group comparisons). To compare groups, add a tiers: block (config/README.md, Tiers)\n"
            "# or draft again with --banner QUESTION."
        )
    levels = substantive(d.banner)
    tiers = "\n".join(f"    - {q({'id': tid, 'label': c.label, 'choices': [c.id]})}" for tid, c in zip(tier_ids(levels), levels))
    return f"""\
tiers:
  # The groups every table and chart compares: one per answer to {d.banner.key!r}
  # ({d.banner_why}).
  # Merge answers into fewer, larger tiers where you can.
  question: {d.banner.id}
  label: {q("answer to “" + short(d.banner.text, 60) + "”")}
  levels:
{tiers}"""


def not_drafted(skipped: list[Item], name) -> str:
    """The codebook's opening list of the questions not drafted, each ``name(item)`` with its reason."""
    if not skipped:
        return "# Every question of the survey is drafted.\n"
    lines = "\n".join(f"#   {name(i)}: {i.reason}" for i in skipped)
    return f"# Not drafted ({len(skipped)}): read by no stage until their type is supported.\n{lines}\n"


def _question_yaml(item: Item) -> str:
    lines = [
        f"  - id: {item.id}",
        f"    column: {q(item.column)}",
        f"    import_id: {q(item.import_id)}",
        f"    type: {item.kind}",
        f"    text: {q(item.text or item.key)}",
    ]
    lines[1:1] = [f"    # {note}" for note in item.notes]
    if item.statements:
        lines.append("    statements:")
        for s in item.statements:
            lines.append(f"      - {q({'id': s.id, 'column': s.column, 'import_id': s.import_id, 'text': s.text})}")
    if item.choices and item.kind != "rank":
        lines.append("    choices:")
        for c in item.choices:
            entry = {"code": c.code, "id": c.id, "label": c.label}
            entry |= ({"nonsubstantive": True} if c.nonsubstantive else {}) | ({"text": True} if c.text else {})
            lines.append(f"      - {q(entry)}")
    return "\n".join(lines)


def codebook_yaml(d: Draft) -> str:
    columns = set(d.header.columns)
    legacy = d.header.platform == "qualtrics_legacy"
    if legacy:
        meta = (
            "    # A legacy export's metadata columns are fixed (the importer knows them); these names\n"
            "    # serve a current export of the same survey.\n"
            + "\n".join(f"    {k}: {q(column)}" for k, (column, _) in METADATA.items())
        )
    else:
        found = {k: v for k, v in METADATA.items() if v[0] in columns}
        meta = "\n".join(f"    {k}: {q(column)}  # {use}" for k, (column, use) in found.items()) or "    {}"
        if len(found) < len(METADATA):
            absent = ", ".join(column for column, _ in METADATA.values() if column not in columns)
            meta = f"    # Not in the export, so not named (every one is optional): {absent}.\n" + meta
    if legacy:
        pii_columns = {key: column for column, key in LEGACY_PII.items() if key in PII}
    else:
        pii_columns = PII
    pii = [f"    {k}: {q(v)}" for k, v in pii_columns.items() if v in columns]
    skipped_block = not_drafted(d.skipped, lambda i: f"{i.key} ({i.import_id or 'no ImportId'}, {i.kind})")
    return f"""\
# The questionnaire, drafted by `surveyreport init` from {d.source}.
# Check each question's type, its wording and its choices' labels; mark answers such as
# "Don't know" `nonsubstantive: true` (reported apart, left out of bases). Keys explained
# in config/README.md.
#
{skipped_block}
survey:
  metadata:
    # tidy name -> export column, and what it is used for. PII columns are listed under
    # `pii` and never pass ingest.
{meta}
  pii:{"" if pii else " {}"}
{chr(10).join(pii)}

questions:
{(chr(10) + chr(10)).join(_question_yaml(i) for i in d.drafted)}
"""


SUBTITLES = {
    "matrix": "% of respondents giving each answer, by statement",
    "rank": "% of respondents who ranked each item first",
    "numeric": "Mean, with its interval",
    "nps": "Detractors, passives and promoters, % of respondents, and the net promoter score",
}


def report_yaml(d: Draft) -> str:
    ids = tier_ids(substantive(d.banner)) if d.banner is not None else []
    palette = "\n".join([f"    total: {q(TOTAL_COLOUR)}", *(f"    {t}: {q(PALETTE[n])}" for n, t in enumerate(ids))])
    hatches = "\n" + "\n".join(f"    {t}: {q(HATCHES[n])}" for n, t in enumerate(ids)) if ids else " {}"
    exhibits = []
    for item in (i for i in d.drafted if i.charted):
        if not item.closed:
            exhibits.append(
                f"  - id: {item.id}\n    question: {item.id}\n    by: total\n"
                f"    headline: {q(short(item.text or item.key))}\n"
                f"    subtitle: {q(SUBTITLES[item.kind])}"
            )
            continue
        verb = "ticked each answer" if item.kind == "multi" else "gave each answer"
        exhibits.append(
            f"  - id: {item.id}\n    question: {item.id}\n    by: total\n"
            f"    order: {'ranked' if item.kind == 'multi' else 'questionnaire'}\n"
            f"    headline: {q(short(item.text or item.key))}\n"
            f"    subtitle: {q('% of respondents who ' + verb)}"
        )
    first = next((i for i in d.drafted if i.closed and not i.statements), d.banner) or next(i for i in d.drafted if i.choices)
    by_tier = "`by: tier` compares the tiers" if ids else "the study has no tiers to compare"
    return f"""\
# What the report shows, drafted by `surveyreport init`: one chart per closed question,
# of all respondents ({by_tier}). Rewrite each headline as what the
# chart shows; a headline that asserts something declares it under `claims`
# (config/README.md, report.yaml).

style:
  font: Lato
  font_size: 8.5
  label_width: 38
  text_color: "#222222"
  rule_color: "#9a9a9a"
  # Okabe-Ito colours, told apart with colour-blindness, and a hatch per tier.
  palette:
{palette}
  hatches:{hatches}

exhibits:
{chr(10).join(exhibits)}

unsupported_claims: stop
verbatim_max_chars: 400
verbatim_max_answers: 60

# Key findings: none drafted. Each states what its wording asserts, checked on the data, e.g.
#  - id: most_common
#    heading: Most common answer
#    text: The most common answer to “{short(first.text or first.key, 60)}” is {{first}} ({{first_share}}).
#    values:
#      first: {{measure: ranked, question: {first.id}, rank: 1, show: label}}
#      first_share: {{measure: ranked, question: {first.id}, rank: 1, show: share}}
#    claims:
#      - {{measure: top, question: {first.id}, expect: [{first.choices[0].id}]}}
findings: []
"""


# ----------------------------------------------------------------------------- the command


def inventory(items: list[Item]) -> list[str]:
    """One line per question: its type, or why it is not drafted."""
    lines = [
        f"  {i.key}: {i.kind}"
        + (f" ({len(i.choices)} choices)" if i.choices and not i.statements else "")
        + (
            f" ({len(i.statements)} statements" + (f", {len(i.choices)} answers each)" if i.kind != "rank" and i.choices else ")")
            if i.statements
            else ""
        )
        for i in items
        if not i.reason
    ]
    return lines + [f"  not drafted: {i.key} ({i.import_id or 'no ImportId'}, {i.kind}): {i.reason}" for i in items if i.reason]


def summary(d: Draft) -> list[str]:
    lines = [f"drafted config/{d.name}/ from {d.source}: {len(d.drafted)} question(s), {len(d.skipped)} not drafted"]
    lines += inventory(d.items)
    if d.banner is None:
        lines.append(f"  no tiers: {d.banner_why}; the report gives the total only (no group comparisons)")
    else:
        lines.append(f"  tiers: the answers to {d.banner.key} ({d.banner_why})")
    lines.append(f"build it: snakemake --cores 2 --config study={d.name}")
    return lines


def _export_path(export: Path, root: Path) -> tuple[str, Path | None]:
    """How config.yaml names the export, and the copy to make under data/raw/ (None: it is there)."""
    raw = (root / "data" / "raw").resolve()
    resolved = export.resolve()
    if resolved.parent == raw or raw in resolved.parents:
        return str(resolved.relative_to(root.resolve())), None
    target = root / "data" / "raw" / export.name
    if target.exists():
        raise SurveyError(
            f"{target} exists already", expected="an export not yet under data/raw/, or the one there (--export data/raw/...)"
        )
    return f"data/raw/{export.name}", target


def init(
    name: str, export: str | Path, questionnaire: str | Path | None = None, banner: str | None = None, root: str | Path = "."
) -> list[str]:
    """Draft ``config/NAME/`` from the export (and survey definition); return the lines to print."""
    root, export = Path(root), Path(export)
    if not NAME.match(name):
        raise SurveyError(f"{name!r} is not a study name", expected="lower-case letters, digits, - and _ (config/NAME/)")
    schemas = root / "workflow" / "schemas"
    if not schemas.is_dir():
        raise SurveyError(f"{root.resolve()} is not the project's folder (no workflow/schemas/)", expected="--root naming it")
    folder = root / "config" / name
    if folder.exists():
        raise SurveyError(f"{folder} exists already: init never overwrites a study", expected="a new study name")
    if not export.is_file():
        raise SurveyError("no such file", file=export, expected="the survey's CSV export")
    platform = detect_platform(export)
    if platform in ("spss", "surveymonkey"):  # drafted from the file alone (draft_export)
        if questionnaire is not None:
            raise SurveyError(f"--questionnaire is a Qualtrics survey definition; a {platform} export is drafted from itself")
        from .draft_export import init_from

        return init_from(platform, name, export, banner, root)
    header = read_header(export)
    if questionnaire is not None:
        survey = read_qsf(questionnaire)
        items, source = from_qsf(survey.questions, header), f"{Path(questionnaire).name} and {export.name}"
        title = survey.name
    elif header.platform == "qualtrics_legacy":
        items, source, title = from_legacy(header), export.name, ""
    else:
        items, source, title = from_export(header), export.name, ""
    assign_ids(items)
    found = inventory(items)
    if not any(i.closed or i.kind in ("matrix", "rank", "nps") and not i.reason for i in items):
        raise Refused(
            f"none of its {len(items)} questions is of a type the pipeline reads (single, multi, matrix, rank, nps)",
            found,
            file=questionnaire or export,
        )
    try:
        chosen, why = pick_banner(items, banner)
    except SurveyError as error:
        raise Refused(error.message, found, expected=error.expected) from None
    named, copy = _export_path(export, root)
    draft = Draft(name, named, header, items, chosen, why, title or f"Survey {name}", source)
    texts = {"config.yaml": config_yaml(draft), "codebook.yaml": codebook_yaml(draft), "report.yaml": report_yaml(draft)}
    _write(root, folder, texts, export, copy, schemas)
    return summary(draft)


def _write(root: Path, folder: Path, texts: dict[str, str], export: Path, copy: Path | None, schemas: Path) -> None:
    """Check the drafted files as the workflow will, then put the folder (and the export's copy) in place whole."""
    try:
        (root / "config").mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root / "config", prefix=f".{folder.name}."))
    except OSError as error:
        raise cannot("write", folder, error) from None
    try:
        for name, text in texts.items():
            (staging / folder.name).mkdir(exist_ok=True)
            (staging / folder.name / name).write_text(text, encoding="utf-8")
        load_study(staging, folder.name, {}, schemas)
        if copy is not None:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(export, copy)
        (staging / folder.name).rename(folder)
    except OSError as error:
        if copy is not None:
            copy.unlink(missing_ok=True)
        raise cannot("write", folder, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
