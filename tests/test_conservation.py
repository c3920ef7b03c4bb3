"""Whole generated exports, in every format: every raw row accounted for, no kept row breaking a rule, no PII out."""

import re

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveygen import writers
from surveygen.generate import Generator
from surveyreport import stages
from surveyreport.clean import KEPT, clean
from surveyreport.codebook import load_codebook
from surveyreport.platforms import read_export

from .conftest import ROOT, output_text

CODEBOOK = load_codebook(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
CONFIG = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text(encoding="utf-8"))
SPEC = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "reconstruction.yaml").read_text(encoding="utf-8"))
WRITERS = {
    "qualtrics": ("export.csv", writers.write_qualtrics),
    "qualtrics_legacy": ("export.csv", writers.write_qualtrics_legacy),
    "surveymonkey": ("export.csv", writers.write_surveymonkey),
    "spss": ("export.sav", writers.write_spss),
}


def rule(name):
    return next(step for step in CONFIG["cleaning"]["exclusions"] if step["rule"] == name)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), respondents=st.integers(20, 400), layout=st.sampled_from(sorted(WRITERS)))
def test_every_raw_row_is_kept_or_excluded_once(tmp_path_factory, seed, respondents, layout):
    name, write = WRITERS[layout]
    path = tmp_path_factory.mktemp("export") / name
    responses = Generator(CODEBOOK, SPEC, respondents=respondents, seed=seed).responses()
    write(responses, CODEBOOK, path)
    frame = read_export(path, CODEBOOK)
    tables = clean(frame, CONFIG["cleaning"], CODEBOOK)
    attrition, disposition = tables["attrition"], tables["dispositions"]

    assert len(frame) == len(responses)
    assert attrition["excluded"].sum() + attrition["remaining"].iloc[-1] == len(responses)
    assert sorted(disposition["response_id"]) == sorted(responses["ResponseId"])
    counts = disposition["disposition"].value_counts()
    for row in attrition.itertuples():
        if row.reason not in ("raw", KEPT):
            assert counts.get(row.reason, 0) == row.excluded

    kept = frame[frame["response_id"].isin(tables["respondents"]["response_id"])]
    assert len(kept) == len(tables["respondents"]) == counts.get(KEPT, 0)
    assert not kept["status"].isin(rule("status")["drop_status"]).any()
    assert kept["finished"].all() and kept["progress"].ge(rule("incomplete")["min_progress"]).all()
    assert not kept["role"].isin(rule("screened_out")["choices"]).any()
    assert not kept["identity_group"].duplicated().any()
    reached = frame[
        disposition.set_index("response_id").loc[frame["response_id"], "disposition"].isin([KEPT, "speeder"]).to_numpy()
    ]
    assert kept["duration"].ge(rule("speeder")["max_share_of_median"] * reached["duration"].median()).all()


@pytest.mark.parametrize("layout", sorted(WRITERS))
def test_no_personal_data_leaves_ingest_or_cleaning(tmp_path, layout):
    """Distinctive PII planted in every row of an export appears in no file the stages write."""
    responses = Generator(CODEBOOK, SPEC, respondents=60, seed=11).responses()
    n = len(responses)
    responses["RecipientEmail"] = [f"planted.person{i}@pii-canary.example" for i in range(n)]
    responses["RecipientFirstName"] = [f"Zebulonia{i}" for i in range(n)]
    responses["RecipientLastName"] = "Quargleshaw"
    responses["IPAddress"] = [f"203.0.113.{i % 250}" for i in range(n)]
    responses["LocationLatitude"] = "12.3456789"
    responses["LocationLongitude"] = "-98.7654321"
    responses["ExternalReference"] = [f"EXTREF-CANARY-{i}" for i in range(n)]
    name, write = WRITERS[layout]
    export = tmp_path / name
    write(responses, CODEBOOK, export)
    results = tmp_path / "results"
    codebook = str(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
    responses = str(results / "responses.arrow")
    stages.ingest({"export": str(export), "codebook": codebook}, {"responses": responses}, {"export_format": "auto"})
    outputs = {key: str(results / f"{key}.csv") for key in ("dispositions", "attrition", "recodes")}
    outputs["respondents"] = str(results / "respondents.arrow")
    stages.clean({"responses": responses, "codebook": codebook}, outputs, {"cleaning": CONFIG["cleaning"]})
    pattern = re.compile(r"pii-canary|Zebulonia|Quargleshaw|203\.0\.113\.|12\.3456789|98\.7654321|EXTREF-CANARY")
    files = sorted(results.iterdir())
    assert len(files) == 5
    for path in files:
        assert not pattern.search(output_text(path)), path
    assert len(pd.read_feather(results / "responses.arrow")) == n
