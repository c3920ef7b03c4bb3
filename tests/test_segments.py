"""Segment reports: the study's report again for each segment of its respondents, from configuration."""

import re
import shutil

import pandas as pd
import pytest
import yaml

from surveyreport.errors import SurveyError
from surveyreport.segments import split
from surveyreport.study import load_study

from .conftest import RESULTS, SEGMENTS, digests, pdf_text_of, snakemake
from .test_rerun import edit, planned
from .test_study import SCHEMAS, edited

STUDY = "sales-training-2012"
EXPORT = "data/raw/sales_training_2012_qualtrics.csv"


# ----------------------------------------------------------------------------- validation


def with_segments(segments):
    return lambda config: config.update(segments=segments)


def test_one_segment_per_choice_by_default(tmp_path):
    root = edited(tmp_path, "config.yaml", with_segments({"question": "company_size"}))
    rule = load_study(root, "study", {}, SCHEMAS).config["segments"]
    assert [g["id"] for g in rule["groups"]] == ["under_1000", "from_1000", "from_5000", "from_10000", "over_50000"]
    assert rule["groups"][0] == {"id": "under_1000", "label": "Fewer than 1,000", "choices": ["under_1000"]}
    assert rule["label"] == "company size"


@pytest.mark.parametrize(
    "segments, message",
    [
        ({"question": "regoin"}, "config.yaml: segments.question: 'regoin' is not a question of the codebook"),
        (
            {"question": "sourcing"},
            "config.yaml: segments.question: 'sourcing' is a multi question; segments need a single-choice one",
        ),
        (
            {"question": "comment"},
            "config.yaml: segments.question: 'comment' is a text question; segments need a single-choice one",
        ),
        (
            {"question": "region", "groups": [{"id": "emea", "label": "EMEA", "choices": ["europe", "africa"]}]},
            "config.yaml: segments.groups[0].choices: 'africa' is not a choice of 'region'",
        ),
        (
            {"question": "region", "groups": [{"id": "x", "label": "X", "choices": ["europe"]}] * 2},
            "config.yaml: segments.groups[1].id: 'x' names two segments",
        ),
    ],
)
def test_segments_name_a_single_choice_question_and_its_choices(tmp_path, segments, message):
    root = edited(tmp_path, "config.yaml", with_segments(segments))
    with pytest.raises(SurveyError, match=re.escape(message)):
        load_study(root, "study", {}, SCHEMAS)


def test_a_segment_id_is_checked_by_the_schema(tmp_path):
    segments = {"question": "region", "groups": [{"id": "Europe!", "label": "Europe", "choices": ["europe"]}]}
    root = edited(tmp_path, "config.yaml", with_segments(segments))
    with pytest.raises(SurveyError, match="segments"):
        load_study(root, "study", {}, SCHEMAS)


def test_the_split_keeps_segments_of_the_minimum_and_says_why_it_skips_the_others():
    respondents = pd.DataFrame({"region": pd.Categorical(["europe", "europe", "north_america", "europe", None])})
    rule = {**SEGMENTS, "groups": [*SEGMENTS["groups"], {"id": "europe_again", "label": "E", "choices": ["europe"]}]}
    tables, summary = split(respondents, rule, 2)
    assert sorted(tables) == ["europe", "europe_again"] and len(tables["europe"]) == 3
    assert summary["report"].tolist() == [
        "skipped: fewer than cleaning.min_respondents (2)",
        "built",
        "skipped: no respondents",
        "built",
    ]
    assert summary["respondents"].tolist() == [1, 3, 0, 3]


# ----------------------------------------------------------------------------- the workflow


@pytest.fixture(scope="module")
def segmented(segmented_build):
    """The segmented build, and what its split said (its log)."""
    return segmented_build, (segmented_build / "logs" / STUDY / "segments.log").read_text(encoding="utf-8")


def hand_count(workdir, choice_code):
    """Kept respondents of the export answering ``region`` with the code: the total and each tier (A, B, C)."""
    export = pd.read_csv(workdir / EXPORT, skiprows=[1, 2], dtype=str)
    dispositions = pd.read_csv(workdir / RESULTS / "clean" / "dispositions.csv")
    kept = set(dispositions.loc[dispositions["disposition"] == "kept", "response_id"])
    rows = export[export["ResponseId"].isin(kept) & (export["Q5"] == choice_code)]
    tiers = rows["Q6"].map({"1": "A", "2": "B", "3": "C", "4": "C"})
    return [len(rows), *(int((tiers == letter).sum()) for letter in "ABC")]


def appendix_bases(html, table):
    """The base row of an appendix table: the total's and each tier's."""
    block = html[html.index(f'id="tab-{table}"') :]
    row = block[block.index('<tr class="base">') : block.index("</tr>", block.index('<tr class="base">'))]
    return [int(n) for n in re.findall(r"<td>(\d+)<", row)]


@pytest.mark.e2e
def test_each_large_enough_segment_has_its_report_and_the_small_one_a_line(segmented):
    workdir, output = segmented
    folder = workdir / RESULTS / "segments"
    summary = pd.read_csv(folder / "segments.csv")
    assert summary.to_dict("records") == [
        {"segment": "north_america", "label": "North America", "respondents": 118, "report": "built"},
        {"segment": "europe", "label": "Europe", "respondents": 30, "report": "built"},
        {
            "segment": "rest_of_world",
            "label": "Rest of the world",
            "respondents": 26,
            "report": "skipped: fewer than cleaning.min_respondents (30)",
        },
    ]
    sums = (workdir / RESULTS / "SHA256SUMS").read_text()
    tables = ["crosstabs.csv", "chisquare.csv", "scores.csv", "pairwise.csv", "crosstabs.xlsx"]
    for segment in ("north_america", "europe"):
        assert (folder / segment / "report.pdf").is_file() and (folder / segment / "report.html").is_file()
        assert sorted(p.name for p in (folder / segment / "crosstab").iterdir()) == sorted(tables)
        assert all(f"segments/{segment}/crosstab/{name}" in sums for name in tables)
    assert not (folder / "rest_of_world").exists()
    assert "segment rest_of_world (Rest of the world): 26 respondents, skipped" in output
    assert "segments/europe/report.pdf" in sums


@pytest.mark.e2e
def test_the_full_report_is_unchanged(build, segmented):
    workdir, _ = segmented
    before, after = digests(build / RESULTS), digests(workdir / RESULTS)
    full = {name: digest for name, digest in after.items() if not name.startswith("segments/") and name != "SHA256SUMS"}
    assert full == {name: digest for name, digest in before.items() if name != "SHA256SUMS"}


@pytest.mark.e2e
@pytest.mark.parametrize("segment, code", [("europe", "2"), ("north_america", "1")])
def test_a_segments_appendix_bases_are_a_hand_count_of_the_export(segmented, segment, code):
    workdir, _ = segmented
    html = (workdir / RESULTS / "segments" / segment / "report.html").read_text(encoding="utf-8")
    assert appendix_bases(html, "role") == hand_count(workdir, code)
    assert appendix_bases(html, "region")[0] == hand_count(workdir, code)[0]
    text = pdf_text_of(workdir / RESULTS / "segments" / segment / "report.pdf")
    assert f"A survey of {hand_count(workdir, code)[0]} learning leaders" in text
    assert f"Segment report, headquarters region: {segment.replace('_', ' ').title()}" in text


@pytest.mark.e2e
def test_a_segment_flags_its_own_small_bases(segmented):
    workdir, _ = segmented
    html = (workdir / RESULTS / "segments" / "europe" / "report.html").read_text(encoding="utf-8")
    block = html[html.index('id="tab-role"') :]
    row = block[block.index('<tr class="base">') : block.index("</tr>", block.index('<tr class="base">'))]
    assert re.findall(r'<span class="sig">(\**)</span>', row) == ["*", "**", "**", "**"]  # 30 under 50; the tiers under 30


@pytest.mark.e2e
def test_a_claim_that_fails_in_a_segment_is_marked_there_alone(build, segmented):
    workdir, _ = segmented
    europe = pdf_text_of(workdir / RESULTS / "segments" / "europe" / "report.pdf")
    assert "Not supported by the data: Most companies are headquartered in Europe" in europe
    assert "Not supported by the data" not in pdf_text_of(workdir / RESULTS / "report.pdf")
    assert "Most companies are headquartered in North America" in pdf_text_of(workdir / RESULTS / "report.pdf")
    north_america = pdf_text_of(workdir / RESULTS / "segments" / "north_america" / "report.pdf")
    assert "Not supported by the data: Most companies are headquartered" not in north_america


@pytest.mark.e2e
def test_a_segments_methodology_accounts_for_the_respondents_outside_it(segmented):
    workdir, _ = segmented
    text = pdf_text_of(workdir / RESULTS / "segments" / "europe" / "report.pdf")
    assert "Outside the segment (headquarters region: Europe)" in text


@pytest.mark.e2e
def test_a_rerun_has_nothing_to_do_and_a_template_edit_reruns_the_renders_alone(segmented, tmp_path):
    workdir = shutil.copytree(segmented[0], tmp_path / "project", symlinks=True)
    assert planned(workdir) == set()
    edit(workdir / "config" / STUDY / "report.html.j2", "<h2>Key findings</h2>", "<h2>Key findings of the study</h2>")
    assert planned(workdir) == {"render", "segment_render", "publish"}
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Key findings of the study" in pdf_text_of(workdir / RESULTS / "segments" / "europe" / "report.pdf")
    assert planned(workdir) == set()
    edit(workdir / "config" / STUDY / "report.yaml", "font_size: 8.5", "font_size: 9")
    assert planned(workdir) == {"charts", "segment_charts", "render", "segment_render", "publish"}  # no crosstab, no split


@pytest.mark.e2e
def test_each_segments_work_is_one_job_and_its_processes_change_no_byte(segmented, tmp_path):
    """The segments' crosstabs are made with the split, their charts in one job (shared by its processes, here
    one and two): the same bytes as the published ones, and one job of each, whatever the number of segments."""
    from surveyreport.stages import segment_charts

    workdir, _ = segmented
    work = workdir / "results" / ".work" / STUDY
    logs = sorted(str(p.relative_to(workdir / "logs" / STUDY)) for p in (workdir / "logs" / STUDY).rglob("*.log"))
    assert [name for name in logs if name.startswith("segments")] == [
        "segments.log",
        "segments/charts.log",
        "segments/europe/render.log",
        "segments/north_america/render.log",
    ]
    study = load_study(workdir / "config", STUDY, {}, SCHEMAS)
    report, config = study.report, study.config
    inputs = {
        "tables": str(work / "split"),
        "summary": str(work / "segments" / "segments.csv"),
        "codebook": str(workdir / "config" / STUDY / "codebook.yaml"),
        "fonts": sorted(str(p) for p in (workdir / "report" / "fonts").glob("*.ttf")),
    }
    params = {
        "report": {k: report[k] for k in ("style", "exhibits")},
        "statistics": config["statistics"],
        "tiers": config["tiers"],
    }
    for threads in (1, 2):
        segment_charts(inputs, {"charts": str(tmp_path / str(threads))}, {**params, "threads": threads})
        for segment in ("europe", "north_america"):
            assert digests(tmp_path / str(threads) / segment) == digests(workdir / RESULTS / "segments" / segment / "charts")
    assert not (tmp_path / "1" / "rest_of_world").exists()


@pytest.mark.e2e
def test_without_segments_the_published_set_has_none(build):
    """The shipped studies have no segments block: no segment job runs, nothing is added to their set."""
    assert not (build / RESULTS / "segments").exists()
    assert "segments/" not in (build / RESULTS / "SHA256SUMS").read_text()
    assert not (build / "logs" / STUDY / "segments.log").exists()


# ----------------------------------------------------------------------------- a weighted study with segments

WEIGHTS = {
    "targets": {"company_size": {"under_1000": 0.3, "from_1000": 0.25, "from_5000": 0.15, "from_10000": 0.2, "over_50000": 0.1}},
    "trim": {"max": 4},
}
HALVES = {
    "question": "region",
    "label": "headquarters region",
    "groups": [
        {"id": "north_america", "label": "North America", "choices": ["north_america"]},
        {"id": "elsewhere", "label": "Elsewhere", "choices": ["europe", "asia_pacific", "latin_america", "middle_east_africa"]},
    ],
}


@pytest.fixture(scope="module")
def weighted_segments(build, tmp_path_factory):
    """A copy of the built study weighted to company-size targets, with two segments by region, built again."""
    workdir = shutil.copytree(build, tmp_path_factory.mktemp("weighted-segments") / "project", symlinks=True)
    path = workdir / "config" / STUDY / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    # the published figures and the report's claims are of the unweighted sample: marked, not fatal
    path.write_text(yaml.safe_dump({**config, "weights": WEIGHTS, "segments": HALVES, "fail_on_unverified": False}))
    report = workdir / "config" / STUDY / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace("\nunsupported_claims: stop", "\nunsupported_claims: mark"))
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / RESULTS


def weighted_counts(respondents, question):
    """Each answer's weight summed over the respondents, and the weight of all who answered ``question``: a direct count."""
    answered = respondents[respondents[question].notna()]
    return answered.groupby(answered[question].astype(str), observed=True)["weight"].sum(), answered["weight"].sum()


@pytest.mark.e2e
@pytest.mark.parametrize("segment", ["north_america", "elsewhere"])
def test_a_segments_weighted_shares_are_a_weighted_count_of_its_rows(weighted_segments, segment):
    """Each segment's rows keep the weights raked on the whole sample: its report prints the weighted shares of
    those rows (not the targets: the segment is not raked again), on the effective base of those rows."""
    from fractions import Fraction

    from surveyreport.results import round_half_up
    from surveyreport.weights import effective_base

    everyone = pd.read_feather(weighted_segments / "tier" / "respondents.arrow")
    choices = next(g["choices"] for g in HALVES["groups"] if g["id"] == segment)
    rows = everyone[everyone["region"].astype(str).isin(choices)]
    folder = weighted_segments / "segments" / segment
    table = pd.read_csv(folder / "crosstab" / "crosstabs.csv")
    ledger = pd.read_csv(folder / "ledger.csv", dtype=str, keep_default_na=False)
    for question in ("company_size", "role", "industry"):
        counts, base = weighted_counts(rows, question)
        cells = table[(table["question"] == question) & (table["column"] == "total") & (table["kind"] == "choice")]
        direct = (counts / base).reindex(cells["choice"]).fillna(0)
        assert (cells.set_index("choice")["pct"] / 100).to_dict() == pytest.approx(direct.to_dict(), abs=1e-9)
        assert cells["effective_base"].iloc[0] == pytest.approx(effective_base(rows.loc[rows[question].notna(), "weight"]))
        printed = ledger[(ledger["kind"] == "share") & (ledger["question"] == question) & (ledger["column"] == "total")]
        assert len(printed) >= 2, question
        for entry in printed.itertuples():
            choices = entry.source.split("crosstab: ")[-1].split("+")  # one answer, or a net of several
            share = Fraction(float(counts.reindex(choices).fillna(0).sum())) / Fraction(float(base))
            decimals = len(entry.text.rstrip("%").partition(".")[2])
            assert entry.text == f"{round_half_up(share * 100, decimals)}%", entry
    counts, base = weighted_counts(rows, "company_size")
    shares = counts / base
    assert max(abs(shares[c] - t) for c, t in WEIGHTS["targets"]["company_size"].items()) > 0.02, "not raked again"
    methodology = pdf_text_of(folder / "report.pdf")
    assert "These weights and measures are the whole sample's: the segment's respondents keep the weights" in methodology
    assert "whole sample's" not in pdf_text_of(weighted_segments / "report.pdf")


@pytest.mark.e2e
def test_the_segments_weighted_counts_add_up_to_the_full_reports(weighted_segments):
    """Two segments that split the sample: a respondent weighs the same in the full report and in its segment."""
    columns = ["question", "column", "choice", "weighted_count"]
    full = pd.read_csv(weighted_segments / "crosstab" / "crosstabs.csv")
    full = full[full["kind"] == "choice"][columns].set_index(columns[:3])["weighted_count"].sort_index()
    halves = [
        pd.read_csv(weighted_segments / "segments" / s / "crosstab" / "crosstabs.csv") for s in ("north_america", "elsewhere")
    ]
    summed = sum(h[h["kind"] == "choice"][columns].set_index(columns[:3])["weighted_count"] for h in halves).sort_index()
    region_answered = full.loc["region", "total"].sum()
    assert region_answered == pytest.approx(summed.loc["region", "total"].sum())
    assert summed.loc["role", "total"].to_dict() == pytest.approx(full.loc["role", "total"].to_dict())
