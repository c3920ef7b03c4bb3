"""The report diff: a wording edit, a cleaning-threshold edit and a tier-rule edit, each against one base build.

The base is built once; each edit is made in a copy of the built project and rebuilt (only what
the edit touches reruns; the three rebuilds run side by side). The changed numbers are checked
against the two ledgers compared row by row here, and the paired values against the crosstabs.
"""

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from surveyreport.cli import main
from surveyreport.diff import build_at, compare
from surveyreport.diffreport import write
from surveyreport.errors import SurveyError

from .conftest import RESULTS, copy_project, snakemake

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


EDITS = {"wording": wording, "threshold": threshold, "tiers": tiers}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The base build and each edit's rebuild: name -> project folder."""
    root = tmp_path_factory.mktemp("diff")
    base = copy_project(root / "base")
    run = snakemake(base)
    assert run.returncode == 0, run.stderr[-3000:]
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


def crosstab_pct(project: Path) -> dict:
    return {(r["question"], r["column"], r["choice"]): float(r["pct"]) for r in rows(results(project) / "crosstab/crosstabs.csv")}


def test_identical_builds_give_an_empty_diff(builds, tmp_path):
    diff = compare(results(builds["base"]), results(builds["base"]))
    assert diff.empty
    out = write(diff, tmp_path / "diff", "old", "new")
    assert "identical" in (out / "diff.md").read_text()
    assert "identical" in (out / "diff.html").read_text()
    assert not (out / "pages").exists()
    assert rows(out / "numbers.csv") == [] and rows(out / "cells.csv") == []


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
    out = write(diff, tmp_path / "diff", "old", "new")
    assert len(rows(out / "numbers.csv")) == len(diff.numbers) + len(diff.claims)
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
