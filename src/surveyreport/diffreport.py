"""A report diff written out: diff.md (a pull-request comment), diff.html (one self-contained page),
numbers.csv, cells.csv and workbook.csv (every change), words.diff and pages/page-NN.png (old beside new)."""

from __future__ import annotations

import base64
import csv
import io
import os
import shutil
import tempfile
from html import escape
from pathlib import Path

from .atomic import umask
from .diff import LEAD, WORKBOOK, Cell, Change, Diff, WorkbookCell, marked_words
from .errors import cannot

NUMBER_COLUMNS = [
    "state",
    "kind",
    "question",
    "column",
    "source",
    "old_text",
    "new_text",
    "old_value",
    "new_value",
    "old_numerator",
    "new_numerator",
    "old_base",
    "new_base",
    "move",
    "old_pages",
    "new_pages",
]
CELL_COLUMNS = ["table", "key", "field", "old", "new"]
WORKBOOK_COLUMNS = ["state", "sheet", "cell", "row", "column", "old", "new"]
MAX_BLOCKS = 40  # changed paragraphs shown in diff.md (all are in diff.html and words.diff)
MAX_CELLS = 60  # changed table cells shown per table in diff.html (all are in cells.csv and workbook.csv)
MAX_WORKBOOK = 20  # changed workbook cells shown in diff.md


def place(change: Change) -> str:
    return " · ".join(part for part in change.place if part)


def figure(row: dict | None) -> str:
    return "—" if row is None else row["text"]


def base(row: dict | None) -> str:
    """What the number is out of: "20 of 40", a ratio's "20/40 vs 10/40", or a base alone."""
    if row is None:
        return ""
    numerator, total = row["numerator"], row["base"]
    if "/" in numerator:
        return f"{numerator} vs {total}"
    return f"{numerator} of {total}" if numerator and total else total or numerator


def pages(numbers: tuple[int, ...] | None) -> str:
    """ "p. 7", "pp. 3, 7–9", "not found"; empty where there is no number (or no PDF) to look in."""
    if numbers is None:
        return ""
    if not numbers:
        return "not found"
    runs = []  # [first, last] of each run of consecutive pages
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
    return f"p. {text}" if len(numbers) == 1 else f"pp. {text}"


def where(change: Change) -> str:
    """The pages printing the number in the old report and the new: "p. 7 → p. 8", or "p. 7" on both."""
    old, new = pages(change.old_pages), pages(change.new_pages)
    if old == new:
        return old
    return f"{old or '—'} → {new or '—'}"


def printed(diff: Diff) -> str:
    """Where the numbers that differ are printed, for the summary: pages of the old report and of the new."""
    if not diff.numbers:
        return ""
    old = sorted({n for c in diff.numbers for n in c.old_pages or ()})
    new = sorted({n for c in diff.numbers for n in c.new_pages or ()})
    lost = sum(1 for c in diff.numbers if () in (c.old_pages, c.new_pages))
    text = f", printed on {pages(tuple(old)) if old else 'no page'} of the old report and {pages(tuple(new)) if new else 'no page'} of the new"
    return text + (f" ({lost} not found on a page)" if lost else "")


def workbook_counts(cells: list[WorkbookCell]) -> str:
    states = [c.state for c in cells]
    return f"{len(cells)} workbook cells differ ({states.count('changed')} changed, {states.count('added')} added, {states.count('removed')} removed)"


def moved(change: Change) -> str:
    if change.state != "changed":
        return change.state
    unit = " pts" if change.place[0] in ("share", "interval") else "%"
    return f"{change.move:.1f}{unit}" if change.move != float("inf") else "changed"


def summary(diff: Diff) -> str:
    """One sentence: what changed, or that nothing did."""
    if diff.empty:
        return (
            "The two builds are identical: no number, claim, significance letter, table or workbook cell, word or page differs."
        )
    states = [c.state for c in diff.numbers]
    tables = sorted({c.table for c in diff.tables})
    parts = [
        f"{states.count('changed')} printed numbers changed, {states.count('appeared')} appeared, {states.count('disappeared')} disappeared"
        + printed(diff),
        f"{len(diff.claims)} verdicts of findings and {len({c.key for c in diff.checks if c.field == 'holds'})} published-figure checks changed state",
        f"{len(diff.letters)} cells gained or lost significance letters",
        f"{sum(max(len(a), len(b)) for _, a, b in diff.words)} paragraphs differ",
        f"{len(diff.pages)} pages differ",
        f"{len(diff.tables)} table cells differ" + (f" ({', '.join(tables)})" if tables else ""),
        workbook_counts(diff.workbook),
    ]
    return "; ".join(parts) + "."


# ----------------------------------------------------------------------------- diff.md


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _computed(diff: Diff, key: str) -> str:
    """ " (computed 174 → 163)" for a check whose computed value changed."""
    return "".join(f" (computed {_md(c.old)} → {_md(c.new)})" for c in diff.checks if c.key == key and c.field == "computed")


def _bases(change: Change) -> str:
    old, new = base(change.old), base(change.new)
    return f"{old} → {new}" if old or new else ""


def markdown(diff: Diff, old_label: str, new_label: str) -> str:
    lines = ["## What changed in the report", "", f"`{_md(old_label)}` → `{_md(new_label)}`", "", summary(diff), ""]
    lines += [f"> {note}" for note in diff.notes]
    if diff.numbers:
        lines += [
            "### Numbers that moved most",
            "",
            "| place | old | new | base old → new | move | page old → new |",
            "|---|---|---|---|---|---|",
        ]
        for c in diff.numbers[:LEAD]:
            lines.append(
                f"| {_md(place(c))} | {_md(figure(c.old))} | {_md(figure(c.new))} | {_md(_bases(c))} | {moved(c)} | {where(c)} |"
            )
        if len(diff.numbers) > LEAD:
            lines.append(f"\n…and {len(diff.numbers) - LEAD} more in `numbers.csv`.")
        lines.append("")
    flips = [c for c in diff.checks if c.field == "holds"]
    if diff.claims or flips:
        lines += ["### Findings and checks that changed state", ""]
        lines += [
            f"- {_md(place(c))}: {_md(c.old['value'] if c.old else '—')} → {_md(c.new['value'] if c.new else '—')}"
            for c in diff.claims
        ]
        lines += [f"- {_md(c.key)}: holds {_md(c.old or '—')} → {_md(c.new or '—')}{_computed(diff, c.key)}" for c in flips]
        lines.append("")
    recomputed = {c.key for c in diff.checks} - {c.key for c in flips}
    if recomputed:
        lines += [f"{len(recomputed)} more published-figure checks computed other numbers and still hold (`cells.csv`).", ""]
    if diff.letters:
        lines += ["### Significance letters", "", "| cell | column | vanished | appeared |", "|---|---|---|---|"]
        lines += [f"| {_md(c.key)} | {c.field} | {c.old} | {c.new} |" for c in diff.letters[:LEAD]]
        if len(diff.letters) > LEAD:
            lines.append(f"\n…and {len(diff.letters) - LEAD} more in `cells.csv`.")
        lines.append("")
    attrition = [c for c in diff.tables if c.table == "clean/attrition.csv"]
    if attrition:
        lines += ["### Attrition", "", "| step | column | old | new |", "|---|---|---|---|"]
        lines += [f"| {_md(c.key)} | {c.field} | {_md(c.old)} | {_md(c.new)} |" for c in attrition]
        lines.append("")
    if diff.words:
        lines += ["### Words", "", "```diff"]
        shown = 0
        for _, old, new in diff.words:
            if shown >= MAX_BLOCKS:
                break
            lines += [f"- {text}" for text in old] + [f"+ {text}" for text in new]
            shown += len(old) + len(new)
        lines.append("```")
        if shown >= MAX_BLOCKS:
            lines.append("…the rest in `words.diff`.")
        lines.append("")
    if diff.pages:
        lines += [
            "### Pages",
            "",
            "Pages that differ: " + ", ".join(str(n) for n, _ in diff.pages) + " (old beside new in `diff.html` and `pages/`).",
            "",
        ]
    others = sorted({c.table for c in diff.tables} - {"clean/attrition.csv"})
    if others:
        lines += ["### Tables", ""]
        for table in others:
            cells = [c for c in diff.tables if c.table == table]
            lines.append(f"- `{table}`: {len(cells)} cells in {len({c.key for c in cells})} rows")
        lines.append("")
    if diff.workbook:
        lines += [f"### Workbook (`{WORKBOOK}`)", "", workbook_counts(diff.workbook) + ".", ""]
        lines += ["| sheet | cell | row | column | old | new |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {_md(c.sheet)} | {c.ref} | {_md(c.row)} | {_md(c.column)} | {_md(_value(c.old))} | {_md(_value(c.new))} |"
            for c in diff.workbook[:MAX_WORKBOOK]
        ]
        if len(diff.workbook) > MAX_WORKBOOK:
            lines.append(f"\n…and {len(diff.workbook) - MAX_WORKBOOK} more in `workbook.csv`.")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------- diff.html

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.summary{font-size:1.1em;background:#f6f6f6;padding:.6em 1em;border-left:4px solid #888}
.words td{width:50%}img{max-width:100%;border:1px solid #ccc}.note{color:#a00}
"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cells(cells: list[Cell], limit: int = MAX_CELLS) -> str:
    rows = [[escape(c.key), escape(c.field), escape(c.old), escape(c.new)] for c in cells[:limit]]
    more = f"<p>…and {len(cells) - limit} more in cells.csv.</p>" if len(cells) > limit else ""
    return _table(["row", "column", "old", "new"], rows) + more


def _value(value: str | None) -> str:
    return "—" if value is None else value


def _workbook(cells: list[WorkbookCell], limit: int = MAX_CELLS) -> str:
    rows = [
        [escape(c.sheet), c.ref, escape(c.row), escape(c.column), escape(_value(c.old)), escape(_value(c.new))]
        for c in cells[:limit]
    ]
    more = f"<p>…and {len(cells) - limit} more in workbook.csv.</p>" if len(cells) > limit else ""
    return _table(["sheet", "cell", "row", "column", "old", "new"], rows) + more


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def page(diff: Diff, old_label: str, new_label: str, images: dict[int, bytes]) -> str:
    """diff.html; ``images`` are the PNG bytes of each page that differs, old beside new."""
    parts = [
        f"<h1>What changed in the report</h1><p><code>{escape(old_label)}</code> → <code>{escape(new_label)}</code></p>",
        f"<p class=summary>{escape(summary(diff))}</p>",
    ]
    parts += [f"<p class=note>{escape(note)}</p>" for note in diff.notes]
    if diff.numbers:
        rows = [
            [
                escape(place(c)),
                escape(figure(c.old)),
                escape(figure(c.new)),
                escape(base(c.old)),
                escape(base(c.new)),
                escape(moved(c)),
                escape(where(c)),
            ]
            for c in diff.numbers
        ]
        parts.append(
            "<h2>Numbers, those that moved most first</h2>"
            + _table(["place", "old", "new", "old base", "new base", "move", "page old → new"], rows)
        )
    if diff.claims or diff.checks:
        rows = [
            [escape(place(c)), escape(c.old["value"] if c.old else "—"), escape(c.new["value"] if c.new else "—")]
            for c in diff.claims
        ]
        rows += [[escape(f"{c.key} ({c.field})"), escape(c.old or "—"), escape(c.new or "—")] for c in diff.checks]
        parts.append("<h2>Findings and checks that changed state</h2>" + _table(["claim or check", "old", "new"], rows))
    if diff.letters:
        rows = [[escape(c.key), escape(c.field), escape(c.old), escape(c.new)] for c in diff.letters]
        parts.append("<h2>Significance letters</h2>" + _table(["cell", "column", "vanished", "appeared"], rows))
    for table in sorted({c.table for c in diff.tables}, key=lambda t: (t != "clean/attrition.csv", t)):
        parts.append(f"<h2>{escape(table)}</h2>" + _cells([c for c in diff.tables if c.table == table]))
    if diff.workbook:
        parts.append(f"<h2>{escape(WORKBOOK)}</h2><p>{escape(workbook_counts(diff.workbook))}.</p>" + _workbook(diff.workbook))
    if diff.words:
        rows = []
        for op, old, new in diff.words:
            if op == "replace" and len(old) == len(new):
                rows += [list(marked_words(a, b)) for a, b in zip(old, new)]
            else:
                rows.append(
                    ["<br>".join(f"<del>{escape(t)}</del>" for t in old), "<br>".join(f"<ins>{escape(t)}</ins>" for t in new)]
                )
        parts.append(
            "<h2>Words, paragraph by paragraph</h2><table class=words><tr><th>old</th><th>new</th></tr>"
            + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
            + "</table>"
        )
    if diff.pages:
        parts.append("<h2>Pages that differ (old left, new right; changes in red)</h2>")
        parts += [
            f"<h3>Page {n}</h3><img alt='page {n}, old beside new' src='data:image/png;base64,{base64.b64encode(images[n]).decode()}'>"
            for n, _ in diff.pages
        ]
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Report diff</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


# ----------------------------------------------------------------------------- the folder


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _page_list(numbers: tuple[int, ...] | None) -> str:
    """Pages for numbers.csv: "3 7", "not found", or empty."""
    return " ".join(map(str, numbers)) if numbers else pages(numbers)


def _number_row(c: Change) -> list[str]:
    def get(row: dict | None, key: str) -> str:
        return "" if row is None else row[key]

    move = "" if c.state != "changed" or c.move == float("inf") else f"{c.move:.4f}"
    return [
        c.state,
        *c.place,
        get(c.old, "text"),
        get(c.new, "text"),
        get(c.old, "value"),
        get(c.new, "value"),
        get(c.old, "numerator"),
        get(c.new, "numerator"),
        get(c.old, "base"),
        get(c.new, "base"),
        move,
        _page_list(c.old_pages),
        _page_list(c.new_pages),
    ]


def write(diff: Diff, out: str | Path, old_label: str, new_label: str) -> Path:
    """Write the diff into ``out`` (replaced whole: a failed write leaves the previous one)."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        try:
            images = {number: png(image) for number, image in diff.pages}
            (work / "diff.md").write_text(markdown(diff, old_label, new_label), encoding="utf-8")
            (work / "diff.html").write_text(page(diff, old_label, new_label, images), encoding="utf-8")
            _csv(work / "numbers.csv", NUMBER_COLUMNS, [_number_row(c) for c in [*diff.claims, *diff.numbers]])
            cells = [*diff.checks, *diff.letters, *diff.tables]
            _csv(work / "cells.csv", CELL_COLUMNS, [[c.table, c.key, c.field, c.old, c.new] for c in cells])
            _csv(
                work / "workbook.csv",
                WORKBOOK_COLUMNS,
                [[c.state, c.sheet, c.ref, c.row, c.column, c.old or "", c.new or ""] for c in diff.workbook],
            )
            words = [t for _, old, new in diff.words for t in [*(f"- {x}" for x in old), *(f"+ {x}" for x in new)]]
            (work / "words.diff").write_text("".join(f"{line}\n" for line in words), encoding="utf-8")
            if diff.pages:
                (work / "pages").mkdir()
                for number, data in images.items():
                    (work / "pages" / f"page-{number:02d}.png").write_bytes(data)
            os.chmod(work, 0o777 & ~umask())
            old = None
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
                out.rename(old / out.name)
            work.rename(out)
            if old:
                shutil.rmtree(old)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    except OSError as error:
        raise cannot("write", out, error) from None
    return out
