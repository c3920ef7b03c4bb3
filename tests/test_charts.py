import re

import pytest

from surveyreport import charts
from surveyreport.crosstab import crosstab
from surveyreport.results import Results, exhibit_shares
from surveyreport.tiers import assign_tiers

from .conftest import ROOT, STATISTICS, answers

STYLE = {
    "font": "Lato",
    "font_size": 8.5,
    "label_width": 30,
    "text_color": "#222222",
    "rule_color": "#999999",
    "palette": {"total": "#2b6f8e", "top": "#0072B2", "rest": "#E69F00"},
    "hatches": {"top": "", "rest": "////"},
}


@pytest.fixture
def results(codebook, tiers):
    rows = [("high", {"games", "other"})] * 3 + [("mid", {"mobile", "games"})] * 2 + [("low", {"other"})] * 4
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    charts.apply_style(STYLE, ROOT / "report" / "fonts")
    return Results(crosstab(frame, codebook, tiers["levels"], STATISTICS), codebook, frame)


def test_ranked_order_puts_other_last(results):
    exhibit = {"id": "tools", "question": "tools", "by": "total"}
    # other is ticked most (7 of 9) but stays last; games (5) before mobile (2)
    assert [s.choices[0] for s in exhibit_shares(exhibit, results)] == ["games", "mobile", "other"]


@pytest.mark.parametrize("by", ["total", "tier"])
def test_svg_is_byte_identical_and_keeps_text(results, tiers, tmp_path, by):
    exhibit = {"id": "tools", "question": "tools", "by": by}
    paths = [tmp_path / "a.svg", tmp_path / "b.svg"]
    for path in paths:
        charts.save_svg(charts.draw_exhibit(exhibit, results, STYLE, tiers["levels"]), path)
    svg = paths[0].read_text()
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert "<text" in svg and "Games" in svg
    if by == "total":
        assert "56%" in svg  # games: 5 of 9
    else:
        assert "Top (n=3)" in svg and "Rest (n=6)" in svg
        assert "100%" in svg and "33%" in svg  # games: 3 of 3, 2 of 6


def test_labels_are_printed_as_written(codebook, tiers, tmp_path):
    from dataclasses import replace

    hostile = "Costs $x^2$ & <script>alert(1)</script> {{ 7*7 }}"
    question = codebook.question("tools")
    choices = tuple(replace(c, label=hostile) if c.id == "games" else c for c in question.choices)
    book = replace(codebook, questions=tuple(replace(q, choices=choices) if q.id == "tools" else q for q in codebook.questions))
    rows = [("high", {"games"})] * 3 + [("mid", {"mobile"})] * 2
    frame = assign_tiers(answers(rows, book), tiers, book)
    charts.apply_style(STYLE, ROOT / "report" / "fonts")
    results = Results(crosstab(frame, book, tiers["levels"], STATISTICS), book, frame)
    path = tmp_path / "tools.svg"
    charts.save_svg(charts.draw_exhibit({"id": "tools", "question": "tools", "by": "total"}, results, {**STYLE, "label_width": 200}, tiers["levels"]), path)
    svg = path.read_text()
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)  # one text element, not TeX laid out glyph by glyph
    assert "Costs $x^2$ &amp; &lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in texts and "<script" not in svg
