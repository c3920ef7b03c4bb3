import jinja2.sandbox
import pytest

from surveyreport.crosstab import crosstab_and_pairs
from surveyreport.errors import SurveyError
from surveyreport.findings import fill
from surveyreport.ledger import Ledger
from surveyreport.results import Results
from surveyreport.templates import environment
from surveyreport.tiers import assign_tiers

from .conftest import LOGS, RESULTS, STATISTICS, WORK, answers, copy_project, pdf_text_of, snakemake

# Payloads a hostile or careless configuration might hold: none may run.
PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# comment #}",
    "{r.__class__}",
    "{share!r}",
    "{share:>10}",
    "{0}",
    "{}",
    "{unclosed",
]


@pytest.fixture
def results(codebook, tiers):
    rows = [("high", {"mobile", "games"})] * 18 + [("high", {"mobile"})] * 20 + [("high", {"games"})] * 2
    rows += [("mid", {"mobile", "games"})] * 10 + [("mid", {"games"})] * 11 + [("mid", {"other"})] * 19
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    table, pairs = crosstab_and_pairs(frame, codebook, tiers, {**STATISTICS, "min_base": 10})
    return Results(table, codebook, frame, pairs=pairs)


@pytest.fixture
def settings(tiers):
    return {"tiers": tiers, "statistics": {**STATISTICS, "min_base": 10}}


VALUES = {
    "share": {"measure": "share", "question": "tools", "choice": "mobile", "tier": "top"},
    "ratio": {"measure": "ratio", "question": "tools", "choice": "mobile", "tiers": ["top", "rest"]},
    "first": {"measure": "ranked", "question": "tools", "rank": 1, "show": "label_lower"},
    "n": {"measure": "count", "question": "tools", "choice": "games", "tier": "top", "show": "words"},
    "test": {"measure": "comparison", "question": "tools", "choice": "mobile", "tiers": ["top", "rest"]},
    "same": {"measure": "comparison", "question": "tools", "choice": "games", "tiers": ["top", "rest"]},
}


def test_named_values_are_formatted_and_recorded(results, settings):
    ledger = Ledger()
    with ledger.active():
        text = fill(
            "{share} use {first}: {ratio} as likely, {n} of them <b>games</b>. {test} {same}",
            VALUES,
            results,
            settings,
            "finding 'x'",
        )
    assert text == (
        "95% use mobile: 3.8 times as likely, 20 of them &lt;b&gt;games&lt;/b&gt;. The gap is statistically significant after "
        "Holm correction for the 3 tests of this question (adjusted p &lt; 0.001). The gap is not statistically significant "
        "(p = 0.82, before any correction)."
    )
    printed = ledger.frame()
    assert {"95%", "3.8 times", "20", "adjusted p < 0.001", "p = 0.82"} <= set(printed["text"])
    assert set(printed.loc[printed["kind"] == "test", "value"]) == {"higher", "not significant"}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_template_syntax_and_attribute_access_in_a_finding_never_run(payload, results, settings):
    with pytest.raises(SurveyError) as error:
        fill(f"Text {payload} more", VALUES, results, settings, "finding 'x'")
    message = str(error.value)
    assert message.startswith("finding 'x': ") and "\n" not in message
    assert "uid=" not in message and "49" not in message


def test_an_unknown_name_is_refused_with_the_known_ones(results, settings):
    with pytest.raises(
        SurveyError, match=r"finding 'x': \{shar\} is not one of its values \(first, n, ratio, same, share, test\)"
    ):
        fill("{shar}", VALUES, results, settings, "finding 'x'")


def test_a_value_that_cannot_be_computed_names_the_finding_and_value(results, settings):
    values = {"third": {"measure": "ranked", "question": "tools", "rank": 9}}
    with pytest.raises(SurveyError, match="finding 'x', value 'third': rank 9 asked of 'tools', which lists 2 answers"):
        fill("{third}", values, results, settings, "finding 'x'")


def test_not_tested_says_why(codebook, tiers):
    rows = [("high", {"mobile"})] * 12 + [("mid", {"mobile"})] * 3 + [("mid", {"games"})] * 9
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    table, pairs = crosstab_and_pairs(frame, codebook, tiers, STATISTICS)
    results = Results(table, codebook, frame, pairs=pairs)
    text = fill("{test}", VALUES, results, {"tiers": tiers, "statistics": STATISTICS}, "finding 'x'")
    assert (
        text
        == "The gap was not tested for significance: the bases of top (n=12) and rest (n=12) are under the minimum of 30 for a test."
    )


def test_templates_are_sandboxed(tmp_path):
    (tmp_path / "t.html.j2").write_text("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    env = environment(tmp_path)
    assert isinstance(env, jinja2.sandbox.ImmutableSandboxedEnvironment)
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.get_template("t.html.j2").render()


def test_configured_text_is_printed_not_run(tmp_path):
    (tmp_path / "t.html.j2").write_text("<h1>{{ study.title }}</h1>")
    html = environment(tmp_path).get_template("t.html.j2").render(study={"title": PAYLOADS[0] + " {{ 7*7 }}"})
    assert "{{ 7*7 }}" in html and "49" not in html


def test_practices_are_statements_with_their_own_unsupported_claims(results, settings):
    from surveyreport.checks import unsupported_claims
    from surveyreport.context import statements

    practices = [
        {
            "id": "mobile",
            "heading": "Go mobile.",
            "text": "{share} of the top tier use mobile tools.",
            "values": VALUES,
            "claims": [{"measure": "share", "question": "tools", "choices": ["mobile"], "tier": "top", "above": 50}],
        },
        {
            "id": "games",
            "heading": "Play.",
            "text": "Games lead.",
            "claims": [{"measure": "rank", "question": "tools", "choice": "games", "expect": 1}],
        },
    ]
    failures = unsupported_claims(results, practices, "practice")
    assert failures == ["practice 'games': rank question=tools choice=games should be 1, computed 2"]
    stated = statements(practices, "practice", results, settings, failures)
    assert [s["text"] for s in stated] == ["95% of the top tier use mobile tools.", "Games lead."]
    assert [bool(s["unsupported"]) for s in stated] == [False, True]


def test_a_sentence_the_configuration_does_not_declare_stops_with_one_line():
    from surveyreport.context import sentences

    declared = sentences([{"id": "forces", "says": "a majority", "claims": []}], ["sentence 'forces': share ..."])
    assert declared["forces"]["unsupported"] == ["sentence 'forces': share ..."]
    with pytest.raises(SurveyError) as error:
        declared["forcse"]
    assert "\n" not in str(error.value)
    assert "the template marks a sentence 'forcse' that report.yaml does not declare under sentences (forces)" in str(error.value)


# False claims planted on a chart headline, a best practice and a sentence of the template's body.
PLANTED = {
    "exhibits": ("initiative", {"measure": "rank", "question": "initiative", "choice": "value_proposition", "expect": 2}),
    "practices": ("goals", {"measure": "rank", "question": "alignment", "choice": "define_metrics", "expect": 2}),
    "sentences": ("forces", {"measure": "share", "question": "leverage", "choices": ["partnership"], "below": 10}),
}


@pytest.fixture(scope="module")
def planted(build, tmp_path_factory):
    """The built study copied, its steps up to the render kept, with false claims planted in report.yaml."""
    import shutil

    import yaml

    workdir = copy_project(tmp_path_factory.mktemp("planted") / "project")
    shutil.copytree(build / "results", workdir / "results", symlinks=True)
    shutil.copytree(build / ".snakemake", workdir / ".snakemake", ignore=shutil.ignore_patterns("locks", "incomplete"))
    path = workdir / "config" / "sales-training-2012" / "report.yaml"
    report = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, (item, claim) in PLANTED.items():
        next(x for x in report[section] if x["id"] == item)["claims"].append(claim)
    path.write_text(yaml.safe_dump(report, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return workdir


@pytest.mark.e2e
def test_false_claims_on_a_headline_a_practice_and_a_sentence_stop_the_build_in_one_line(planted):
    run = snakemake(planted)
    assert run.returncode != 0
    log = (planted / LOGS / "render.log").read_text()
    assert "Traceback" not in log
    (line,) = [line for line in log.splitlines() if "claim(s) the data do not support" in line]
    assert "3 claim(s) the data do not support: " in line
    assert "exhibit 'initiative': rank question=initiative choice=value_proposition should be 2, computed 1" in line
    assert "practice 'goals': rank question=alignment choice=define_metrics should be 2, computed 1" in line
    assert "sentence 'forces': share question=leverage choices=partnership should be < 10, computed " in line
    assert not (planted / WORK / "report.pdf").exists()


@pytest.mark.e2e
def test_marked_false_claims_are_marked_where_they_are_printed(planted, tmp_path):
    import shutil

    workdir = shutil.copytree(planted, tmp_path / "project", symlinks=True)
    path = workdir / "config" / "sales-training-2012" / "report.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("unsupported_claims: stop", "unsupported_claims: mark"))
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-2000:]
    text = pdf_text_of(workdir / RESULTS / "report.pdf")
    assert "Not supported by the data: A new value proposition tops the initiatives" in text  # the headline
    assert "Defining goals and metrics with sales. Not supported by the data: The alignment practice cited most" in text
    assert "Not supported by the data: A majority of learning leaders say their company leverages" in text  # the body
    assert text.count("Not supported by the data") == 3  # the claims that hold stay unmarked
