"""The report diff: a wording edit, a cleaning-threshold edit, a tier-rule edit and a caution-base edit, each
against one base build.

The base is the shared build of the study; each edit is made in a copy of the built project and rebuilt (only what
the edit touches reruns; the rebuilds run side by side). The changed numbers are checked
against the two ledgers compared row by row here, and the paired values against the crosstabs; their
pages against poppler's text of each page, the workbook's cells against openpyxl's reading of it.
"""

import csv
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from surveyreport.cli import main
from surveyreport.diff import Change, build_at, compare, located, printed_on
from surveyreport.diffreport import MAX_WORKBOOK, pages, where, write
from surveyreport.errors import SurveyError

from .conftest import RESULTS, snakemake

STUDY = "config/sales-training-2012"
WORDING = ("how well their training organizations support", "how well their training functions support")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def wording(project: Path) -> None:
    replace(project / STUDY / "report.html.j2", *WORDING)


def lenient(project: Path) -> None:
    """Figures that no longer hold are reported, not fatal."""
    replace(project / STUDY / "config.yaml", "fail_on_unverified: true", "fail_on_unverified: false")
    replace(project / STUDY / "report.yaml", "\nunsupported_claims: stop", "\nunsupported_claims: mark")


def threshold(project: Path) -> None:
    lenient(project)
    replace(project / STUDY / "config.yaml", "max_share_of_median: 0.33", "max_share_of_median: 0.6")


def tiers(project: Path) -> None:
    """Effective joins the very effective; the ineffective tiers fall under the minimum base for a test."""
    lenient(project)
    config = project / STUDY / "config.yaml"
    replace(config, "choices: [very_effective]}", "choices: [very_effective, effective]}")
    replace(config, "choices: [effective]}", "choices: [somewhat_ineffective]}")
    replace(config, "choices: [somewhat_ineffective, very_ineffective]}", "choices: [very_ineffective]}")


def caution(project: Path) -> None:
    """Bases under 45, not 50, are flagged: one printed number, and a note on every question's sheet of the workbook."""
    replace(project / STUDY / "config.yaml", "caution_base: 50 ", "caution_base: 45 ")


EDITS = {"wording": wording, "threshold": threshold, "tiers": tiers, "caution": caution}


@pytest.fixture(scope="module")
def builds(build, tmp_path_factory):
    """The base build (a private copy of the shared build: a test writes a diff into it) and each edit's rebuild."""
    root = tmp_path_factory.mktemp("diff")
    base = shutil.copytree(build, root / "base", symlinks=True)
    runs = {}
    for name, edit in EDITS.items():
        shutil.copytree(base, root / name, symlinks=True)
        edit(root / name)
        command = [sys.executable, "-m", "snakemake", "--cores", "2"]
        runs[name] = subprocess.Popen(command, cwd=root / name, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for name, process in runs.items():
        _, stderr = process.communicate()
        assert process.returncode == 0, f"{name}: {stderr[-3000:]}"
    return {"base": base, **{name: root / name for name in EDITS}}


def results(project: Path) -> Path:
    return project / RESULTS


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def ledger_delta(old: Path, new: Path) -> tuple[Counter, Counter]:
    """The ledger rows only the old build prints, and those only the new one prints."""
    before = Counter(tuple(r.values()) for r in rows(results(old) / "ledger.csv"))
    after = Counter(tuple(r.values()) for r in rows(results(new) / "ledger.csv"))
    return before - after, after - before


def diff_rows(diff) -> tuple[Counter, Counter]:
    changes = [*diff.numbers, *diff.claims]
    return (
        Counter(tuple(c.old.values()) for c in changes if c.old),
        Counter(tuple(c.new.values()) for c in changes if c.new),
    )


def text_pages(old: Path, new: Path) -> set[int]:
    """The pages whose text differs (pages one PDF lacks included), by poppler's pdftotext."""
    texts = [
        subprocess.run(
            ["pdftotext", "-layout", str(results(p) / "report.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout.split("\f")
        for p in (old, new)
    ]
    return {n + 1 for n in range(max(map(len, texts))) if texts[0][n : n + 1] != texts[1][n : n + 1]}


def page_texts(project: Path) -> list[str]:
    """Each page's text by poppler's pdftotext (not pypdf, which the diff reads with), whitespace collapsed."""
    pdf = results(project) / "report.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def crosstab_pct(project: Path) -> dict:
    return {(r["question"], r["column"], r["choice"]): float(r["pct"]) for r in rows(results(project) / "crosstab/crosstabs.csv")}


def test_identical_builds_give_an_empty_diff(builds, tmp_path):
    diff = compare(results(builds["base"]), results(builds["base"]))
    assert diff.empty
    out = write(diff, tmp_path / "diff", "old", "new")
    assert "identical" in (out / "diff.md").read_text()
    assert "identical" in (out / "diff.html").read_text()
    assert not (out / "pages").exists()
    assert rows(out / "numbers.csv") == [] and rows(out / "cells.csv") == [] and rows(out / "workbook.csv") == []


def test_a_wording_edit_shows_words_and_no_numbers(builds, tmp_path):
    diff = compare(results(builds["base"]), results(builds["wording"]))
    assert diff_rows(diff) == ledger_delta(builds["base"], builds["wording"]) == (Counter(), Counter())
    assert not (diff.numbers or diff.claims or diff.checks or diff.letters or diff.tables)
    [(op, [old], [new])] = diff.words
    assert op == "replace" and WORDING[0] in old and WORDING[1] in new
    assert old.replace(*WORDING) == new
    expected = text_pages(builds["base"], builds["wording"])
    assert [n for n, _ in diff.pages] == sorted(expected) and len(expected) == 1
    out = write(diff, tmp_path / "diff", "old", "new")
    assert sorted(p.name for p in (out / "pages").iterdir()) == [f"page-{n:02d}.png" for n in sorted(expected)]
    md = (out / "diff.md").read_text()
    assert "0 printed numbers changed" in md and "training functions support" in md
    assert "<ins>functions</ins>" in (out / "diff.html").read_text()


def test_a_cleaning_threshold_shows_the_attrition_and_every_number_it_moved(builds, tmp_path):
    base, edited = builds["base"], builds["threshold"]
    diff = compare(results(base), results(edited))
    assert diff_rows(diff) == ledger_delta(base, edited)
    assert sum(ledger_delta(base, edited)[0].values()) > 100
    # the attrition: the rows that differ, recomputed from the two files
    old, new = ({r["reason"]: r for r in rows(results(p) / "clean/attrition.csv")} for p in (base, edited))
    expected = {
        (reason, column) for reason in old for column in ("excluded", "remaining") if old[reason][column] != new[reason][column]
    }
    got = {(c.key, c.field) for c in diff.tables if c.table == "clean/attrition.csv"}
    assert got == expected and ("speeder", "excluded") in got and ("kept", "remaining") in got
    # each share's old and new values are the crosstab cells it was printed from
    pct_old, pct_new = crosstab_pct(base), crosstab_pct(edited)
    shares = [c for c in diff.numbers if c.state == "changed" and c.place[0] == "share" and "+" not in c.place[3]]
    assert shares
    for change in shares:
        key = (change.place[1], change.place[2], change.place[3].rsplit("crosstab: ", 1)[1])
        assert float(change.old["value"]) == pytest.approx(pct_old[key]) and float(change.new["value"]) == pytest.approx(
            pct_new[key]
        )
    # it leads with the attrition, and the check of the respondents no longer holds
    assert diff.numbers[0].place[0] == "attrition excluded"
    assert {(c.key, c.old, c.new) for c in diff.checks if c.field == "holds"} >= {("F1 / respondents", "yes", "**NO**")}
    # the workbook: a share's cell holds count/base of the crosstab row, headed by its answer and column
    crosstab = [
        {(r["question"], r["column"], r["choice"]): r for r in rows(results(p) / "crosstab/crosstabs.csv")}
        for p in (base, edited)
    ]
    [cell] = [c for c in diff.workbook if (c.sheet, c.ref) == ("role", "B5")]
    counts = [(int(t[key]["count"]), int(t[key]["base"])) for t in crosstab for key in [("role", "total", "learning_leader")]]
    assert (cell.old, cell.new) == tuple(f"{count / total:.10g}" for count, total in counts) and cell.old != cell.new
    assert (cell.row, cell.column) == ("I lead or manage a training or learning function", "Total / %")
    book = [load_workbook(results(p) / "crosstab/crosstabs.xlsx")["Pairwise tests"] for p in (base, edited)]
    assert sum(c.state == "removed" for c in diff.workbook) == sum(
        1 for row in book[0].iter_rows() for cell in row if cell.value is not None and book[1][cell.coordinate].value is None
    )
    out = write(diff, tmp_path / "diff", "old", "new")
    assert len(rows(out / "numbers.csv")) == len(diff.numbers) + len(diff.claims)
    assert len(rows(out / "workbook.csv")) == len(diff.workbook) > MAX_WORKBOOK
    md = (out / "diff.md").read_text()
    assert f"…and {len(diff.workbook) - MAX_WORKBOOK} more in `workbook.csv`." in md
    assert md.count("| role | ") == MAX_WORKBOOK  # the first cells, in the workbook's order
    assert sorted(p.name for p in (out / "pages").iterdir()) == [f"page-{n:02d}.png" for n, _ in diff.pages]
    assert text_pages(base, edited) <= {n for n, _ in diff.pages}


def test_a_tier_rule_edit_moves_tier_numbers_and_letters_only(builds):
    base, edited = builds["base"], builds["tiers"]
    diff = compare(results(base), results(edited), pages=False)
    assert diff_rows(diff) == ledger_delta(base, edited)
    assert not [c for c in diff.numbers if c.place[0] == "share" and c.place[2] == "total"]
    assert not [c for c in diff.tables if c.table.startswith("clean/")]
    old, new = (
        {(r["question"], r["column"], r["choice"]): r["higher_than"] for r in rows(results(p) / "crosstab/crosstabs.csv")}
        for p in (base, edited)
    )
    expected = {" / ".join(k) for k in old.keys() | new.keys() if set(old.get(k, "")) != set(new.get(k, ""))}
    assert {c.key for c in diff.letters} == expected
    assert ("initiative / very_effective / new_markets", "B", "") in {(c.key, c.old, c.new) for c in diff.letters}


def test_a_number_is_found_whole_on_its_pages_and_one_not_found_says_so():
    texts = ["26% of 40 (n=40)", "6% and 40%", "22–40 of 1,400 and 40.5", "not here"]
    assert printed_on("6%", texts) == (2,) and printed_on("26%", texts) == (1,)
    assert printed_on("40", texts) == (1,)  # not 40%, an interval's end, 1,400 or 40.5
    old, new = ["a 50", "b 50", "c 50"], ["a 50", "b 45", "c 45"]
    changed = Change(("setting", "", "", "caution base"), {"text": "50"}, {"text": "45"})
    unchanged = Change(("share", "q", "total", "crosstab: x"), {"text": "50"}, {"text": "50"})
    gone = Change(("count", "q", "total", "crosstab: y"), {"text": "7"}, None)
    a, b, c = located([changed, unchanged, gone], old, new)
    assert (a.old_pages, a.new_pages) == ((2, 3), (2, 3))  # page 1 is the same in both: another number's 50
    assert (b.old_pages, b.new_pages) == ((1, 2, 3), (1,))
    assert (c.old_pages, c.new_pages) == ((), None)
    assert where(a) == "pp. 2–3" and where(b) == "pp. 1–3 → p. 1" and where(c) == "not found → —"
    assert pages((3, 5, 6, 7, 9)) == "pp. 3, 5–7, 9" and pages(None) == ""
    assert located([changed], None, new)[0].old_pages is None


def test_a_changed_number_names_its_pages_and_the_workbook_cells_it_changed(builds, tmp_path, capsys):
    base, edited = builds["base"], builds["caution"]
    diff = compare(results(base), results(edited), pages=False)
    [change] = diff.numbers
    assert change.place == ("setting", "", "", "caution base") and (change.old["text"], change.new["text"]) == ("50", "45")
    # the pages that state the threshold, in poppler's text; not those printing 50 as an answer's label
    threshold = r"[Bb]ases? under {0}\b|fewer than {0} respondents"
    old = tuple(n for n, text in enumerate(page_texts(base), 1) if re.search(threshold.format(50), text))
    new = tuple(n for n, text in enumerate(page_texts(edited), 1) if re.search(threshold.format(45), text))
    assert len(old) >= 3 and old == new
    assert (change.old_pages, change.new_pages) == (old, new)
    label = tuple(n for n, text in enumerate(page_texts(base), 1) if "Fewer than 50" in text)
    assert label and not set(label) & set(change.old_pages)
    # the workbook: the caution note of every question's sheet, and no other cell
    book = load_workbook(results(edited) / "crosstab/crosstabs.xlsx")
    notes = {
        (sheet.title, cell.coordinate, cell.value.replace("45", "50"), cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("Bases under 45")
    }
    assert len(notes) == len(book.sheetnames) - 2  # every sheet but the contents and the pairwise tests
    assert {(c.sheet, c.ref, c.old, c.new) for c in diff.workbook} == notes
    assert {(c.state, c.row, c.column) for c in diff.workbook} == {("changed", "", "")}  # a note below the table
    # the files and the console
    main(["diff", str(results(base)), str(results(edited)), "--out", str(tmp_path / "d")])
    console = capsys.readouterr().out
    assert f"printed on {pages(old)} of the old report and {pages(new)} of the new" in console
    assert f"{len(notes)} workbook cells differ ({len(notes)} changed, 0 added, 0 removed)" in console
    md = (tmp_path / "d" / "diff.md").read_text()
    assert f"| setting · caution base | 50 | 45 |  | 10.0% | {pages(old)} |" in md
    sheet, ref, was, now = min(notes)
    assert f"| {sheet} | {ref} |  |  | {was} | {now} |" in md
    assert {tuple(r.values()) for r in rows(tmp_path / "d" / "workbook.csv")} == {
        ("changed", s, r, "", "", a, b) for s, r, a, b in notes
    }
    assert [(r["old_pages"], r["new_pages"]) for r in rows(tmp_path / "d" / "numbers.csv")] == [(" ".join(map(str, old)),) * 2]


def test_the_command_writes_the_diff_and_refuses_what_is_not_a_build(builds, tmp_path, capsys):
    main(["diff", str(results(builds["base"])), str(results(builds["base"])), "--out", str(tmp_path / "d")])
    assert "identical" in capsys.readouterr().out
    assert (tmp_path / "d" / "diff.md").is_file() and (tmp_path / "d" / "diff.html").is_file()
    with pytest.raises(SystemExit) as exit:
        main(["diff", str(tmp_path), str(results(builds["base"])), "--out", str(tmp_path / "e")])
    assert exit.value.code == 1 and "not a results folder" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()
    published = builds["base"] / "results" / "sales-training-2012"  # the link: the study is its name
    main(["diff", str(published), str(published), "--root", str(builds["base"])])
    assert (builds["base"] / "results" / ".diff" / "sales-training-2012" / "diff.md").is_file()
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    with pytest.raises(SurveyError, match="git rev-parse"):
        build_at("no-such-commit", "sales-training-2012", tmp_path / "repo")


def test_the_snakemake_target_writes_the_diff_outside_the_published_set(builds):
    project = builds["wording"]
    before = (project / "results" / "sales-training-2012" / "report.pdf").read_bytes()
    run = snakemake(project, "diff")
    assert run.returncode != 0 and "no base to compare with (expected --config base=COMMIT or base=RESULTS_FOLDER)" in run.stderr
    base = (builds["base"] / "results" / "sales-training-2012").resolve()
    run = snakemake(project, "diff", "--config", f"base={base}")
    assert run.returncode == 0, run.stderr[-3000:]
    text = (project / "results" / ".diff" / "sales-training-2012" / "diff.md").read_text(encoding="utf-8")
    assert "identical" not in text and "training functions support" in text
    assert (project / "results" / "sales-training-2012" / "report.pdf").read_bytes() == before
