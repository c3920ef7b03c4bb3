"""Run the whole workflow in a temporary copy of the project and check what it produced."""

import re
import shutil

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader

from .conftest import LOGS, RESULTS, ROOT, WORK, copy_project, output_text, pdf_text_of, snakemake, temporaries

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pdf_text(build):
    return pdf_text_of(build / RESULTS / "report.pdf")


def test_report_has_the_published_page_count(build):
    assert len(PdfReader(build / RESULTS / "report.pdf").pages) == 21


def test_every_published_figure_holds(build):
    text = (build / RESULTS / "verification.md").read_text(encoding="utf-8")
    figures = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "published_figures.yaml").read_text(encoding="utf-8"))
    rows = [line for line in text.splitlines() if re.match(r"\| F\d+ ", line)]
    assert len(rows) == sum(c["measure"] != "pages" for f in figures for c in f["checks"])
    assert all(row.rstrip().endswith("| yes |") for row in rows), text
    assert "Checked by the render job against the PDF it writes (its log has the result): F18" in text
    render_log = (build / LOGS / "render.log").read_text(encoding="utf-8")
    assert "published figure F18 (pages): expected 21, computed 21: holds" in render_log


@pytest.mark.parametrize(
    "phrase",
    [
        "174 learning leaders",
        "23 industries",
        "July 2012",
        "74% of learning leaders",
        "Only 26% say it is very effective",
        "value proposition (26%, n=171)",
        "twice as likely",
        "37.5% monthly, 25.0% weekly, 17.5% bi-weekly and 17.5% quarterly",
        "Only 7.7% of learning leaders in ineffective",
        "never meeting senior sales leadership",
        "Mobile learning (",
        "Page 21 of 21",
    ],
)
def test_published_figures_are_in_the_report_text(pdf_text, phrase):
    assert phrase in pdf_text


def test_the_report_names_its_sponsors_and_every_source_line_says_the_data_are_reconstructed(build, pdf_text):
    reconstructed = "Source: Reconstructed data (simulated respondents) after the Richardson Sales Performance/"
    assert pdf_text.count("Source:") == pdf_text.count(reconstructed) == 14  # one per figure, from about.disclosure
    html = (build / RESULTS / "report.html").read_text()
    first_row = (
        r'<dl class="disclosure">\s*<dt>The data</dt><dd class="disclosure-strong">Reconstructed data \(simulated respondents\)'
    )
    assert re.search(first_row, html)  # the methodology's first row (the PDF's text puts a page's floated row names first)
    assert "Richardson Sales Performance with TrainingIndustry.com" in pdf_text
    assert "(Richardson blog, 10 September 2012)" in pdf_text and "22 October 2012" in pdf_text


def test_group_gaps_are_stated_with_their_test_and_the_sponsors_views_are_attributed(pdf_text):
    assert "no difference between very effective and ineffective organizations, on any answer, is statistically" in pdf_text
    assert "pattern to watch" not in pdf_text and "With groups of this size" not in pdf_text
    assert "7.7% meet weekly (n=39). The gap is significant on its own (p = 0.038) but not after Holm correction" in pdf_text
    assert "fewer very effective (30%) than ineffective organizations (47%)" in pdf_text  # early involvement
    assert "calls never meeting “generally a recipe for failure”" in pdf_text
    assert "What sets very effective" not in pdf_text


def test_attrition_accounts_for_every_raw_row(build):
    attrition = pd.read_csv(build / RESULTS / "clean" / "attrition.csv")
    raw_rows = len(pd.read_csv(build / "data" / "raw" / "sales_training_2012_qualtrics.csv", skiprows=[1, 2]))
    assert attrition["remaining"].iloc[0] == raw_rows
    assert attrition["excluded"].sum() + attrition["remaining"].iloc[-1] == raw_rows
    dispositions = pd.read_csv(build / RESULTS / "clean" / "dispositions.csv")
    assert len(dispositions) == raw_rows
    assert dispositions["disposition"].value_counts()["kept"] == attrition["remaining"].iloc[-1] == 174


def test_no_personal_data_in_any_output(build, pdf_text):
    raw = pd.read_csv(build / "data" / "raw" / "sales_training_2012_qualtrics.csv", skiprows=[1, 2], dtype=str)
    planted = set()
    for column in ("RecipientEmail", "IPAddress", "ExternalReference", "LocationLatitude", "LocationLongitude"):
        planted |= set(raw[column].dropna())
    named = raw.dropna(subset=["RecipientFirstName", "RecipientLastName"])
    planted |= set(named["RecipientFirstName"] + " " + named["RecipientLastName"])
    assert len(planted) > 500
    outputs = [p for p in (build / "results").rglob("*") if p.is_file()]
    texts = [output_text(p) for p in outputs] + [pdf_text]
    assert any(p.suffix == ".arrow" for p in outputs)
    values = [value for value in planted if len(value) > 4]  # substring search: five times a regex alternation's speed
    leaks = [(str(p), value) for p, t in zip(outputs + ["report text"], texts) for value in values if value in t]
    assert not leaks


def test_the_build_leaves_nothing_in_the_temporary_directory(build):
    """Not WeasyPrint's copies of the report's fonts (3.4 MB a render), nor the fork servers' sockets."""
    assert sorted(p.name for p in temporaries(build).iterdir()) == []


def test_a_rerun_has_nothing_to_do(build):
    run = snakemake(build, "--dry-run")
    assert run.returncode == 0
    assert "Nothing to be done" in run.stdout + run.stderr


@pytest.mark.parametrize(
    "published, changed, rule, message, output",
    [
        ("{measure: respondents, expect: 174}", "{measure: respondents, expect: 175}", "verify",
         "F1 (respondents): published 175, computed 174", "verification.md"),
        ("{measure: pages, expect: 21}", "{measure: pages, expect: 20}", "render",
         "F18 (pages): published 20, computed 21", "report.pdf"),
    ],
    ids=["data figure stops verify", "page count stops render"],
)  # fmt: skip
def test_a_figure_that_no_longer_holds_stops_the_build(build, tmp_path, published, changed, rule, message, output):
    workdir = copy_project(tmp_path)
    shutil.copytree(build / "results", workdir / "results", symlinks=True)
    shutil.copytree(build / ".snakemake", workdir / ".snakemake", ignore=shutil.ignore_patterns("locks", "incomplete"))
    figures = workdir / "config" / "sales-training-2012" / "published_figures.yaml"
    figures.write_text(figures.read_text().replace(published, changed))
    run = snakemake(workdir)
    assert run.returncode != 0
    log = (workdir / LOGS / f"{rule}.log").read_text()
    assert message in log
    assert "Traceback" not in log
    assert not (workdir / WORK / output).exists()
    assert (workdir / RESULTS / output).read_bytes() == (build / RESULTS / output).read_bytes()  # the last good one


def tick_customized_for_ineffective(export, how_many):
    """Edit a raw export: more respondents who rate training ineffective buy customized solutions."""
    import csv

    with open(export, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rating, customized, status = header.index("Q6"), header.index("Q8_1"), header.index("Status")
    changed = 0
    for row in rows[3:]:
        if changed < how_many and row[status] == "0" and row[rating] in ("3", "4") and row[customized] == "":
            row[customized] = "1"
            changed += 1
    with open(export, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def broken_claim(tmp_path_factory):
    """A build of an export edited so that a finding no longer holds: it stops at the render."""
    workdir = copy_project(tmp_path_factory.mktemp("broken-claim"))
    tick_customized_for_ineffective(workdir / "data" / "raw" / "sales_training_2012_qualtrics.csv", 8)
    run = snakemake(workdir, "--config", "fail_on_unverified=False")  # the published figures fail too: verify would stop first
    return workdir, run


def test_a_claim_broken_in_the_data_stops_the_build(broken_claim):
    workdir, run = broken_claim
    assert run.returncode != 0
    log = (workdir / LOGS / "render.log").read_text()
    assert "finding 'customized': ratio question=sourcing choice=customized" in log
    assert "should be >= 1.95, computed 1." in log
    assert "Traceback" not in log
    assert not (workdir / RESULTS / "report.pdf").exists()


@pytest.fixture(scope="module")
def ledger(build):
    return pd.read_csv(build / RESULTS / "ledger.csv", dtype=str, keep_default_na=False)


def test_every_ledger_entry_is_in_the_report(ledger, pdf_text):
    assert len(ledger) > 500
    missing = sorted({text for text in ledger["text"] if text not in pdf_text})
    assert not missing


def test_every_percentage_and_base_in_the_report_is_in_the_ledger(ledger, pdf_text):
    percent = re.compile(r"\d+(?:\.\d+)?%")
    printed = set(percent.findall(pdf_text))
    recorded = {token for text in ledger["text"] for token in percent.findall(text)}
    assert printed and printed <= recorded, sorted(printed - recorded)
    bases = set(re.findall(r"n=(\d+)", pdf_text))
    assert bases and bases <= set(ledger.loc[ledger["kind"] == "base", "text"])
    undated = re.sub(r"[A-Z][a-z]+ \d+–\d+, \d{4}", "", pdf_text)  # field dates, not intervals
    intervals = set(re.findall(r"\b\d+(?:\.\d+)?–\d+(?:\.\d+)?\b", undated))
    assert intervals <= set(ledger.loc[ledger["kind"].isin(["interval", "ratio interval"]), "text"])


def test_ledger_entries_trace_to_the_crosstab(build, ledger):
    crosstab = pd.read_csv(build / RESULTS / "crosstab" / "crosstabs.csv")
    shares = ledger[(ledger["kind"] == "share") & (ledger["column"] != "")]
    assert len(shares) > 300
    for row in shares.itertuples():
        choices = row.source.split("crosstab: ")[-1].split("+")
        cells = crosstab[
            (crosstab["question"] == row.question) & (crosstab["column"] == row.column) & crosstab["choice"].isin(choices)
        ]
        assert int(cells["count"].sum()) == int(row.numerator), row
        assert int(cells["base"].iloc[0]) == int(row.base) or row.base == str(int(cells["respondents"].iloc[0])), row


def test_mark_prints_an_unsupported_claim_as_not_supported(broken_claim, tmp_path):
    """The stopped build's copy, its steps up to the render kept, with `unsupported_claims: mark`."""
    workdir = shutil.copytree(broken_claim[0], tmp_path / "project", symlinks=True)
    report_config = workdir / "config" / "sales-training-2012" / "report.yaml"
    report_config.write_text(report_config.read_text().replace("unsupported_claims: stop", "unsupported_claims: mark"))
    run = snakemake(workdir, "--config", "fail_on_unverified=False")
    assert run.returncode == 0, run.stderr[-2000:]
    text = pdf_text_of(workdir / RESULTS / "report.pdf")
    assert "Not supported by the data: 50% of very effective training organizations (n=40) purchase" in text
    assert "**NO**" in (workdir / RESULTS / "verification.md").read_text()


def test_letters_and_intervals_match_an_independent_computation(build, pdf_text):
    """Recompute every letter with scipy (the 2x2 chi-square, = pooled z squared, or Fisher's exact test
    where a cell expects fewer than 5) and a hand-written Holm step over each table's tests."""
    from collections import defaultdict
    from itertools import combinations

    from scipy.stats import chi2_contingency, fisher_exact, norm

    config = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text())
    settings = config["statistics"]
    assert (settings["family"], settings["correction"]) == ("table", "holm")
    table = pd.read_csv(build / RESULTS / "crosstab" / "crosstabs.csv", keep_default_na=False)
    cells = table[(table["kind"] == "choice") & (table["letter"] != "")]
    higher, untested = defaultdict(str), defaultdict(str)
    made = 0
    for question, rows in cells.groupby("question"):
        tests = []
        for choice, row in rows.groupby("choice"):
            row = row.set_index("letter")
            for a, b in combinations(row.index, 2):
                (xa, na), (xb, nb) = row.loc[a, ["count", "base"]], row.loc[b, ["count", "base"]]
                if question == config["tiers"]["question"] or min(na, nb) < settings["min_base"] or xa + xb in (0, na + nb):
                    untested[(question, choice, a)] += b
                    untested[(question, choice, b)] += a
                    continue
                pair = [[xa, na - xa], [xb, nb - xb]]
                chi2 = chi2_contingency(pair, correction=False)
                p = fisher_exact(pair).pvalue if chi2.expected_freq.min() < 5 else chi2.pvalue
                winner, loser = (a, b) if xa / na > xb / nb else (b, a)
                tests.append((p, choice, winner, loser))
        for rank, (p, choice, winner, loser) in enumerate(sorted(tests)):
            if p * (len(tests) - rank) > settings["alpha"]:
                break  # Holm: stop at the first non-rejection
            higher[(question, choice, winner)] += loser
        made += len(tests)
    keys = list(zip(cells["question"], cells["choice"], cells["letter"]))
    assert cells["higher_than"].tolist() == ["".join(sorted(higher.get(k, ""))) for k in keys]
    assert cells["not_tested"].tolist() == ["".join(sorted(untested.get(k, ""))) for k in keys]
    # the shipped study: 0 of 72 effective organizations against 6 of 39 very effective ones enter new markets
    assert higher == {("initiative", "new_markets", "A"): "B"}
    assert made > 250 and f"The report makes {made} such tests" in pdf_text
    z = norm.ppf(0.5 + settings["confidence"] / 2)
    shares = table[table["kind"] == "choice"]
    p, n = shares["count"] / shares["base"], shares["base"]
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5)
    assert ((100 * (centre - half) - shares["ci_low"].astype(float)).abs() < 1e-9).all()
    assert ((100 * (centre + half) - shares["ci_high"].astype(float)).abs() < 1e-9).all()


def test_chi_square_flags_cochrans_rule_and_simulates_where_it_fails(build):
    from scipy.stats import chi2_contingency

    tests = pd.read_csv(build / RESULTS / "crosstab" / "chisquare.csv").set_index("question")
    table = pd.read_csv(build / RESULTS / "crosstab" / "crosstabs.csv")
    tiers = table[(table["kind"] == "choice") & table["letter"].notna()]
    for question, test in tests.iterrows():
        counts = tiers[tiers["question"] == question].pivot(index="choice", columns="column", values="count")
        counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
        expected = chi2_contingency(counts.to_numpy(), correction=False).expected_freq
        fails = expected.min() < 1 or (expected < 5).mean() > 0.2
        assert test["cochran"] == (not fails)
        assert (test["p_method"], test["simulations"]) == (("Monte Carlo", 10000) if fails else ("chi-square distribution", 0))
    assert (~tests["cochran"]).sum() == 5 and tests.loc["industry", "low_expected"] > 0.9
