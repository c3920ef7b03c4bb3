import re

import pandas as pd
import pytest

from surveyreport.formatting import date_range, times, words
from surveyreport.pdf import ASSET_BASE, _asset_fetcher
from surveyreport.results import Ratio, Share
from surveyreport.templates import environment


def share(count, base):
    return Share("q", ("a",), "total", count, base)


@pytest.mark.parametrize(
    ("a", "b", "text"), [((20, 40), (10, 40), "twice"), ((30, 40), (10, 40), "three times"), ((16, 40), (10, 40), "1.6 times")]
)
def test_times_is_written_from_the_ratio(a, b, text):
    assert times(Ratio(share(*a), share(*b))) == text


def test_words_for_small_counts():
    assert words(8) == "eight" and words(20) == "20"


def test_date_range_within_a_month():
    import pandas as pd

    assert date_range(pd.Timestamp("2012-07-02"), pd.Timestamp("2012-07-27")) == "July 2–27, 2012"


def test_templates_escape_what_they_print(tmp_path):
    (tmp_path / "t.html.j2").write_text("<p>{{ text }}</p>")
    html = environment(tmp_path).get_template("t.html.j2").render(text="<img src=x onerror=alert(1)>")
    assert "<img" not in html and "&lt;img" in html


def test_templates_fail_on_an_undefined_name(tmp_path):
    (tmp_path / "t.html.j2").write_text("{{ missing }}")
    with pytest.raises(Exception, match="missing"):
        environment(tmp_path).get_template("t.html.j2").render()


def test_fetcher_serves_only_the_report_assets(tmp_path):
    css = tmp_path / "style.css"
    css.write_text("p {}")
    fetcher = _asset_fetcher({"style.css": css})
    assert fetcher.fetch(ASSET_BASE + "style.css").read() == b"p {}"
    for url in ("file:///etc/passwd", "http://example.com/x.png", ASSET_BASE + "../secret"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


def test_ratio_ci_prints_the_katz_interval():
    from surveyreport.formatting import ratio_ci

    assert ratio_ci(Ratio(share(20, 40), share(10, 40))) == "2.0; unadjusted 95% interval 1.1–3.7"


def test_shorten_cuts_at_a_word_and_marks_it():
    from surveyreport.context import shorten

    assert shorten("a  b\nc", 40) == "a b c"
    assert shorten("one two three four", 9) == "one two […]"
    assert shorten("x" * 50, 10) == "x" * 10 + " […]"


def test_any_weasyprint_error_fails_the_render(tmp_path):
    import datetime as dt

    from surveyreport.errors import SurveyError
    from surveyreport.pdf import write_pdf

    html = '<html lang="en"><head><title>t</title></head><body><img src="charts/missing.svg" alt="x"></body></html>'
    out = tmp_path / "report.pdf"
    with pytest.raises(SurveyError, match="did not render cleanly.*charts/missing.svg"):
        write_pdf(html, {}, out, dt.datetime(2012, 7, 27))
    assert not out.exists()


def test_past_the_limit_a_fixed_random_sample_of_open_answers_is_printed():
    from surveyreport.codebook import parse_codebook
    from surveyreport.context import verbatims

    book = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [{"id": "comment", "column": "Q9", "import_id": "QID9", "type": "text", "text": "Anything else?"}],
        }
    )
    frame = pd.DataFrame(
        {
            "comment": [f"answer {i}" for i in range(500)],
            "recorded": pd.date_range("2012-07-01", periods=500, freq="min"),
            "response_id": [f"R_{i:03d}" for i in range(500)],
        }
    )
    first, again = verbatims(frame, book, 400, 60), verbatims(frame, book, 400, 60)
    assert first == again and first[0]["n"] == 500 and first[0]["shown"] == len(first[0]["answers"]) == 60
    numbers = [int(a["text"].split()[1]) for a in first[0]["answers"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 60  # in the order received
    assert verbatims(frame.head(30), book, 400, 60)[0]["shown"] == 30


def test_an_answer_several_respondents_gave_is_quoted_once_with_how_many():
    from surveyreport.codebook import parse_codebook
    from surveyreport.context import verbatims

    book = parse_codebook(
        {
            "survey": {"metadata": {}, "pii": {}},
            "questions": [{"id": "comment", "column": "Q9", "import_id": "QID9", "type": "text", "text": "Anything else?"}],
        }
    )
    texts = ["More coaching.", "Budget", "More  coaching.", None, "", "Budget", "More coaching."]
    frame = pd.DataFrame(
        {
            "comment": texts,
            "recorded": pd.date_range("2012-07-01", periods=7, freq="min"),
            "response_id": [f"R_{i}" for i in range(7)],
        }
    )
    (quoted,) = verbatims(frame, book, 400, 60)
    assert [(a["text"], int(a["times"])) for a in quoted["answers"]] == [("More coaching.", 3), ("Budget", 2)]
    assert (quoted["n"], quoted["distinct"], quoted["shown"]) == (5, 2, 2)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<a href="file:///etc/passwd">x</a>', "links outside itself: page 1: external link to 'file:///etc/passwd'"),
        ('<a rel="attachment" href="secret.txt">x</a>', "page 1: attachment link"),
        ('<a href="javascript:alert(1)">x</a>', "external link to 'javascript:alert(1)'"),
    ],
)
def test_links_to_files_attachments_or_scripts_fail_the_render(tmp_path, body, message):
    import datetime as dt

    from surveyreport.errors import SurveyError
    from surveyreport.pdf import write_pdf

    html = f'<html lang="en"><head><title>t</title></head><body><p>{body}</p></body></html>'
    out = tmp_path / "report.pdf"
    with pytest.raises(SurveyError, match=re.escape(message)):
        write_pdf(html, {}, out, dt.datetime(2012, 7, 27))
    assert not out.exists()


def test_web_and_internal_links_are_kept(tmp_path):
    import datetime as dt

    from surveyreport.pdf import write_pdf

    html = '<html lang="en"><head><title>t</title></head><body><p id="a"><a href="#a">a</a> <a href="https://example.org/">b</a></p></body></html>'
    assert write_pdf(html, {}, tmp_path / "report.pdf", dt.datetime(2012, 7, 27)) == 1


def test_a_zero_share_prints_as_zero_with_its_interval(codebook, tiers):
    from surveyreport.context import appendix_table
    from surveyreport.crosstab import crosstab
    from surveyreport.results import Results
    from surveyreport.tiers import assign_tiers

    from .conftest import STATISTICS, answers

    rows = [("high", {"mobile"})] * 40 + [("mid", {"games"})] * 40
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    results = Results(crosstab(frame, codebook, tiers, STATISTICS), codebook, frame)
    table = appendix_table(codebook.question("tools"), results, [(None, "Total", ""), ("top", "Top", "A"), ("rest", "Rest", "B")])
    games = next(row for row in table["rows"] if row["label"] == "Games")
    top = games["cells"][1]
    assert (top["pct"], top["ci"]) == ("0%", "0–9")  # 0 of 40: the Wilson interval reaches 8.8%


def test_the_methodology_counts_what_was_redacted_from_the_valid_respondents(codebook):
    from markupsafe import escape

    from surveyreport.context import redactions
    from surveyreport.ledger import Ledger

    frame = pd.DataFrame(
        {
            "tools.other_text": ["call [phone number removed]", None, "[e-mail removed] or [e-mail removed]"],
        }
    )
    ledger = Ledger()
    with ledger.active():
        found = [(str(escape(item["n"])), item["noun"]) for item in redactions(frame, codebook)]
    assert found == [("2", "e-mail addresses"), ("1", "phone number")]
    assert set(ledger.frame()["kind"]) == {"redacted"}


def test_one_decimal_only_on_a_base_that_can_carry_it():
    from surveyreport.formatting import pct1

    assert pct1(share(15, 40), min_base=30) == "37.5%"
    assert pct1(share(1, 18), min_base=30) == "6%"  # 5.6% on 18 would claim a precision 18 cannot give


def test_the_html_twin_inlines_both_stylesheets_and_the_charts(tmp_path):
    import mimetypes

    from surveyreport.standalone import self_contained

    (tmp_path / "style.css").write_text("@font-face { src: url(fonts/a.ttf); }\n")
    (tmp_path / "screen.css").write_text("@media screen { body { margin: 0; } }\n")
    (tmp_path / "a.ttf").write_bytes(b"font")
    (tmp_path / "c.svg").write_text("<svg/>")
    assets = {name: tmp_path / name for name in ("style.css", "screen.css")}
    assets |= {"fonts/a.ttf": tmp_path / "a.ttf", "charts/c.svg": tmp_path / "c.svg"}
    html = self_contained('<link rel="stylesheet" href="style.css"><img src="charts/c.svg">', assets)
    font = mimetypes.guess_type("a.ttf")[0] or "application/octet-stream"
    assert html == (
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>\n@font-face {{ src: url(data:{font};base64,Zm9udA==); }}\n\n@media screen {{ body {{ margin: 0; }} }}\n</style>"
        '<svg id="chart-c-svg" role="img" aria-label="" />'  # inline, so that its text can use the page's fonts
    )


def test_an_appendix_table_prints_the_precision_of_its_exhibit(codebook, tiers):
    from surveyreport.context import appendix_table
    from surveyreport.crosstab import crosstab
    from surveyreport.results import Results
    from surveyreport.tiers import assign_tiers

    from .conftest import STATISTICS, answers

    rows = [("high", {"mobile"})] * 15 + [("high", {"games"})] * 25 + [("mid", {"games"})] * 18
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    results = Results(crosstab(frame, codebook, tiers, STATISTICS), codebook, frame)
    columns = [(None, "Total", ""), ("top", "Top", "A"), ("rest", "Rest", "B")]
    mobile = next(r for r in appendix_table(codebook.question("tools"), results, columns, 30)["rows"] if r["label"] == "Mobile")
    assert [c["pct"] for c in mobile["cells"]] == ["25.9%", "37.5%", "0%"]  # 15/58, 15/40, and 0/18 under the minimum base


@pytest.mark.e2e
def test_the_report_and_the_workbook_state_the_method_in_the_same_words(build):
    """The sentences of the method (surveyreport.methodology) appear as one text in the report (the PDF's HTML, its
    tags and line breaks left out) and in the workbook's notes."""
    import zipfile
    from html import unescape

    from surveyreport import methodology

    from .conftest import RESULTS

    html = (build / RESULTS / "report.html").read_text(encoding="utf-8")
    report = unescape(" ".join(re.sub(r"<[^>]+>", "", html).split()))
    with zipfile.ZipFile(build / RESULTS / "crosstab" / "crosstabs.xlsx") as book:
        workbook = unescape(book.read("xl/sharedStrings.xml").decode())
    shared = [
        methodology.pair_test("5"),
        methodology.untested("30", "0%", "100%"),
        methodology.simulated("10,000"),
        methodology.several_answers("100%"),
        methodology.per_estimate(),
    ]
    for sentence in map(str, shared):
        assert sentence in report and sentence in workbook, sentence
    layout = (build / "report" / "layout.html.j2").read_text(encoding="utf-8")
    assert "Fisher's exact test where" not in layout and "simulated tables" not in layout


def panel_study(codebook, tiers, rows, statistics=None):
    """Results of ``rows`` and the configuration a panel exhibit's note reads."""
    from surveyreport.crosstab import crosstab_and_pairs
    from surveyreport.results import Results
    from surveyreport.tiers import assign_tiers

    from .conftest import STATISTICS, answers

    statistics = {**STATISTICS, **(statistics or {})}
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    config = {"study": {"population": "leaders"}, "tiers": {**tiers, "label": "rating"}, "statistics": statistics}
    table, pairs = crosstab_and_pairs(frame, codebook, tiers, statistics)
    return Results(table, codebook, frame, pairs=pairs), config


PANELS = {
    "id": "compared",
    "panels": [{"question": "tools", "title": "Tools planned"}, {"question": "role", "title": "Role"}],
    "top": 2,
    "by": "tier",
    "compare": ["top", "rest"],
}


def test_a_panel_exhibits_note_gives_the_bases_and_each_answers_corrected_test(codebook, tiers):
    from surveyreport.context import exhibit_alt, exhibit_notes
    from surveyreport.ledger import Ledger

    # 40 top tick games alone, 40 rest mobile alone (a tie: in questionnaire order): mobile significantly lower in top,
    # games higher; everyone a lead
    results, config = panel_study(codebook, tiers, [("high", {"games"})] * 40 + [("mid", {"mobile"})] * 40)
    ledger = Ledger()
    with ledger.active():
        note = exhibit_notes(PANELS, results, config, "July 2012")["note"]
    assert note == (
        "Bases: leaders who answered each question (n in each panel's title). By rating (top, rest): tools planned 40, 40; "
        "role 40, 40. Bases under 50 (Top, Rest): interpret with caution. Each panel shows the two answers chosen most "
        "in total. More than one answer allowed: shares can add up to more than 100%. Tests of top against rest: "
        "for Mobile, significantly lower; for Games, significantly higher; for Lead and Not responsible, not tested (the "
        "two groups gave this answer in the same all-or-none way, so there is no difference to test)."
    )
    tests = ledger.frame().query("kind == 'test'")
    assert list(tests["value"]) == ["lower", "higher", "not tested", "not tested"]
    assert list(tests["numerator"]) == ["0/40", "40/40", "40/40", "0/40"]  # the first tier's share of each answer
    alt = exhibit_alt(PANELS, results, config["tiers"])
    assert alt.startswith("Bar chart by rating in 2 panels. Tools planned: Mobile top 0%, rest 100%; Games top 100%, rest 0%.")


def test_a_panel_exhibits_note_says_when_no_answer_shown_differs(codebook, tiers):
    from surveyreport.context import exhibit_notes

    both, games, mobile = {"games", "mobile"}, {"games"}, {"mobile"}
    rows = [("high", both)] * 20 + [("high", games)] * 10 + [("high", mobile)] * 5  # games 86%, mobile 71%
    rows += [("mid", both)] * 18 + [("mid", games)] * 12 + [("mid", mobile)] * 7  # games 81%, mobile 68%
    results, config = panel_study(codebook, tiers, rows)
    exhibit = {**PANELS, "panels": PANELS["panels"][:1]}
    note = exhibit_notes(exhibit, results, config, "July 2012")["note"]
    assert note.endswith("Tests of top against rest: for every answer shown, not significant.")
    by_total = exhibit_notes({**exhibit, "by": "total", "compare": None}, results, config, "July 2012")["note"]
    assert "By rating" not in by_total and "Tests of" not in by_total


@pytest.mark.parametrize(
    "text, message",
    [
        ("<p>\n{{ nothing.here }}\n</p>", "bad.html.j2, line 2: 'nothing' is undefined"),
        ("<p>\n\n{% if %}</p>", "bad.html.j2, line 3: Expected an expression, got 'end of statement block'"),
        ("{% include 'missing.html.j2' %}", "no report template 'missing.html.j2' in "),
    ],
    ids=["undefined", "syntax", "missing include"],
)
def test_a_template_error_is_one_line_naming_the_template_and_line(tmp_path, text, message):
    """A researcher's edit of a template that does not render stops with its file and line, not a traceback."""
    from surveyreport.errors import SurveyError
    from surveyreport.templates import render_html

    (tmp_path / "bad.html.j2").write_text(text, encoding="utf-8")
    context = {"codebook": None, "settings": None}
    with pytest.raises(SurveyError) as raised:
        render_html([str(tmp_path)], context, "bad.html.j2")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def _two_groups(codebook, tiers, rows):
    from surveyreport.crosstab import crosstab_and_pairs
    from surveyreport.results import Results
    from surveyreport.tiers import assign_tiers

    from .conftest import STATISTICS, answers

    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    table, pairs = crosstab_and_pairs(frame, codebook, tiers, STATISTICS)
    return Results(table, codebook, frame, pairs=pairs), {"tiers": tiers, "statistics": STATISTICS}


def test_a_verdict_says_whether_the_gap_fails_before_or_only_after_the_correction(codebook, tiers):
    """Mobile 20/40 against 10/40 passes alone (z-test p = 0.021) but not Holm's correction over the question's 3 tests
    (one per answer, with other and games); games 5/40 against 6/40 fails even alone. The sentences say which, with p."""
    from surveyreport.formatting import pair_test_of, verdict
    from surveyreport.stats import pair_test

    rows = (
        [("high", {"mobile"})] * 15
        + [("high", {"mobile", "games"})] * 5
        + [("high", {"other"})] * 20
        + [("mid", {"mobile"})] * 4
        + [("mid", {"mobile", "games"})] * 6
        + [("mid", {"other"})] * 30
    )
    results, settings = _two_groups(codebook, tiers, rows)
    labels = {"top": "Top", "rest": "Rest"}

    def sentence(choice):
        comparison = results.compare("tools", choice, ["top", "rest"])
        return verdict(comparison, 30, labels, test=pair_test_of(comparison, results, settings))

    _, _, p = pair_test(20, 40, 10, 40)
    assert f"{p:.3f}" == "0.021"
    mobile = sentence("mobile")
    assert mobile.startswith("The gap is significant on its own (p = 0.021) but not after Holm correction for the 3 tests")
    assert "of this question (adjusted p = " in mobile
    assert sentence("games") == "The gap is not statistically significant (p = 0.75, before any correction)."
    assert "size" not in mobile and "pattern to watch" not in mobile


def test_lowercasing_a_label_keeps_its_acronyms():
    from markupsafe import Markup

    from surveyreport.formatting import lower

    assert lower("Software and IT services") == "software and IT services"
    assert lower("L&D and HR, I think") == "L&D and HR, i think"
    assert isinstance(lower(Markup("A <b>B</b>")), Markup)
    assert environment().from_string("{{ 'Software and IT services' | lower }}").render() == "software and IT services"


def test_a_disclosed_source_starts_every_charts_source_line():
    from surveyreport.context import source_line

    about = {"population": "engineering managers and tech leads"}
    assert source_line(about, "March 3–21, 2025") == "Survey of engineering managers and tech leads, March 3–21, 2025."
    about["disclosure"] = "Generated demonstration data; no one was surveyed"
    assert source_line(about, "March 3–21, 2025") == (
        "Generated demonstration data; no one was surveyed (engineering managers and tech leads)."
    )


def test_an_appendix_table_follows_its_figures_order_and_the_grouping_question_has_no_intervals(codebook, tiers):
    from surveyreport.context import appendix_table, figure_orders

    rows = [("high", {"games"})] * 30 + [("mid", {"games", "mobile"})] * 20 + [("mid", {"other"})] * 10
    results, _ = _two_groups(codebook, tiers, rows)
    columns = [(None, "Total", ""), ("top", "Top", "A"), ("rest", "Rest", "B")]
    orders = figure_orders([{"id": "tools", "question": "tools", "by": "tier"}], results)
    assert orders == {"tools": ["games", "mobile", "other"]}  # ranked, as the chart draws them ("Other" last)
    table = appendix_table(codebook.question("tools"), results, columns, order=orders["tools"])
    assert [r["label"] for r in table["rows"]] == ["Games", "Mobile", "Other"]
    rating = appendix_table(codebook.question("rating"), results, columns, defining=True)
    cells = next(r for r in rating["rows"] if not r["nonsubstantive"])["cells"]
    assert cells[0]["ci"] != "" and [c["ci"] for c in cells[1:]] == ["", ""]
