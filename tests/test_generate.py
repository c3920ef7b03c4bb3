import hashlib

import yaml

from surveygen.generate import generate, largest_remainder
from surveyreport.clean import clean
from surveyreport.codebook import load_codebook
from surveyreport.platforms import read_export

from .conftest import ROOT

EXPORT = ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv"


def spec():
    return yaml.safe_load((ROOT / "config" / "sales-training-2012" / "reconstruction.yaml").read_text(encoding="utf-8"))


def test_largest_remainder_hits_the_total():
    assert largest_remainder({"a": 0.5, "b": 0.3, "c": 0.2}, 7) == {"a": 4, "b": 2, "c": 1}
    assert sum(largest_remainder({"a": 1, "b": 1, "c": 1}, 100).values()) == 100


def test_the_committed_export_is_reproduced_byte_for_byte(tmp_path):
    out = tmp_path / "export.csv"
    generate(load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml"), spec(), out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(EXPORT.read_bytes()).hexdigest()


def test_a_bigger_export_cleans_to_exactly_its_valid_respondents(tmp_path):
    out = tmp_path / "big.csv"
    codebook = load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
    generate(codebook, spec(), out, respondents=1740)
    cleaning = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))["cleaning"]
    attrition = clean(read_export(out, codebook), cleaning, codebook)["attrition"].set_index("reason")
    assert attrition.loc["kept", "remaining"] == 1740
    flaws = spec()["flaws"]
    assert attrition.loc["raw", "remaining"] == 1740 + 10 * sum(flaws.values())
    assert attrition.loc["duplicate", "excluded"] == 10 * flaws["duplicate"]
    assert attrition.loc["speeder", "excluded"] == 10 * flaws["speeder"]
