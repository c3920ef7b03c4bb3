"""Rim weighting: hand-computed weights and statistics, R's survey package, configuration errors, a weighted build."""

import math
import shutil
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from surveyreport.crosstab import COLUMNS, WEIGHTED_COLUMNS, add_statistics, crosstab, pairwise_tests, weighted_cell
from surveyreport.errors import SurveyError
from surveyreport.study import load_study
from surveyreport.tiers import assign_tiers
from surveyreport.weights import WEIGHT, effective_base, rake

from .conftest import ROOT, STATISTICS, TIERS, answers, snakemake

SCHEMAS = ROOT / "workflow" / "schemas"
FIRST = ROOT / "config" / "sales-training-2012"


def people(**columns):
    """A respondents table of single-choice answers (categories in order of first appearance)."""
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({"response_id": [f"R_{i}" for i in range(n)]})
    for name, values in columns.items():
        frame[name] = pd.Categorical(values, categories=list(dict.fromkeys(v for v in values if v is not None)))
    return frame


# ----------------------------------------------------------------------------- weights by hand


def test_one_margin_is_post_stratification():
    """Three of four chose a, one b; targets 50/50: a weighs 0.5*4/3 = 2/3, b 0.5*4/1 = 2."""
    weighted, summary, targets = rake(people(q=["a", "a", "a", "b"]), {"targets": {"q": {"a": 0.5, "b": 0.5}}})
    assert weighted[WEIGHT].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2], abs=1e-12)
    measures = dict(zip(summary["measure"], summary["value"]))
    # Kish: (sum w)^2 / sum w^2 = 16 / (3 * 4/9 + 4) = 3 of 4
    assert measures["effective_sample_size"] == pytest.approx(3)
    assert measures["efficiency"] == pytest.approx(0.75)
    assert measures["design_effect"] == pytest.approx(4 / 3)
    assert (measures["min_weight"], measures["max_weight"]) == pytest.approx((2 / 3, 2))
    assert measures["sum_of_weights"] == pytest.approx(4)
    assert measures["largest_gap_to_target"] < 1e-12
    assert targets.set_index("choice")["unweighted"].to_dict() == {"a": 0.75, "b": 0.25}


def test_two_margins_meet_both_targets_and_report_iterations():
    """Associated margins take several sweeps; each target is met and the weights average 1."""
    sex = ["f"] * 30 + ["m"] * 70
    age = ["young"] * 25 + ["old"] * 5 + ["young"] * 30 + ["old"] * 40
    weighted, summary, targets = rake(
        people(sex=sex, age=age), {"targets": {"sex": {"f": 0.5, "m": 0.5}, "age": {"young": 0.4, "old": 0.6}}}
    )
    w = weighted[WEIGHT].to_numpy()
    assert w.mean() == pytest.approx(1)
    assert w[:30].sum() / w.sum() == pytest.approx(0.5, abs=1e-9)
    assert w[np.array(age) == "young"].sum() / w.sum() == pytest.approx(0.4, abs=1e-9)
    assert targets["gap"].abs().max() < 1e-6
    measures = dict(zip(summary["measure"], summary["value"]))
    assert 2 < measures["iterations"] < 1000
    assert measures["effective_sample_size"] == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_a_cap_holds_the_largest_weight_and_the_targets():
    sex = ["f"] * 20 + ["m"] * 80
    age = ["young"] * 10 + ["old"] * 10 + ["young"] * 40 + ["old"] * 40
    config = {"targets": {"sex": {"f": 0.4, "m": 0.6}, "age": {"young": 0.5, "old": 0.5}}}
    uncapped = rake(people(sex=sex, age=age), config)[0][WEIGHT]
    assert uncapped.max() == pytest.approx(2)  # 0.4 * 100 / 20
    weighted, summary, targets = rake(people(sex=sex, age=age), {**config, "trim": {"max": 2.5}})
    assert weighted[WEIGHT].max() <= 2.5
    # a cap the weights do not reach changes nothing
    assert weighted[WEIGHT].to_numpy() == pytest.approx(uncapped.to_numpy(), abs=1e-9)
    measures = dict(zip(summary["measure"], summary["value"]))
    assert (measures["trim_max"], measures["weights_at_trim_max"]) == (2.5, 0)


def test_a_cap_too_low_for_the_targets_stops_with_one_line():
    """Weights of at most 1.5 cannot make 20 respondents in 100 count for 40%."""
    config = {"targets": {"sex": {"f": 0.4, "m": 0.6}}, "trim": {"max": 1.5}}
    with pytest.raises(SurveyError) as error:
        rake(people(sex=["f"] * 20 + ["m"] * 80), config, "tier/respondents.arrow")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("tier/respondents.arrow: weights: after ")
    assert "weighted share of sex=f is 0.300000 against a target of 0.400000" in message
    assert "a higher weights.trim.max" in message


def test_too_few_iterations_stop_with_one_line():
    sex = ["f"] * 30 + ["m"] * 70
    age = ["young"] * 25 + ["old"] * 5 + ["young"] * 30 + ["old"] * 40
    config = {"targets": {"sex": {"f": 0.5, "m": 0.5}, "age": {"young": 0.4, "old": 0.6}}, "max_iterations": 2}
    with pytest.raises(SurveyError) as error:
        rake(people(sex=sex, age=age), config)
    message = str(error.value)
    assert message.startswith("weights: after 2 iterations the weighted share of ")
    assert message.endswith("(expected targets the weights can meet (more weights.max_iterations))")


def test_an_answer_without_a_target_stops():
    with pytest.raises(SurveyError) as error:
        rake(people(q=["a", "c", "b", "c"]), {"targets": {"q": {"a": 0.5, "b": 0.5}}}, "cleaned.arrow")
    assert str(error.value) == (
        "cleaned.arrow, column 'q': weights.targets.q: response R_1 answers 'c', which has no target (2 respondent(s) "
        "in all) (expected a target for every answer respondents give to a weighting question)"
    )


def test_respondents_without_an_answer_keep_their_share():
    """Two of ten did not answer: they keep 20% of the weight; of the eight who did, a (six) and b (two) get 50% each."""
    frame = people(q=["a"] * 6 + ["b"] * 2 + [None] * 2)
    weighted, _, targets = rake(frame, {"targets": {"q": {"a": 0.5, "b": 0.5}}})
    # a: 0.5 * 0.8 * 10 / 6 = 2/3; b: 0.5 * 0.8 * 10 / 2 = 2; no answer: 1
    assert weighted[WEIGHT].tolist() == pytest.approx([2 / 3] * 6 + [2] * 2 + [1] * 2, abs=1e-12)
    rows = targets.set_index("choice")
    assert rows.loc["a", "unweighted"] == 0.75 and rows.loc["a", "weighted"] == pytest.approx(0.5)
    assert rows.loc["no_answer", ["target", "unweighted", "weighted"]].tolist() == pytest.approx([0.2, 0.2, 0.2])


def test_a_target_nobody_chose_stops():
    with pytest.raises(SurveyError, match="no respondent chose 'b', so no weight can make up its target of 30.0%"):
        rake(people(q=["a", "a", "c"]), {"targets": {"q": {"a": 0.5, "b": 0.3, "c": 0.2}}})


def test_effective_base():
    assert effective_base([1, 1, 2]) == pytest.approx(16 / 6)
    assert effective_base([3, 3, 3, 3]) == pytest.approx(4)
    assert effective_base([]) == 0


# ----------------------------------------------------------------------------- weighted crosstab by hand


def test_a_weighted_cell_by_hand():
    """w = 1, 2, 3; the first and third chose: 4/6; Kish 36/14; SE^2 = n/(n-1) sum w^2 (y - p)^2 / (sum w)^2."""
    w = np.array([1.0, 2.0, 3.0])
    cell = weighted_cell(w, np.array([True, False, True]), np.ones(3, dtype=bool), 3)
    assert cell["pct"] == pytest.approx(100 * 4 / 6)
    assert cell["weighted_count"] == 4 and cell["weighted_base"] == 6
    assert cell["effective_base"] == pytest.approx(36 / 14)
    # (1 + 9) (1/3)^2 + 4 (2/3)^2 = 26/9; times 3/2, over 36
    assert cell["se"] == pytest.approx(math.sqrt(3 / 2 * 26 / 9 / 36))


def test_weights_of_one_give_the_unweighted_crosstab_and_its_letters(codebook):
    rows = [("high", ["mobile"])] * 40 + [("mid", ["games"])] * 35 + [("low", ["mobile", "games"])] * 10 + [("dk", None)] * 5
    frame = assign_tiers(answers(rows, codebook), TIERS, codebook)
    plain = crosstab(frame, codebook, TIERS, STATISTICS)
    weighted = crosstab(frame.assign(weight=1.0), codebook, TIERS, STATISTICS)
    assert list(plain.columns) == COLUMNS
    assert list(weighted.columns) == COLUMNS + WEIGHTED_COLUMNS
    pd.testing.assert_frame_equal(weighted[COLUMNS], plain, check_exact=False, rtol=1e-12)
    shares = weighted[weighted["kind"] != "no_answer"]
    assert (shares["effective_base"] == shares["base"]).all()


def test_intervals_and_letters_are_on_the_effective_base(codebook):
    """Top: 40 leads, 20 with mobile weighing 2 and 20 without weighing 1: 40/60 = 66.7% on an effective base of
    60^2 / 100 = 36; Rest: 45 leads of weight 1, 9 with mobile: 20% on 45. The z-test is the pooled one on those."""
    rows = [("high", ["mobile"])] * 20 + [("high", ["games"])] * 20 + [("mid", ["mobile"])] * 9 + [("mid", ["games"])] * 36
    frame = assign_tiers(answers(rows, codebook), TIERS, codebook).assign(weight=[2.0] * 20 + [1.0] * 65)
    table = crosstab(frame, codebook, TIERS, STATISTICS).set_index(["question", "choice", "column"])
    top, rest = table.loc[("tools", "mobile", "top")], table.loc[("tools", "mobile", "rest")]
    assert (top["count"], top["base"], top["pct"], top["effective_base"]) == (20, 40, pytest.approx(200 / 3), pytest.approx(36))
    assert (rest["count"], rest["base"], rest["pct"], rest["effective_base"]) == (9, 45, pytest.approx(20), pytest.approx(45))
    low, high = proportion_confint(2 / 3 * 36, 36, method="wilson")
    assert (top["ci_low"], top["ci_high"]) == pytest.approx((100 * low, 100 * high))
    pairs = pairwise_tests(table.reset_index(), TIERS, STATISTICS).set_index(["question", "choice"])
    pair = pairs.loc[("tools", "mobile")]
    z, p = proportions_ztest([24, 9], [36, 45])
    assert (pair["test"], pair["z"], pair["p"]) == ("z", pytest.approx(z), pytest.approx(p))
    assert (pair["pct_a"], pair["effective_base_a"]) == (pytest.approx(200 / 3), pytest.approx(36))
    assert pair["higher"] == "A" and top["higher_than"] == "B"


def test_a_weighted_pair_with_small_expected_counts_gets_fisher_on_rounded_effective_counts(codebook):
    rows = [("high", ["mobile"])] * 3 + [("high", ["games"])] * 37 + [("mid", ["games"])] * 40
    frame = assign_tiers(answers(rows, codebook), TIERS, codebook).assign(weight=[1.5] * 3 + [1.0] * 77)
    table = add_statistics(crosstab(frame, codebook, TIERS, STATISTICS)[COLUMNS + WEIGHTED_COLUMNS], TIERS, STATISTICS)
    pair = pairwise_tests(table, TIERS, STATISTICS).set_index(["question", "choice"]).loc[("tools", "mobile")]
    from scipy.stats import fisher_exact

    x = round(pair["pct_a"] / 100 * pair["effective_base_a"])
    n = round(pair["effective_base_a"])
    expected = fisher_exact([[x, n - x], [0, 40]]).pvalue
    assert (pair["test"], pair["p"]) == ("fisher", pytest.approx(expected))


def test_the_pairs_tested_once_are_the_workbook_pairs_of_the_table(codebook):
    """``crosstab_and_pairs`` tests once: its pairs are those ``pairwise_tests`` finds in the finished (weighted,
    bannered) table, without the banner's comparisons with the rest of the sample, which gave the table its 'vs total'."""
    from surveyreport.crosstab import crosstab_and_pairs
    from surveyreport.tiers import banner_columns

    rows = [("high", ["mobile"])] * 40 + [("mid", ["games"])] * 35 + [("low", ["mobile", "games"])] * 30 + [("dk", None)] * 5
    frame = assign_tiers(answers(rows, codebook), TIERS, codebook).assign(weight=[1.5, 0.5] * 55)
    banners = [banner_columns({"id": "rated", "question": "rating", "compare_total": True}, codebook)]
    table, pairs = crosstab_and_pairs(frame, codebook, TIERS, STATISTICS, banners)
    pd.testing.assert_frame_equal(table, crosstab(frame, codebook, TIERS, STATISTICS, banners))
    pd.testing.assert_frame_equal(pairs, pairwise_tests(table, TIERS, STATISTICS, banners))
    assert "rest" not in set(pairs["letter_b"]) and table["vs_total"].isin(["higher", "lower"]).any()
    assert (pairs["test"] != "").sum() > 5


# ----------------------------------------------------------------------------- R's survey package

R_SCRIPT = r"""
suppressMessages(library(survey))
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$one <- 1
design <- svydesign(ids = ~1, weights = ~one, data = d)
n <- nrow(d)
raked <- rake(design, list(~sex, ~age),
  list(data.frame(sex = c("f", "m"), Freq = c(0.5, 0.5) * n),
       data.frame(age = c("young", "mid", "old"), Freq = c(0.3, 0.4, 0.3) * n)),
  control = list(maxit = 1000, epsilon = 1e-13))
write.csv(data.frame(weight = weights(raked)), "r_weights.csv", row.names = FALSE)
d$w <- weights(raked)
weighted <- svydesign(ids = ~1, weights = ~w, data = d)
rows <- list()
for (tier in c("total", "A", "B")) {
  domain <- if (tier == "total") !is.na(d$y) else !is.na(d$y) & d$tier == tier
  sub <- subset(weighted, domain)
  for (choice in c("a", "b", "c")) {
    est <- svymean(as.formula(sprintf("~I(y == '%s')", choice)), sub)
    ci <- svyciprop(as.formula(sprintf("~I(y == '%s')", choice)), sub, method = "mean", df = Inf)
    w <- d$w[domain]
    rows[[length(rows) + 1]] <- data.frame(column = tier, choice = choice, share = coef(est)[2], se = SE(est)[2],
      low = attr(ci, "ci")[1], high = attr(ci, "ci")[2], effective = sum(w)^2 / sum(w^2))
  }
}
write.csv(do.call(rbind, rows), "r_shares.csv", row.names = FALSE)
"""


def r_survey_missing():
    """Why the R comparison cannot run here, or "" when it can."""
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (Debian: apt-get install r-base-core r-cran-survey; `make test` does it as root)"
    check = subprocess.run(["Rscript", "-e", "library(survey)"], capture_output=True, text=True)
    if check.returncode:
        return "R's survey package is not installed (Debian: apt-get install r-cran-survey)"
    return ""


@pytest.mark.skipif(bool(r_survey_missing()), reason=r_survey_missing() or "R and survey are installed")
def test_weights_shares_and_standard_errors_agree_with_r_survey(tmp_path):
    rng = np.random.default_rng(17)
    n = 240
    sex = rng.choice(["f", "m"], n, p=[0.35, 0.65])
    age = np.where(
        sex == "f",
        rng.choice(["young", "mid", "old"], n, p=[0.6, 0.3, 0.1]),
        rng.choice(["young", "mid", "old"], n, p=[0.4, 0.3, 0.3]),
    )
    y = rng.choice(["a", "b", "c", None], n, p=[0.3, 0.4, 0.2, 0.1])
    tier = np.where(age == "young", "A", "B")
    frame = people(sex=list(sex), age=list(age)).assign(y=y, tier=tier)
    frame.drop(columns="response_id").to_csv(tmp_path / "data.csv", index=False, na_rep="NA")
    (tmp_path / "script.R").write_text(R_SCRIPT, encoding="utf-8")
    run = subprocess.run(["Rscript", "script.R"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]

    targets = {"sex": {"f": 0.5, "m": 0.5}, "age": {"young": 0.3, "mid": 0.4, "old": 0.3}}
    weighted, _, _ = rake(frame, {"targets": targets, "tolerance": 1e-10})
    r_weights = pd.read_csv(tmp_path / "r_weights.csv")["weight"].to_numpy()
    assert np.abs(weighted[WEIGHT].to_numpy() - r_weights).max() < 1e-6

    from surveyreport.codebook import parse_codebook
    from surveyreport.crosstab import question_rows

    book = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [
                {
                    "id": "y",
                    "column": "Q1",
                    "import_id": "QID1",
                    "type": "single",
                    "text": "Y?",
                    "choices": [{"code": i, "id": c, "label": c} for i, c in enumerate("abc", start=1)],
                }
            ],
        },
        source="test codebook",
    )
    weighted["y"] = pd.Categorical(weighted["y"], categories=list("abc"))
    columns = [("total", weighted), ("A", weighted[weighted["tier"] == "A"]), ("B", weighted[weighted["tier"] == "B"])]
    ours = pd.DataFrame(
        [row for column, group in columns for row in question_rows(book.question("y"), column, group, WEIGHT, n)]
    ).set_index(["column", "choice"])
    theirs = pd.read_csv(tmp_path / "r_shares.csv").set_index(["column", "choice"])
    for (column, choice), r in theirs.iterrows():
        mine = ours.loc[(column, choice)]
        assert abs(mine["pct"] / 100 - r["share"]) < 1e-6, (column, choice)
        assert abs(mine["se"] - r["se"]) < 1e-6, (column, choice)
        assert abs(mine["effective_base"] - r["effective"]) < 1e-6, (column, choice)
        # svyciprop's "mean" interval with a normal quantile is the share plus or minus 1.96 standard errors
        assert abs(mine["pct"] / 100 - 1.959963984540054 * mine["se"] - r["low"]) < 1e-6
        assert abs(mine["pct"] / 100 + 1.959963984540054 * mine["se"] - r["high"]) < 1e-6


# ----------------------------------------------------------------------------- configuration errors


def study_with(tmp_path, weights):
    """A copy of the first study whose config.yaml has the ``weights`` block; its config folder."""
    root = tmp_path / "config"
    shutil.copytree(FIRST, root / "study")
    path = root / "study" / "config.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["weights"] = weights
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


REGION = {"north_america": 0.5, "europe": 0.3, "asia_pacific": 0.1, "latin_america": 0.05, "middle_east_africa": 0.05}
CONFIG_ERRORS = [
    ({"targets": {"regoin": REGION}}, "weights.targets.regoin: 'regoin' is not a single-choice question of the codebook"),
    ({"targets": {"tools": {"mobile": 0.5, "games": 0.5}}}, "weights.targets.tools: 'tools' is not a single-choice question"),
    (
        {"targets": {"region": {**REGION, "antarctica": 0.0001}}},
        "weights.targets.region: 'antarctica' is not a choice of 'region'",
    ),
    (
        {"targets": {"region": {**REGION, "europe": 0.2}}},
        "weights.targets.region: the shares add up to 0.9, not 1 (within 1e-06)",
    ),
    ({"targets": {"region": {**REGION, "europe": 1.3}}}, "weights.targets.region.europe: 1.3 is greater than the maximum of 1"),
    (
        {"targets": {"region": {**REGION, "europe": 0}}},
        "weights.targets.region.europe: 0 is less than or equal to the minimum of 0",
    ),
    ({"targets": {"region": REGION}, "trim": {"max": 0.8}}, "weights.trim.max: 0.8 is less than or equal to the minimum of 1"),
    ({"targets": {"region": REGION}, "tolerance": 0.5}, "weights.tolerance: 0.5 is greater than the maximum of 0.01"),
    (
        {"targets": {"region": REGION}, "cap": 3},
        "weights: unexpected key 'cap'; expected keys: targets, trim, max_iterations, tolerance",
    ),
    ({"targets": {}}, "weights.targets: {} should be non-empty"),
]


@pytest.mark.parametrize("weights, expected", CONFIG_ERRORS)
def test_configuration_errors_are_one_line(tmp_path, weights, expected):
    with pytest.raises(SurveyError) as error:
        load_study(study_with(tmp_path, weights), "study", {}, SCHEMAS)
    message = str(error.value)
    assert "\n" not in message
    assert expected in message, message


def test_a_valid_weights_block_loads_with_its_defaults(tmp_path):
    study = load_study(study_with(tmp_path, {"targets": {"region": REGION}}), "study", {}, SCHEMAS)
    assert study.config["weights"] == {"targets": {"region": REGION}, "max_iterations": 1000, "tolerance": 1e-6}


# ----------------------------------------------------------------------------- a weighted build


WEIGHTS = {
    "targets": {
        "company_size": {"under_1000": 0.3, "from_1000": 0.25, "from_5000": 0.15, "from_10000": 0.2, "over_50000": 0.1},
    },
    "trim": {"max": 4},
}


@pytest.fixture(scope="module")
def weighted_build(build, tmp_path_factory):
    """A copy of the first study weighted to company-size targets: its results folder.

    Weighted, very effective organizations are 1.9 times as likely as ineffective ones to buy customized
    solutions, not the 1.95 the finding, the headline, the practice and a sentence claim: the copy marks them.
    """
    # the shared build, copied: the weights rerun the jobs from the tier job on
    workdir = shutil.copytree(build, tmp_path_factory.mktemp("weighted") / "project", symlinks=True)
    path = workdir / "config" / "sales-training-2012" / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["weights"] = WEIGHTS
    config["fail_on_unverified"] = False  # the published figures are unweighted
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    report = workdir / "config" / "sales-training-2012" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace("\nunsupported_claims: stop", "\nunsupported_claims: mark"))
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir / "results" / "sales-training-2012"


@pytest.mark.e2e
def test_a_weighted_copy_of_the_first_study_builds(weighted_build):
    results = weighted_build
    respondents = pd.read_feather(results / "tier" / "respondents.arrow")
    w = respondents[WEIGHT]
    assert w.mean() == pytest.approx(1) and w.max() <= 4
    answered = respondents["company_size"].notna()  # two did not answer: the targets are of those who did
    shares = w[answered].groupby(respondents["company_size"][answered].astype(str)).sum() / w[answered].sum()
    assert shares.to_dict() == pytest.approx(WEIGHTS["targets"]["company_size"], abs=1e-6)
    summary = pd.read_csv(results / "tier" / "weighting.csv").set_index("measure")["value"]
    assert float(summary["efficiency"]) == pytest.approx(effective_base(w) / len(w))
    assert float(summary["max_weight"]) == pytest.approx(w.max())
    table = pd.read_csv(results / "crosstab" / "crosstabs.csv")
    assert list(table.columns) == COLUMNS + WEIGHTED_COLUMNS
    sizes = table[(table["question"] == "company_size") & (table["column"] == "total") & (table["kind"] == "choice")]
    assert (sizes.set_index("choice")["pct"] / 100).to_dict() == pytest.approx(WEIGHTS["targets"]["company_size"], abs=1e-6)
    with zipfile.ZipFile(results / "crosstab" / "crosstabs.xlsx") as workbook:
        assert 'name="Weights"' in workbook.read("xl/workbook.xml").decode()
    html = " ".join((results / "report.html").read_text(encoding="utf-8").split())
    assert "Raked (rim weighting) to population shares of “How many employees does your company have worldwide?”" in html
    assert f"the weighting efficiency is {float(summary['efficiency']):.0%}" in html
    assert f"The largest weight is {float(summary['max_weight']):.2f}" in html
    assert "keep their share of the sample on it" in html and "None: every respondent counts once" not in html


# ----------------------------------------------------------------------------- weighted results, scores and schema


def test_a_weighted_share_is_its_weighted_count_over_its_weighted_base_and_is_ranked_and_recorded_so(codebook):
    """Top: 20 with mobile weighing 2, 20 with games weighing 1: mobile 40/60 weighted though 20/40 counted; the
    ranking follows the weights; the ratio's Katz interval and the ledger take the weighted share on the effective base."""
    from surveyreport.formatting import pct, ratio_ci
    from surveyreport.ledger import Ledger
    from surveyreport.results import Results
    from surveyreport.stats import ratio_interval

    rows = [("high", ["mobile"])] * 20 + [("high", ["games"])] * 20 + [("mid", ["mobile"])] * 9 + [("mid", ["games"])] * 36
    frame = assign_tiers(answers(rows, codebook), TIERS, codebook).assign(weight=[2.0] * 20 + [1.0] * 65)
    results = Results(crosstab(frame, codebook, TIERS, STATISTICS), codebook, frame)
    top = results.share("tools", "mobile", "top")
    assert (top.count, top.base, top.weighted_count, top.weighted_base) == (20, 40, 40, 60)
    assert top.value == pytest.approx(2 / 3) and str(top.percent()) == "67"
    assert results.ranking("tools", "top")[0].choices == ("mobile",)  # 40 weighted against 20, though 20 counted each
    assert results.effective_base("tools", "top") == pytest.approx(36)
    ratio = results.ratio("tools", "mobile", ["top", "rest"])
    assert ratio.interval() == pytest.approx(ratio_interval(24, 36, 9, 45)[1:])
    ledger = Ledger()
    with ledger.active():
        assert pct(top) == "67%"
        ratio_ci(ratio)
    entries = ledger.frame().set_index("kind")
    assert entries.loc["share", ["numerator", "base"]].tolist() == ["40.0", "60.0"]
    assert entries.loc["ratio", ["numerator", "base"]].tolist() == ["40.0/60.0", "9.0/45.0"]
    # unweighted, the same answers give the counts' share and record the counts
    plain = Results(crosstab(frame.drop(columns=WEIGHT), codebook, TIERS, STATISTICS), codebook, frame)
    assert not plain.weighted and plain.share("tools", "mobile", "top").value == pytest.approx(1 / 2)
    assert plain.effective_base("tools", "top") is None


def scored_codebook():
    from surveyreport.codebook import parse_codebook

    questions = [
        {"id": "group", "column": "Q1", "import_id": "QID1", "type": "single", "text": "Group?",
         "choices": [{"code": 1, "id": "a", "label": "A"}, {"code": 2, "id": "b", "label": "B"}]},
        {"id": "spend", "column": "Q2", "import_id": "QID2_TEXT", "type": "numeric", "text": "How much?"},
        {"id": "rec", "column": "Q3", "import_id": "QID3", "type": "nps", "text": "Recommend?"},
    ]  # fmt: skip
    return parse_codebook({"questions": questions})


SCORE_TIERS = {
    "question": "group",
    "levels": [{"id": "a", "label": "A", "choices": ["a"]}, {"id": "b", "label": "B", "choices": ["b"]}],
}


def scored_frame(book, weights):
    from surveyreport.tidy import TIER, question_dtypes

    dtypes = question_dtypes(book)
    columns = {
        "group": ["a"] * 4 + ["b"] * 4,
        "spend": [1.0, 2.0, 4.0, None, 10.0, 7.0, 8.0, 5.0],
        "rec": ["score_10", "score_9", "score_3", "score_8", "score_7", "score_6", "score_10", None],
    }
    frame = pd.DataFrame({name: pd.Series(values, dtype=dtypes[name]) for name, values in columns.items()})
    frame[TIER] = frame["group"].astype(str)
    return frame if weights is None else frame.assign(weight=weights)


def test_weights_of_one_give_the_unweighted_scores_and_tests():
    from surveyreport.scores import COLUMNS as SCORE_COLUMNS
    from surveyreport.scores import PAIR_COLUMNS as SCORE_PAIRS
    from surveyreport.scores import scores

    book = scored_codebook()
    settings = {**STATISTICS, "min_base": 2, "caution_base": 3}
    plain, plain_tests = scores(scored_frame(book, None), book, SCORE_TIERS, settings)
    weighted, weighted_tests = scores(scored_frame(book, [1.0] * 8), book, SCORE_TIERS, settings)
    assert list(weighted.columns) == SCORE_COLUMNS + ["effective_base"]
    pd.testing.assert_frame_equal(weighted[SCORE_COLUMNS], plain, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(weighted_tests[SCORE_PAIRS], plain_tests, check_exact=False, rtol=1e-12)
    assert (weighted["effective_base"] == weighted["n"]).all()


def test_weighted_scores_by_hand_and_welch_on_the_effective_bases():
    """Tier a's spend 1, 2, 4 weighing 1, 1, 2: mean 11/4, n_e 16/6; sd = sqrt(n_e/(n_e-1) * sum w (x-m)^2 / sum w);
    median 2 (weights 1, 2 reach half of 4 at the second answer exactly: midway to 4 is 3). NPS of a: promoters
    weigh 1 + 1, detractors 2, passives 1, of 5."""
    from scipy.stats import t as student
    from scipy.stats import ttest_ind_from_stats

    from surveyreport.scores import nps, scores

    book = scored_codebook()
    settings = {**STATISTICS, "min_base": 2, "caution_base": 3}
    w = [1.0, 1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0]
    table, tests = scores(scored_frame(book, w), book, SCORE_TIERS, settings)
    a = table.set_index(["question", "column"]).loc[("spend", "a")]
    x, wa = np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0])
    mean, n_e = 11 / 4, 16 / 6
    sd = math.sqrt(n_e / (n_e - 1) * (wa * (x - mean) ** 2).sum() / wa.sum())
    half = student.ppf(0.975, n_e - 1) * sd / math.sqrt(n_e)
    assert (a["n"], a["value"], a["sd"], a["effective_base"]) == (3, pytest.approx(mean), pytest.approx(sd), pytest.approx(n_e))
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((mean - half, mean + half))
    assert a["median"] == 3.0
    # b: 10, 7, 8, 5 weighing 1, 3, 1, 1
    xb, wb = np.array([10.0, 7.0, 8.0, 5.0]), np.array([1.0, 3.0, 1.0, 1.0])
    mb, nb = float(np.average(xb, weights=wb)), wb.sum() ** 2 / (wb**2).sum()
    sb = math.sqrt(nb / (nb - 1) * float(np.average((xb - mb) ** 2, weights=wb)))
    welch = ttest_ind_from_stats(mean, sd, n_e, mb, sb, nb, equal_var=False)
    va, vb = sd**2 / n_e, sb**2 / nb
    df = (va + vb) ** 2 / (va**2 / (n_e - 1) + vb**2 / (nb - 1))
    pair = tests.set_index("question").loc["spend"]
    assert (pair["test"], pair["t"], pair["df"], pair["p"]) == ("welch", pytest.approx(welch.statistic),
                                                                pytest.approx(df), pytest.approx(welch.pvalue))  # fmt: skip
    assert (pair["n_a"], pair["effective_base_a"]) == (3, pytest.approx(n_e))
    rec = table.set_index(["question", "column"]).loc[("rec", "a")]
    promoters, detractors, n_rec = 2 / 5, 2 / 5, 25 / 7  # weights 1, 1, 2, 1: (5)^2 / 7
    assert rec["value"] == pytest.approx(100 * (promoters - detractors))
    score, se = nps(np.array([10.0, 9.0, 3.0, 8.0]), np.array([1.0, 1.0, 2.0, 1.0]))
    assert se == pytest.approx(100 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / n_rec))
    assert rec["effective_base"] == pytest.approx(n_rec)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_a_weight_that_is_not_a_finite_positive_number_fails_the_schema(codebook, bad):
    from surveyreport.schemas import validate
    from surveyreport.tidy import TIER

    frame = assign_tiers(answers([("high", ["mobile"])] * 3, codebook), TIERS, codebook)
    frame[TIER] = frame[TIER].astype("string")
    frame["response_id"] = frame["response_id"].astype("string")
    when = pd.Series(pd.to_datetime(["2012-07-02"] * 3))
    frame = frame.assign(start=when, end=when, recorded=when, finished=pd.array([True] * 3, dtype="boolean"))
    for column in ("status", "progress", "duration", "identity_group"):
        frame[column] = pd.array([1] * 3, dtype="Int64")
    for column in ("channel", "language"):
        frame[column] = pd.array(["x"] * 3, dtype="string")
    frame["tools.other_text"] = frame["tools.other_text"].astype("string")
    assert validate(frame, codebook, "x", TIERS) is not None  # unweighted, no weight column is asked for
    with pytest.raises(SurveyError) as error:
        validate(frame.assign(weight=[1.0, bad, 1.0]), codebook, "the weighted respondents", TIERS, weighted=True)
    message = str(error.value)
    assert "\n" not in message and message.startswith("the weighted respondents fail their schema: column 'weight'")


def weighted_percent(cells: pd.DataFrame, decimals: int) -> str:
    from fractions import Fraction

    from surveyreport.results import round_half_up

    share = Fraction(float(cells["weighted_count"].sum())) / Fraction(float(cells["weighted_base"].iloc[0]))
    return f"{round_half_up(share * 100, decimals)}%"


@pytest.mark.e2e
def test_every_share_a_weighted_report_prints_is_weighted(weighted_build):
    """Every share in the ledger (text, charts, tables) is its cells' weighted count over their weighted base, as
    printed; the cells where the unweighted share would print otherwise are many, and none prints that way."""
    from surveyreport.results import round_half_up

    from .conftest import pdf_text_of

    table = pd.read_csv(weighted_build / "crosstab" / "crosstabs.csv")
    ledger = pd.read_csv(weighted_build / "ledger.csv", dtype=str, keep_default_na=False)
    shares = ledger[(ledger["kind"] == "share") & (ledger["column"] != "")]
    assert len(shares) > 300
    differ = 0
    for row in shares.itertuples():
        choices = row.source.split("crosstab: ")[-1].split("+")
        cells = table[(table["question"] == row.question) & (table["column"] == row.column) & table["choice"].isin(choices)]
        decimals = len(row.text.rstrip("%").partition(".")[2])
        assert row.text == weighted_percent(cells, decimals), row
        assert (float(row.numerator), float(row.base)) == (cells["weighted_count"].sum(), cells["weighted_base"].iloc[0]), row
        from fractions import Fraction

        unweighted = f"{round_half_up(Fraction(int(cells['count'].sum()), int(cells['base'].iloc[0])) * 100, decimals)}%"
        differ += unweighted != row.text
    assert differ > 100  # the test can tell the two apart
    # the bases printed are unweighted, each with its effective base (Kish) beside it
    effective = ledger[ledger["kind"] == "effective base"]
    assert len(effective) >= 13
    for row in effective.itertuples():
        cells = table[(table["question"] == row.question) & (table["column"] == row.column) & (table["kind"] == "choice")]
        assert float(row.value) == pytest.approx(cells["effective_base"].iloc[0]), row
    text = pdf_text_of(weighted_build / "report.pdf")
    sizes = table[(table["question"] == "company_size") & (table["column"] == "total") & (table["kind"] == "choice")]
    assert f"Base: learning leaders who answered (n={sizes['base'].iloc[0]}). Effective base after weighting: " in text
    # the chart of company size prints the targets it was weighted to, as its alt text says
    assert "30% 25% 15% 20% 10%" in text
    html = (weighted_build / "report.html").read_text(encoding="utf-8")
    assert "Fewer than 1,000 30%; 1,000 to 4,999 25%; 5,000 to 9,999 15%; 10,000 to 49,999 20%; 50,000 or more 10%" in html
    # the methodology's weighting numbers are in the ledger, as printed
    printed = set(ledger.loc[ledger["kind"].isin(["weighting", "weighting target"]), "text"])
    assert {"30.0%", "25.0%", "15.0%", "20.0%", "10.0%", "4"} <= printed
    # weighted, the customized-solutions ratio falls under the "about twice" the texts claim: the key finding, the
    # chapter's sentence and the practice are marked (the figure's headline claims no ratio)
    assert text.count("Not supported by the data:") == 3
    assert "Not supported by the data: 49% of very effective training organizations (n=40) purchase customized" in text
    assert "Not supported by the data: 49% of very effective training organizations purchase customized" in text
    assert "Not supported by the data: Bought by 49% of very effective and 26% of ineffective organizations" in text


@pytest.mark.e2e
def test_a_weighted_appendix_gives_the_effective_bases(weighted_build):
    """Each appendix table of answers has an effective-base row under its base row, as the crosstab gives it."""
    import re
    from fractions import Fraction

    from surveyreport.results import round_half_up

    html = (weighted_build / "report.html").read_text(encoding="utf-8")
    tables = [t for t in re.findall(r'<table class="appendix" id=.*?</table>', html, re.S) if "Answer</th>" in t]
    after_base = [re.search(r'<tr class="base">.*?</tr>\s*<tr class="([^"]+)"', t, re.S).group(1) for t in tables]
    assert len(tables) >= 15 and set(after_base) == {"effective-base"}
    sizes = re.search(r'id="tab-company_size".*?<tr class="effective-base">(.*?)</tr>', html, re.S).group(1)
    printed = re.findall(r"<td>([^<]*)<", sizes)
    table = pd.read_csv(weighted_build / "crosstab" / "crosstabs.csv")
    cells = table[(table["question"] == "company_size") & (table["kind"] == "choice")].drop_duplicates("column")
    effective = cells.set_index("column")["effective_base"]
    columns = ["total", "very_effective", "effective", "ineffective"]
    assert printed[:4] == [str(round_half_up(Fraction(effective[c]))) for c in columns]
    assert printed[0] != str(cells.set_index("column").loc["total", "base"])  # not the unweighted base again


def test_a_weighted_workbook_says_its_scores_are_weighted(tmp_path):
    import datetime as dt

    from surveyreport.crosstab import chi_square_tests
    from surveyreport.scores import scores
    from surveyreport.workbook import write_workbook

    book = scored_codebook()
    settings = {**STATISTICS, "min_base": 2, "caution_base": 3}
    strings = {}
    for weighted in (False, True):
        frame = scored_frame(book, None)
        weighting = None
        if weighted:
            frame, summary, targets = rake(frame, {"targets": {"group": {"a": 0.4, "b": 0.6}}})
            weighting = (summary, targets)
        table = crosstab(frame, book, SCORE_TIERS, settings)
        path = tmp_path / f"{weighted}.xlsx"
        tests = chi_square_tests(table, book, SCORE_TIERS, settings)
        write_workbook(
            table,
            tests,
            book,
            SCORE_TIERS,
            settings,
            "Test",
            dt.datetime(2025, 1, 1),
            path,
            scores(frame, book, SCORE_TIERS, settings),
            weighting,
        )
        with zipfile.ZipFile(path) as workbook:
            strings[weighted] = workbook.read("xl/sharedStrings.xml").decode().replace("&apos;", "'")
    for text in strings.values():
        assert "Means (numbers, scales, ranks) and net promoter scores by tier" in text
    assert "weighted (sheet 'Weights'): n is the unweighted count, effective_base Kish's" in strings[True]
    assert "; weighted: on the effective bases (Kish)" in strings[True]
    assert "weighted" not in strings[False].replace("unweighted", "")
