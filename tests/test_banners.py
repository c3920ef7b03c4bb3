"""Banners: a study without tiers tabulates the total alone; banner breaks beside the tiers."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from surveyreport.codebook import parse_codebook
from surveyreport.crosstab import chi_square_tests, crosstab, pairwise_tests
from surveyreport.errors import SurveyError
from surveyreport.scores import scores
from surveyreport.study import load_study
from surveyreport.tiers import NO_TIERS, assign_tiers, banner_columns

from .conftest import RESULTS, ROOT, STATISTICS, TIERS, answers, copy_project, pdf_text_of, snakemake

ROWS = [("high", {"mobile"}), ("high", {"mobile", "games"}), ("mid", {"games"}), ("low", None), ("dk", {"mobile"})] * 8


def test_without_tiers_the_crosstab_is_the_total_alone(codebook):
    untiered = assign_tiers(answers(ROWS, codebook), NO_TIERS, codebook)
    assert untiered["tier"].isna().all()
    table = crosstab(untiered, codebook, NO_TIERS, STATISTICS)
    assert set(table["column"]) == {"total"}
    assert (table["letter"] == "").all() and (table["higher_than"] == "").all() and (table["not_tested"] == "").all()
    high = table[(table.question == "rating") & (table.choice == "high")].iloc[0]
    assert (high["count"], high["base"]) == (16, 32)
    assert pairwise_tests(table, NO_TIERS, STATISTICS).empty
    assert chi_square_tests(table, codebook, NO_TIERS, STATISTICS).empty
    scored, tests = scores(untiered, codebook, NO_TIERS, STATISTICS)
    assert tests.empty


# ----------------------------------------------------------------------------- a whole study without tiers


def _compares_tiers(item: dict) -> bool:
    named = [*item.get("values", {}).values(), *item.get("claims", [])]
    return item.get("by") == "tier" or any("tier" in value or "tiers" in value for value in named)


def untiered_copy(folder: Path) -> None:
    """The first study without its tiers: no tiers: block, its tier comparisons and its own template left out."""
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    del config["tiers"]
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    report = yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8"))
    report.pop("template")
    for kind in ("exhibits", "findings", "practices", "sentences"):
        report[kind] = [item for item in report.get(kind, []) if not _compares_tiers(item)]
    (folder / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for name in ("report.html.j2", "published_figures.yaml"):
        (folder / name).unlink()


@pytest.fixture(scope="module")
def untiered(tmp_path_factory):
    workdir = copy_project(tmp_path_factory.mktemp("untiered"))
    shutil.copytree(workdir / "config" / "sales-training-2012", workdir / "config" / "untiered")
    untiered_copy(workdir / "config" / "untiered")
    run = snakemake(workdir, "--config", "study=untiered")
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / "results" / "untiered"


@pytest.mark.e2e
def test_the_first_study_without_tiers_builds_a_total_only_report(untiered):
    crosstabs = pd.read_csv(untiered / "crosstab" / "crosstabs.csv", keep_default_na=False)
    assert set(crosstabs["column"]) == {"total"}
    assert (crosstabs["letter"] == "").all() and (crosstabs["higher_than"] == "").all()
    assert len(pd.read_csv(untiered / "crosstab" / "chisquare.csv")) == 0
    text = pdf_text_of(untiered / "report.pdf")
    assert "No group comparisons" in text and "in total." in text
    assert "Groups are defined" not in text and "A letter marks" not in text
    book = load_workbook(untiered / "crosstab" / "crosstabs.xlsx", read_only=True)
    sheet = book["company_size"]
    header = [cell for cell in next(sheet.iter_rows(min_row=3, max_row=3, values_only=True)) if cell]
    assert header == ["Answer", "Total"]


TIER_CLAIM = {
    "measure": "ratio",
    "question": "sourcing",
    "choice": "customized",
    "tiers": ["very_effective", "ineffective"],
    "at_least": 2,
}


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda report: report["exhibits"][0].update(by="tier"), "exhibits[0].by: 'tier', but the study has no tiers"),
        (
            lambda report: report["findings"].append(
                {
                    "id": "x",
                    "heading": "X",
                    "text": "X",
                    "claims": [TIER_CLAIM],
                }  # fmt: skip
            ),
            "names tier 'very_effective', but the study has no tiers",
        ),
        (
            lambda report: report.setdefault("sentences", []).append(
                {
                    "id": "x",
                    "says": "X",
                    "claims": [TIER_CLAIM],
                }
            ),  # fmt: skip
            "].claims[0]: names tier 'very_effective', but the study has no tiers",  # the appended sentence's
        ),
    ],
)
def test_a_comparison_of_tiers_is_refused_without_tiers(tmp_path, edit, message):
    folder = tmp_path / "config" / "untiered"
    shutil.copytree(ROOT / "config" / "sales-training-2012", folder)
    untiered_copy(folder)
    report = yaml.safe_load((folder / "report.yaml").read_text(encoding="utf-8"))
    kept = len(report.get("sentences", []))  # an appended sentence is sentences[kept]
    edit(report)
    (folder / "report.yaml").write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    message = f"sentences[{kept}{message}" if message.startswith("]") else message
    overrides = {"export": str(ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv")}
    with pytest.raises(SurveyError) as error:
        load_study(tmp_path / "config", "untiered", overrides, ROOT / "workflow" / "schemas")
    assert message in str(error.value) and "\n" not in str(error.value)


# ----------------------------------------------------------------------------- banners beside the tiers

SIZES = ["small", "large"]


def _study(n=240, seed=3):
    """Respondents of the conftest survey with a company size: answers that depend on it."""
    rng = np.random.default_rng(seed)
    ratings = rng.choice(["high", "mid", "low", "dk"], size=n, p=[0.3, 0.3, 0.3, 0.1])
    sizes = rng.choice(SIZES + ["mid_size"], size=n)
    rows = [(r, {"mobile"} if (s == "large") != (rng.random() < 0.2) else {"games"}) for r, s in zip(ratings, sizes)]
    return rows, sizes


@pytest.fixture
def sized(codebook):
    """The conftest codebook with a company-size question; respondents answering it."""
    raw = {
        "survey": {"metadata": {}, "pii": {}},
        "questions": [
            *[{"id": q.id, "column": q.column, "import_id": q.import_id, "type": q.type, "text": q.text,
               "choices": [{"code": c.code, "id": c.id, "label": c.label, **({"nonsubstantive": True} if c.nonsubstantive else {}),
                            **({"text": True} if c.text else {})} for c in q.choices]}
              for q in codebook.questions],
            {"id": "size", "column": "Q4", "import_id": "QID4", "type": "single", "text": "Size?",
             "choices": [{"code": 1, "id": "small", "label": "Small"}, {"code": 2, "id": "mid_size", "label": "Mid-size"},
                         {"code": 3, "id": "large", "label": "Large"}]},
        ],
    }  # fmt: skip
    book = parse_codebook(raw, source="test codebook")
    rows, sizes = _study()
    frame = answers(rows, codebook)
    frame["size"] = pd.Categorical(sizes, categories=["small", "mid_size", "large"])
    return book, assign_tiers(frame, TIERS, book)


def size_banner(book, **extra):
    return banner_columns({"id": "size", "question": "size", "label": "company size", **extra}, book)


def test_banner_columns_follow_the_tiers_with_letters_of_their_own(sized):
    book, frame = sized
    plain = crosstab(frame, book, TIERS, STATISTICS)
    table = crosstab(frame, book, TIERS, STATISTICS, [size_banner(book)])
    assert list(table.columns[-2:]) == ["banner", "vs_total"] and "banner" not in plain
    letters = table.drop_duplicates("column").set_index("column")["letter"].to_dict()
    assert letters == {"total": "", "top": "A", "rest": "B", "size:small": "C", "size:mid_size": "D", "size:large": "E"}
    blocks_ = table.drop_duplicates("column").set_index("column")["banner"].to_dict()
    assert blocks_ == {
        "total": "total",
        "top": "tiers",
        "rest": "tiers",
        "size:small": "size",
        "size:mid_size": "size",
        "size:large": "size",
    }
    # the tiers' letters and cells are those of the crosstab without banners
    tiers_part = table[table["banner"].isin(["total", "tiers"])].drop(columns=["banner", "vs_total"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(tiers_part, plain)
    # a banner column holds those who gave its answer; its letters name only columns of its block
    large = table[(table.question == "tools") & (table.column == "size:large") & (table.choice == "mobile")].iloc[0]
    assert large["respondents"] == (frame["size"] == "large").sum()
    assert "C" in large["higher_than"] and set(large["higher_than"]) <= {"C", "D"}
    assert set("".join(table.loc[table["banner"] == "tiers", "higher_than"])) <= {"A", "B"}
    # the banner's own question is not tested within the banner
    own = table[(table.question == "size") & (table.banner == "size") & (table.kind == "choice")]
    assert own["not_tested_why"].str.contains("banner_question").all()


def test_a_column_against_the_total_is_tested_against_the_rest_of_the_sample(sized):
    from statsmodels.stats.proportion import proportions_ztest

    book, frame = sized
    table = crosstab(frame, book, TIERS, STATISTICS, [size_banner(book, compare_total=True)])
    pairs = pairwise_tests(crosstab(frame, book, TIERS, STATISTICS, [size_banner(book)]), TIERS, STATISTICS, [size_banner(book)])
    assert not pairs["letter_b"].eq("rest").any()  # the workbook's pairs: the rest columns are not in the table
    large = table[(table.question == "tools") & (table.column == "size:large") & (table.choice == "mobile")].iloc[0]
    total = table[(table.question == "tools") & (table.column == "total") & (table.choice == "mobile")].iloc[0]
    x, n = int(large["count"]), int(large["base"])
    z, p = proportions_ztest([x, total["count"] - x], [n, total["base"] - n])
    assert p < 0.001 and large["vs_total"] == "higher"
    small = table[(table.question == "tools") & (table.column == "size:small") & (table.choice == "mobile")].iloc[0]
    assert small["vs_total"] == "lower"
    assert set(table.loc[table["banner"] != "size", "vs_total"]) == {""}


def test_a_net_column_is_not_tested_against_the_columns_it_holds(sized):
    book, frame = sized
    nets = size_banner(
        book,
        columns=[
            {"id": "small", "label": "Small", "choices": ["small"]},
            {"id": "large", "label": "Large", "choices": ["large"]},
            {"id": "any_size", "label": "Small or large", "choices": ["small", "large"]},
        ],
    )
    table = crosstab(frame, book, TIERS, STATISTICS, [nets])
    net = table[(table.question == "tools") & (table.column == "size:any_size") & (table.choice == "mobile")].iloc[0]
    assert net["respondents"] == frame["size"].isin(["small", "large"]).sum()
    assert net["not_tested_why"] == "C=overlap D=overlap"


def test_banners_without_tiers_and_weighted(sized):
    book, frame = sized
    table = crosstab(frame, book, NO_TIERS, STATISTICS, [size_banner(book)])
    assert table.drop_duplicates("column")["letter"].tolist() == ["", "A", "B", "C"]
    weighted = frame.assign(weight=np.where(frame["size"] == "large", 0.5, 1.5))
    table = crosstab(weighted, book, TIERS, STATISTICS, [size_banner(book, compare_total=True)])
    large = table[(table.question == "tools") & (table.column == "size:large") & (table.choice == "mobile")].iloc[0]
    assert large["effective_base"] == pytest.approx(large["base"]) and large["vs_total"] == "higher"


BANNERS_YAML = """
banners:
  - {id: company_size, question: company_size}
  - id: region
    question: region
    compare_total: true
    columns:
      - {id: americas, label: Americas, choices: [north_america, latin_america]}
      - {id: elsewhere, label: Elsewhere, choices: [europe, asia_pacific, middle_east_africa]}
  - id: rated
    question: effectiveness
    label: Effectiveness rating
    columns:
      - {id: very, label: Very effective, choices: [very_effective]}
      - {id: fairly, label: Effective, choices: [effective]}
      - {id: any_effective, label: Any effective, choices: [very_effective, effective]}
"""


@pytest.fixture(scope="module")
def bannered(tmp_path_factory):
    """The first study with three banners (its page count then differs from the published one: not checked)."""
    workdir = copy_project(tmp_path_factory.mktemp("bannered"))
    config = workdir / "config" / "sales-training-2012" / "config.yaml"
    text = config.read_text(encoding="utf-8").replace("fail_on_unverified: true", "fail_on_unverified: false")
    config.write_text(text + BANNERS_YAML, encoding="utf-8")
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / RESULTS


@pytest.mark.e2e
def test_banners_build_beside_the_tiers(bannered, build):
    crosstabs = pd.read_csv(bannered / "crosstab" / "crosstabs.csv", keep_default_na=False)
    assert list(crosstabs.columns[-2:]) == ["banner", "vs_total"]
    letters = crosstabs.drop_duplicates("column").set_index("column")["letter"]
    assert "".join(letters) == "ABCDEFGHIJKLM" and letters["region:americas"] == "I"
    tools = crosstabs[(crosstabs.question == "tools") & (crosstabs.column == "rated:any_effective")]
    assert set(tools.loc[tools.kind == "choice", "not_tested"]) == {"KL"}  # a net shares its parts' respondents
    shipped = pd.read_csv(build / RESULTS / "crosstab" / "crosstabs.csv", keep_default_na=False)
    assert "banner" not in shipped and "vs_total" not in shipped
    tiered = crosstabs[crosstabs["banner"].isin(["total", "tiers"])].drop(columns=["banner", "vs_total"])
    assert tiered.reset_index(drop=True).equals(shipped)  # the tiers' cells and letters as without banners
    # the charts keep the tiers
    for chart in (build / RESULTS / "charts").glob("*.svg"):
        assert (bannered / "charts" / chart.name).read_bytes() == chart.read_bytes()
    book = load_workbook(bannered / "crosstab" / "crosstabs.xlsx", read_only=True)
    header = [cell for cell in next(book["tools"].iter_rows(min_row=3, max_row=3, values_only=True)) if cell]
    assert header[5:7] == ["Company size: Fewer than 1,000 (D)", "Company size: 1,000 to 4,999 (E)"]
    assert header[-1] == "Effectiveness rating: Any effective (M)"
    html = (bannered / "report.html").read_text(encoding="utf-8")
    assert html.count('id="tab-tools') == 3 and "(continued) Which tools" in html and "Region: Americas" in html
    assert "the part-whole comparison" in html
    tests = [
        pd.read_csv(folder / "ledger.csv").query("kind == 'pairwise tests'")["value"].tolist()
        for folder in (bannered, build / RESULTS)
    ]
    assert tests[0] == tests[1]  # the methodology counts the tiers' tests, as without banners


@pytest.mark.parametrize(
    "banner, message",
    [
        ("{id: tools, question: tools}", "banners[0].question: 'tools' is a multi question; a banner needs a single-choice one"),
        ("{id: tiers, question: region}", "banners[0].id: 'tiers' is taken"),
        ("{id: size, question: size}", "banners[0].question: 'size' is not a question of the codebook"),
        (
            "{id: region, question: region, columns: [{id: a, label: A, choices: [mars]}, {id: b, label: B, choices: [europe]}]}",
            "banners[0].columns[0].choices: 'mars' is not a choice of 'region'",
        ),
        ("{id: region, question: region, columns: [{id: a, label: A, choices: [europe]}]}", "banners[0].columns: [{"),
        ("{id: industry, question: industry}", "columns with the tiers; a table letters 26 at most"),
    ],
)
def test_a_banner_that_cannot_be_tabulated_is_refused(tmp_path, banner, message):
    folder = tmp_path / "config" / "study"
    shutil.copytree(ROOT / "config" / "sales-training-2012", folder)
    with (folder / "config.yaml").open("a", encoding="utf-8") as config:
        config.write(f"banners:\n  - {banner}\n")
    overrides = {"export": str(ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv")}
    with pytest.raises(SurveyError) as error:
        load_study(tmp_path / "config", "study", overrides, ROOT / "workflow" / "schemas")
    assert message in str(error.value) and "\n" not in str(error.value)
