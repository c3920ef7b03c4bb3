"""A second, different study builds from its own configuration alone, beside the first."""

import re

import pandas as pd
import pytest
from pypdf import PdfReader

from .conftest import RESULTS, digests, pdf_text_of, snakemake

pytestmark = pytest.mark.e2e

SECOND = "results/onboarding-2025"


@pytest.fixture(scope="module")
def both(build, two_studies):
    """The project where the second study was built after the first, and the first study's files as built."""
    return two_studies, digests(build / RESULTS)


def test_the_second_study_has_its_own_results_and_leaves_the_first_alone(both):
    workdir, first = both
    assert (workdir / SECOND / "report.pdf").is_file()
    assert (workdir / "logs" / "onboarding-2025" / "render.log").is_file()
    assert digests(workdir / RESULTS) == first


def test_four_tiers_from_another_question(both):
    workdir, _ = both
    crosstabs = pd.read_csv(workdir / SECOND / "crosstab" / "crosstabs.csv")
    assert set(crosstabs["column"]) == {"total", "fast", "typical", "slow", "very_slow"}
    tiered = pd.read_feather(workdir / SECOND / "tier" / "respondents.arrow")
    assert tiered["tier"].value_counts().to_dict() == {"typical": 168, "slow": 115, "fast": 64, "very_slow": 49}


def test_the_generic_layout_reports_it(both):
    workdir, _ = both
    pdf = workdir / SECOND / "report.pdf"
    text = pdf_text_of(pdf)
    assert "How Engineering Teams Onboard New Hires" in text
    assert "Teams that ramp up fastest use a written guide, buddies, starter tasks and pairing more than the slowest" in text
    assert "More than six months" in text and "learning leader" not in text.lower()
    # generated data said so in the methodology, in every chart's source line and over the open answers
    assert "The data" in text and "Generated demonstration data; no one was surveyed." in text
    sources = re.findall(r"Source: (.*?)\.", text)
    assert sources and all(s.startswith("Generated demonstration data; no one was surveyed") for s in sources)
    assert "they are illustrative, not respondents' words" in text and "order first received" not in text
    # the population names who answered; each figure has its sentences; p-values, not the sample size, explain a verdict
    assert "Generated answers of 420 engineering managers and tech leads" in text
    assert "statistically significant after Bonferroni correction for the" in text and "groups of this size" not in text
    assert "68% (283 of 419) of managers and tech leads are satisfied or very satisfied" in text
    outline = [item.title for item in PdfReader(pdf).outline if not isinstance(item, list)]
    assert outline[:2] == ["Summary", "Findings"]
    verification = (workdir / SECOND / "verification.md").read_text(encoding="utf-8")
    assert "no published figures" in verification


def test_a_rerun_of_either_study_has_nothing_to_do(both):
    workdir, _ = both
    for args in ([], ["--config", "study=onboarding-2025"]):
        run = snakemake(workdir, "--dry-run", *args)
        assert run.returncode == 0 and "Nothing to be done" in run.stdout + run.stderr, args
