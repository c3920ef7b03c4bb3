import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyreport.clean import KEPT, attrition, clean, dispositions, recode_other

from .conftest import answers

STEPS = [
    {"rule": "status", "reason": "preview", "label": "Previews", "drop_status": [1, 2]},
    {"rule": "incomplete", "reason": "incomplete", "label": "Unfinished", "min_progress": 100},
    {"rule": "screened_out", "reason": "screened_out", "label": "Screened out", "question": "role", "choices": ["out"]},
    {"rule": "duplicate", "reason": "duplicate", "label": "Twice"},
    {"rule": "speeder", "reason": "speeder", "label": "Too fast", "max_share_of_median": 0.5},
]


@pytest.fixture
def raw(codebook):
    frame = answers([("high", {"mobile"})] * 9, codebook)
    frame["status"] = pd.array([0, 1, 0, 0, 0, 0, 0, 0, 0], dtype="Int64")
    frame["finished"] = pd.array([True, True, False, True, True, True, True, True, True], dtype="boolean")
    frame["progress"] = pd.array([100, 100, 40, 100, 100, 100, 100, 100, 100], dtype="Int64")
    frame["duration"] = pd.array([600, 5, 300, 620, 580, 100, 650, 590, 610], dtype="Int64")
    frame["identity_group"] = pd.array([1, 2, 3, 4, 1, 5, 6, 7, 8], dtype="Int64")
    frame["recorded"] = pd.date_range("2012-07-02", periods=9, freq="D")
    frame.loc[3, "role"] = "out"
    return frame


def test_each_row_is_excluded_once_under_its_first_rule(raw, codebook):
    reason = dispositions(raw, STEPS, codebook)
    # row 1 is a preview *and* fast: counted as a preview only
    assert reason.tolist() == [KEPT, "preview", "incomplete", "screened_out", "duplicate", "speeder", KEPT, KEPT, KEPT]


def test_duplicates_keep_the_first_response(raw, codebook):
    reason = dispositions(raw, STEPS, codebook)
    assert reason[0] == KEPT and reason[4] == "duplicate"


def test_speeders_are_judged_against_the_median_of_rows_still_in(raw, codebook):
    # median of the rows left at that step (600, 580, 100, 650, 590, 610) is 595: 100 < 297.5
    reason = dispositions(raw, STEPS, codebook)
    assert reason[5] == "speeder" and reason[4] != "speeder"


def test_attrition_adds_up(raw, codebook):
    table = attrition(dispositions(raw, STEPS, codebook), STEPS)
    assert table["remaining"].iloc[0] == len(raw)
    assert table["excluded"].sum() + table["remaining"].iloc[-1] == len(raw)
    assert table["remaining"].tolist() == [9, 8, 7, 6, 5, 4, 4]


def test_recode_moves_other_text_to_the_listed_choice(codebook):
    frame = answers([("high", {"other"}), ("high", {"other"})], codebook)
    frame["tools.other_text"] = pd.array(["Tablet apps", "Podcasts"], dtype="string")
    recoded, log = recode_other(frame, [{"question": "tools", "pattern": "(?i)tablet", "to": "mobile"}], codebook)
    assert recoded["tools.mobile"].tolist() == [True, False]
    assert recoded["tools.other"].tolist() == [False, True]
    assert recoded["tools.other_text"].isna().tolist() == [True, False]
    assert log[["response_id", "recoded_to"]].values.tolist() == [["R_0", "mobile"]]


def test_clean_returns_kept_rows_and_every_disposition(raw, codebook):
    tables = clean(raw, {"exclusions": STEPS}, codebook)
    assert len(tables["respondents"]) == 4
    assert len(tables["dispositions"]) == len(raw)


@st.composite
def exports(draw):
    n = draw(st.integers(1, 40))
    rows = [("high", {"mobile"})] * n
    return n, {
        "status": draw(st.lists(st.sampled_from([0, 0, 0, 1, 2, 8]), min_size=n, max_size=n)),
        "finished": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "progress": draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)),
        "duration": draw(st.lists(st.integers(1, 2000), min_size=n, max_size=n)),
        "identity_group": draw(st.lists(st.integers(1, 12), min_size=n, max_size=n)),
        "role": draw(st.lists(st.sampled_from(["lead", "lead", "out"]), min_size=n, max_size=n)),
        "rows": rows,
    }


# the codebook fixture is read-only, so one instance can serve every example
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exports())
def test_conservation_and_no_kept_row_breaks_a_rule(codebook, data):
    n, columns = data
    frame = answers(columns["rows"], codebook)
    for name in ("status", "progress", "duration", "identity_group"):
        frame[name] = pd.array(columns[name], dtype="Int64")
    frame["finished"] = pd.array(columns["finished"], dtype="boolean")
    frame["role"] = columns["role"]
    frame["recorded"] = pd.date_range("2012-07-02", periods=n, freq="h")
    reason = dispositions(frame, STEPS, codebook)
    table = attrition(reason, STEPS)
    assert table["excluded"].sum() + table["remaining"].iloc[-1] == n
    assert reason.value_counts().sum() == n
    kept = frame[reason == KEPT]
    assert not kept["status"].isin([1, 2]).any()
    assert kept["finished"].all() and (kept["progress"] >= 100).all()
    assert not kept["role"].eq("out").any()
    assert not kept["identity_group"].duplicated().any()
    at_speeder_step = frame[(reason == KEPT) | (reason == "speeder")]
    assert (kept["duration"] >= 0.5 * at_speeder_step["duration"].median()).all()


def test_straightliners_give_one_choice_to_a_whole_battery(codebook):
    from surveyreport.codebook import parse_codebook

    battery = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [
                {
                    "id": f"g{n}",
                    "column": f"G{n}",
                    "import_id": f"QID{n}",
                    "type": "rating",
                    "text": f"Item {n}",
                    "choices": [{"code": k, "id": f"s{k}", "label": f"Scale {k}"} for k in (1, 2, 3)],
                }
                for n in (1, 2, 3)
            ],
        }
    )
    rows = [("s1", "s1", "s1"), ("s1", "s2", "s1"), ("s2", "s2", None), ("s3", None, None)]
    frame = pd.DataFrame(rows, columns=["g1", "g2", "g3"]).astype(pd.CategoricalDtype(["s1", "s2", "s3"]))
    step = {
        "rule": "straightliner",
        "reason": "straightliner",
        "label": "Same answer throughout",
        "questions": ["g1", "g2", "g3"],
        "min_answered": 2,
    }
    assert dispositions(frame, [step], battery).tolist() == ["straightliner", "kept", "straightliner", "kept"]
