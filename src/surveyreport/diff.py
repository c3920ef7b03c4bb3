"""What changed between two builds of a study: its numbers, words, pages, attrition, tables and workbook.

``compare(old, new)`` reads two published results folders (``results/<study>/``) and returns a
``Diff``; ``write(diff, out)`` writes it as ``diff.md`` (for a pull-request comment), a
self-contained ``diff.html``, the CSV files behind them and an image of each page that differs.
A number's place is its kind, question, banner column and source in ``ledger.csv``; the same
place printed more than once is paired in order of appearance, after the unchanged copies. Its
pages are those of each build's PDF on which its printed text (the ledger's ``text``) stands whole.
"""

from __future__ import annotations

import csv
import difflib
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

from .errors import SurveyError, cannot

PLACE = ("kind", "question", "column", "source")
FIGURES = ("text", "value", "numerator", "base")
CLAIMS = ("test",)  # ledger kinds that state a finding's verdict rather than a number
# The tables compared cell by cell: file, the columns that identify a row.
TABLES = {
    "clean/attrition.csv": ("reason",),
    "clean/dispositions.csv": ("response_id",),
    "crosstab/crosstabs.csv": ("question", "column", "choice", "kind"),
    "crosstab/chisquare.csv": ("question",),
    "crosstab/scores.csv": ("question", "statistic", "column"),
    "crosstab/pairwise.csv": ("question", "choice", "family", "column_a", "column_b"),
}
WORKBOOK = "crosstab/crosstabs.xlsx"
LEAD = 15  # numbers shown first in diff.md and at the top of diff.html
PAGE_DPI = 50


@dataclass(frozen=True)
class Change:
    """A printed number that changed, appeared (``old`` empty) or disappeared (``new`` empty)."""

    place: tuple[str, str, str, str]
    old: dict | None
    new: dict | None
    old_pages: tuple[int, ...] | None = None  # the old report's pages printing it; () not found; None not looked for
    new_pages: tuple[int, ...] | None = None

    @property
    def state(self) -> str:
        return "appeared" if self.old is None else "disappeared" if self.new is None else "changed"

    @property
    def move(self) -> float:
        """How far it moved: percentage points for shares and intervals, else percent of the old value."""
        if self.old is None or self.new is None:
            return float("inf")
        old, new = _numbers(self.old["value"]), _numbers(self.new["value"])
        if len(old) != len(new) or not old:
            return float("inf") if self.old["value"] != self.new["value"] else 0.0
        if self.place[0] in ("share", "interval"):
            return max(abs(a - b) for a, b in zip(old, new))
        return max(abs(a - b) / abs(a) * 100 if a else (0.0 if a == b else float("inf")) for a, b in zip(old, new))


@dataclass(frozen=True)
class Cell:
    """A cell of a table (or a row of verification.md, or a significance letter) that differs."""

    table: str
    key: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class WorkbookCell:
    """A cell of the crosstab workbook that changed, was added (``old`` None) or removed (``new`` None)."""

    sheet: str
    ref: str  # A1
    row: str  # the row's header: its text cells left of this one, up to the first number
    column: str  # the column's header: the header rows above it (bold text only)
    old: str | None
    new: str | None

    @property
    def state(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


@dataclass
class Diff:
    numbers: list[Change] = field(default_factory=list)
    claims: list[Change] = field(default_factory=list)
    checks: list[Cell] = field(default_factory=list)
    letters: list[Cell] = field(default_factory=list)
    tables: list[Cell] = field(default_factory=list)
    workbook: list[WorkbookCell] = field(default_factory=list)
    words: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (op, old blocks, new blocks)
    pages: list[tuple[int, object]] = field(default_factory=list)  # (page number, PIL image)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.numbers, self.claims, self.checks, self.letters, self.tables, self.workbook, self.words, self.pages))


# ----------------------------------------------------------------------------- reading


def read_rows(path: Path) -> list[dict]:
    """A CSV file's rows as dictionaries of strings; a missing file has none."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []
    except OSError as error:
        raise cannot("read", path, error) from None


def _numbers(value: str) -> list[float]:
    """The numbers in a ledger value: one, or an interval's two ends ("47.7507–62.3707")."""
    try:
        return [float(part) for part in value.replace(",", "").split("–")]
    except ValueError:
        return []


def results_folder(path: str | Path) -> Path:
    """A published results folder, or one line saying why it is not one."""
    path = Path(path)
    if not (path / "ledger.csv").is_file():
        raise SurveyError("not a results folder (it holds no ledger.csv)", file=path, expected="results/<study>/")
    return path.resolve()


# ----------------------------------------------------------------------------- numbers


def ledger_places(ledger: list[dict], crosstabs: list[dict]) -> list[tuple[tuple, dict]]:
    """Each ledger row with its place; an interval takes its share's source from the crosstab row it matches."""
    choices = defaultdict(list)
    for row in crosstabs:
        try:
            interval = f"{float(row['ci_low']):.4f}–{float(row['ci_high']):.4f}"
        except (KeyError, ValueError):
            continue
        choices[(row["question"], row["column"], row["count"], row["base"], interval)].append(row["choice"])
    places = []
    for row in ledger:
        source = row["source"]
        if row["kind"] == "interval" and not source:
            found = choices.get((row["question"], row["column"], row["numerator"], row["base"], row["value"]))
            source = f"crosstab: {found[0]}" if found else ""
        places.append(((row["kind"], row["question"], row["column"], source), row))
    return places


def changed_numbers(old: list[tuple[tuple, dict]], new: list[tuple[tuple, dict]]) -> list[Change]:
    """Every place whose printed figures differ, in the new ledger's order (then the old one's)."""
    olds, news = defaultdict(list), defaultdict(list)
    for place, row in old:
        olds[place].append(row)
    for place, row in new:
        news[place].append(row)
    changes = []
    for place in dict.fromkeys([*news, *olds]):
        before, after = list(olds[place]), list(news[place])
        figures = [tuple(r[f] for f in FIGURES) for r in after]
        for row in list(before):
            key = tuple(row[f] for f in FIGURES)
            if key in figures:
                index = figures.index(key)
                del figures[index], after[index]
                before.remove(row)
        for i in range(max(len(before), len(after))):
            changes.append(Change(place, before[i] if i < len(before) else None, after[i] if i < len(after) else None))
    return changes


def changed_letters(old: list[dict], new: list[dict]) -> list[Cell]:
    """Significance letters that vanished (``old``) or appeared (``new``) in a crosstab cell's ``higher_than``;
    ``field`` is the cell's own column letter."""

    def letters(rows):
        return {(r["question"], r["column"], r["choice"]): (r.get("letter", ""), set(r.get("higher_than", ""))) for r in rows}

    before, after = letters(old), letters(new)
    cells = []
    for key in dict.fromkeys([*after, *before]):
        (letter, was), (other, now) = before.get(key, ("", set())), after.get(key, ("", set()))
        if was != now:
            vanished, appeared = "".join(sorted(was - now)), "".join(sorted(now - was))
            cells.append(Cell("higher_than", " / ".join(key), letter or other, vanished, appeared))
    return cells


# ----------------------------------------------------------------------------- where a number is printed


def page_texts(pdf: Path) -> list[str] | None:
    """The text of each page of a PDF (pypdf), whitespace collapsed; None where there is no PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not pdf.is_file():
        return None
    try:
        return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]
    except PyPdfError as error:
        raise SurveyError(f"pypdf cannot read it: {error}", file=pdf) from None
    except OSError as error:
        raise cannot("read", pdf, error) from None


def printed_on(text: str, pages: list[str]) -> tuple[int, ...]:
    """The pages (from 1) on which ``text`` stands whole: not inside a longer number or word ("6%" is not in "26%")."""
    words = " ".join(text.split())
    pattern = re.compile(rf"(?<![\w.,–-]){re.escape(words)}(?![\w%–]|[.,]\d)")
    return tuple(number for number, page in enumerate(pages, start=1) if pattern.search(page))


def located(changes: list[Change], old: list[str] | None, new: list[str] | None) -> list[Change]:
    """The changes with the pages of each report that print their old and new text (None: no row, or no PDF).

    A number whose printed text changed (or that appeared or disappeared) is on a page that differs
    from the other report's page of the same number: the pages that print its text and are the same
    in both reports print another number, and are left out (unless no page is left).
    """
    on_old = functools.cache(lambda text: printed_on(text, old))
    on_new = functools.cache(lambda text: printed_on(text, new))
    same = set() if old is None or new is None else {n for n, (a, b) in enumerate(zip(old, new), start=1) if a == b}

    def pages(change: Change, row: dict | None, texts: list[str] | None, on) -> tuple[int, ...] | None:
        if row is None or texts is None:
            return None
        found = on(row["text"])
        if change.old is None or change.new is None or change.old["text"] != change.new["text"]:
            return tuple(n for n in found if n not in same) or found
        return found

    return [replace(c, old_pages=pages(c, c.old, old, on_old), new_pages=pages(c, c.new, new, on_new)) for c in changes]


# ----------------------------------------------------------------------------- tables and checks


def changed_cells(name: str, keys: tuple[str, ...], old: list[dict], new: list[dict]) -> list[Cell]:
    """Every cell of a table that differs, a row that appeared or vanished as one cell per column."""

    def index(rows):
        return {" / ".join(r.get(k, "") for k in keys): r for r in rows}

    before, after = index(old), index(new)
    cells = []
    for key in dict.fromkeys([*after, *before]):
        a, b = before.get(key, {}), after.get(key, {})
        for column in dict.fromkeys([*b, *a]):
            if column not in keys and a.get(column, "") != b.get(column, ""):
                cells.append(Cell(name, key, column, a.get(column, ""), b.get(column, "")))
    return cells


def verification_rows(path: Path) -> list[dict]:
    """The rows of verification.md's table of checks."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise cannot("read", path, error) from None
    table = [line for line in lines if line.startswith("|") and not line.startswith("|---")]
    if not table:
        return []

    def split(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split(" | ")]

    header = split(table[0])
    return [dict(zip(header, split(line))) for line in table[1:]]


# ----------------------------------------------------------------------------- the workbook


def shown(value) -> str:
    """A cell's value as text, a fraction to 10 significant digits."""
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def sheet_cells(sheet) -> dict[tuple[int, int], tuple[str, str, str]]:
    """Each filled cell of an openpyxl sheet, by (row, column): its value as text, its row header, its column header.

    Header rows are those whose filled cells are all bold text (a merged cell fills its whole range); a
    column's header is its text in the header rows of the cell's table (above it, with no empty row between).
    """
    values, header_rows = {}, set()
    for row in sheet.iter_rows():
        filled = [cell for cell in row if cell.value is not None]
        for cell in filled:
            values[(cell.row, cell.column)] = cell.value
        if filled and all(isinstance(cell.value, str) and cell.font.b for cell in filled):
            header_rows.add(filled[0].row)
    filled_rows = {r for r, _ in values}
    spread = dict(values)
    for merged in sheet.merged_cells.ranges:
        value = values.get((merged.min_row, merged.min_col))
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                spread.setdefault((r, c), value)

    def row_header(r: int, c: int) -> str:
        texts = []
        for left in range(1, c):
            value = values.get((r, left))
            if value is not None and not isinstance(value, str):
                break
            if value:
                texts.append(value)
        return " / ".join(texts)

    def column_header(r: int, c: int) -> str:
        run = []  # the header rows of the cell's table: above it, with no empty row between
        for above in range(r - 1, 0, -1):
            if above in header_rows:
                run.insert(0, above)
            elif run or above not in filled_rows:
                break
        return " / ".join(str(spread[(h, c)]) for h in run if spread.get((h, c)) is not None)

    return {(r, c): (shown(v), row_header(r, c), column_header(r, c)) for (r, c), v in values.items()}


def workbook_sheets(path: Path) -> dict[str, dict[tuple[int, int], tuple[str, str, str]]]:
    """Each sheet of a workbook, in order, with its filled cells (``sheet_cells``); a missing workbook has none."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        return {}
    try:
        book = load_workbook(path)
    except OSError as error:
        raise cannot("read", path, error) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise SurveyError(f"openpyxl cannot read it as a workbook: {error}", file=path, expected="an .xlsx file") from None
    return {sheet.title: sheet_cells(sheet) for sheet in book.worksheets}


def changed_workbook(old: Path, new: Path) -> list[WorkbookCell]:
    """Every cell of two workbooks that differs, sheet by sheet (the new workbook's order, then sheets it lost), row by row."""
    from openpyxl.utils import get_column_letter

    if old.is_file() and new.is_file() and old.read_bytes() == new.read_bytes():
        return []
    before, after = workbook_sheets(old), workbook_sheets(new)
    cells = []
    for name in dict.fromkeys([*after, *before]):
        a, b = before.get(name, {}), after.get(name, {})
        for r, c in sorted(a.keys() | b.keys()):
            was, now = a.get((r, c)), b.get((r, c))
            if was is None or now is None or was[0] != now[0]:
                _, row, column = now or was
                ref = f"{get_column_letter(c)}{r}"
                cells.append(WorkbookCell(name, ref, row, column, was and was[0], now and now[0]))
    return cells


# ----------------------------------------------------------------------------- words


BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "caption", "figcaption", "tr", "title", "blockquote", "pre"}
CELLS = {"td", "th"}
HIDDEN = {"style", "script", "head"}


class _Blocks(HTMLParser):
    """The text of each block element of a page, whitespace collapsed, table rows with cells apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.text: list[str] = []
        self.hidden = 0

    def flush(self) -> None:
        text = " ".join("".join(self.text).split()).strip(" |")
        if text:
            self.blocks.append(text)
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self.hidden += 1
        elif tag in BLOCKS:
            self.flush()
        elif tag in CELLS and self.text:
            self.text.append(" | ")

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


def blocks_of(path: Path) -> list[str]:
    """The report's text, block by block (paragraphs, headings, list items, table rows)."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise cannot("read", path, error) from None
    parser = _Blocks()
    parser.feed(source)
    parser.close()
    parser.flush()
    return parser.blocks


def changed_blocks(old: list[str], new: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """The runs of blocks that differ: (``replace``, ``delete`` or ``insert``, old blocks, new blocks)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(op, old[i1:i2], new[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def marked_words(old: str, new: str) -> tuple[str, str]:
    """Both texts escaped, the words only one of them has in <del> and <ins>."""
    a, b = old.split(" "), new.split(" ")
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        one, two = html.escape(" ".join(a[i1:i2])), html.escape(" ".join(b[j1:j2]))
        if op == "equal":
            left.append(one), right.append(two)
        else:
            if one:
                left.append(f"<del>{one}</del>")
            if two:
                right.append(f"<ins>{two}</ins>")
    return " ".join(left), " ".join(right)


# ----------------------------------------------------------------------------- pages


def page_images(pdf: Path, folder: Path) -> list[Path]:
    """PNG images of every page of a PDF (poppler's pdftoppm), in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["pdftoppm", "-r", str(PAGE_DPI), "-png", str(pdf), str(folder / "p")], check=True, capture_output=True)
    except FileNotFoundError:
        raise SurveyError("pdftoppm not found: install poppler-utils (Debian/Ubuntu) to compare pages") from None
    except subprocess.CalledProcessError as error:
        raise SurveyError(f"pdftoppm cannot read it: {error.stderr.decode(errors='replace').strip()}", file=pdf) from None
    return sorted(folder.glob("p-*.png"), key=lambda p: int(p.stem.split("-")[1]))


def side_by_side(old, new):
    """Old page beside new, the pixels that differ tinted red on both (an empty side where a page is missing)."""
    import numpy as np
    from PIL import Image

    sides = [np.asarray(img.convert("RGB"), dtype=np.uint8) if img is not None else None for img in (old, new)]
    height = max(s.shape[0] for s in sides if s is not None)
    width = max(s.shape[1] for s in sides if s is not None)
    padded = []
    for side in sides:
        canvas = np.full((height, width, 3), 235, dtype=np.uint8)
        if side is not None:
            canvas[: side.shape[0], : side.shape[1]] = side
        padded.append(canvas)
    mask = np.any(padded[0] != padded[1], axis=2)
    grown = mask.copy()  # widened by two pixels, so that a changed character shows
    for dy in (-2, -1, 1, 2):
        grown |= np.roll(mask, dy, axis=0)
    for dx in (-2, -1, 1, 2):
        grown |= np.roll(grown, dx, axis=1)
    red = np.array([230, 40, 40], dtype=np.float32)
    for canvas in padded:
        canvas[grown] = (canvas[grown] * 0.45 + red * 0.55).astype(np.uint8)
    gap = np.full((height, 12, 3), 255, dtype=np.uint8)
    return Image.fromarray(np.concatenate([padded[0], gap, padded[1]], axis=1))


def changed_pages(old: Path, new: Path) -> list[tuple[int, object]]:
    """(page number, old beside new) for each page of the two PDFs whose pixels differ."""
    from PIL import Image, ImageChops

    if not old.is_file() or not new.is_file() or old.read_bytes() == new.read_bytes():
        return []
    with tempfile.TemporaryDirectory() as tmp:
        before, after = page_images(old, Path(tmp) / "old"), page_images(new, Path(tmp) / "new")
        pages = []
        for number in range(1, max(len(before), len(after)) + 1):
            a = Image.open(before[number - 1]).convert("RGB") if number <= len(before) else None
            b = Image.open(after[number - 1]).convert("RGB") if number <= len(after) else None
            if a is None or b is None or a.size != b.size or ImageChops.difference(a, b).getbbox() is not None:
                pages.append((number, side_by_side(a, b)))
        return pages


# ----------------------------------------------------------------------------- the comparison

FIRST = ("attrition excluded", "attrition remaining", "respondents", "ratio", "share")  # kinds a reader looks at first


def _rank(change: Change) -> tuple:
    """Changed numbers first: attrition, ratios and shares by how far they moved, then the rest (counts, bases, intervals)."""
    changed = change.state == "changed"
    return (not changed, change.place[0] not in FIRST, -change.move if changed else 0.0)


def compare(old: str | Path, new: str | Path, pages: bool = True) -> Diff:
    """Everything that differs between two published results folders."""
    old, new = results_folder(old), results_folder(new)
    diff = Diff()
    crosstabs = [read_rows(folder / "crosstab/crosstabs.csv") for folder in (old, new)]
    places = [ledger_places(read_rows(f / "ledger.csv"), c) for f, c in zip((old, new), crosstabs)]
    changes = changed_numbers(*places)
    if changes:
        texts = [page_texts(folder / "report.pdf") for folder in (old, new)]
        changes = located(changes, *texts)
        diff.notes += [f"No report.pdf in {f}: its numbers' pages are not given." for f, t in zip((old, new), texts) if t is None]
    diff.claims = [c for c in changes if c.place[0] in CLAIMS and (c.old or {}).get("value") != (c.new or {}).get("value")]
    diff.numbers = sorted((c for c in changes if c not in diff.claims), key=_rank)
    verification = [verification_rows(folder / "verification.md") for folder in (old, new)]
    diff.checks = changed_cells("verification.md", ("figure", "check"), *verification)
    diff.letters = changed_letters(*crosstabs)
    for name, keys in TABLES.items():
        diff.tables += changed_cells(name, keys, read_rows(old / name), read_rows(new / name))
    diff.workbook = changed_workbook(old / WORKBOOK, new / WORKBOOK)
    diff.words = changed_blocks(blocks_of(old / "report.html"), blocks_of(new / "report.html"))
    if pages:
        if shutil.which("pdftoppm"):
            diff.pages = changed_pages(old / "report.pdf", new / "report.pdf")
        else:
            diff.notes.append("Pages not compared: pdftoppm (poppler-utils) is not installed.")
    return diff


# ----------------------------------------------------------------------------- an earlier commit's build


def _git(root: Path, *args: str) -> str:
    run = subprocess.run(["git", *args], check=False, cwd=root, capture_output=True, text=True)
    if run.returncode:
        raise SurveyError(f"git {' '.join(args)}: {(run.stderr.strip().splitlines() or ['failed'])[-1]}")
    return run.stdout.strip()


def earlier_build(base: str, study: str, root: str | Path, cores: int = 2) -> tuple[Path, str]:
    """The build to compare with and its label: a results folder as it is, or the study built at a commit."""
    if Path(base).is_dir():
        return Path(base), str(base)
    return build_at(base, study, root, cores), f"{study} at {base}"


def build_at(commit: str, study: str, root: str | Path, cores: int = 2) -> Path:
    """The study's published results built from ``commit``, in a temporary git worktree of ``root``.

    The set is kept in ``results/.diff/.builds/<commit>/<study>/``, so that the next diff against
    the same commit does not build it again.
    """
    root = Path(root).resolve()
    sha = _git(root, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    cache = root / "results" / ".diff" / ".builds" / sha[:12] / study
    if (cache / "ledger.csv").is_file():
        return cache
    with tempfile.TemporaryDirectory(prefix="surveyreport-diff-") as tmp:
        tree = Path(tmp) / "tree"
        _git(root, "worktree", "add", "--detach", "--quiet", str(tree), sha)
        try:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree / "src"), os.environ.get("PYTHONPATH")]))}
            command = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--config", f"study={study}"]
            run = subprocess.run(command, check=False, cwd=tree, env=env, capture_output=True, text=True)
            published = tree / "results" / study
            if run.returncode or not (published / "ledger.csv").is_file():
                last = ([line for line in (run.stderr + run.stdout).splitlines() if line.strip()] or ["no output"])[-1]
                raise SurveyError(f"the build of {study!r} at {commit} ({sha[:12]}) failed: {last.strip()}")
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(prefix=f".{study}.", suffix=".tmp", dir=cache.parent))
            shutil.copytree(published.resolve(), partial / study)
            (partial / study).rename(cache)
            partial.rmdir()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False, cwd=root, capture_output=True)
    return cache
