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
    return Results(crosstab(frame, codebook, tiers, STATISTICS), codebook, frame)


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
    results = Results(crosstab(frame, book, tiers, STATISTICS), book, frame)
    path = tmp_path / "tools.svg"
    charts.save_svg(
        charts.draw_exhibit(
            {"id": "tools", "question": "tools", "by": "total"}, results, {**STYLE, "label_width": 200}, tiers["levels"]
        ),
        path,
    )
    svg = path.read_text()
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)  # one text element, not TeX laid out glyph by glyph
    assert "Costs $x^2$ &amp; &lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in texts and "<script" not in svg


# ----------------------------------------------------------------------------- the real studies' charts


def study_results(name):
    """A study's configuration and its results, computed in-process from its export (as the
    ingest, clean, tier and crosstab stages compute them)."""
    from surveyreport.clean import clean
    from surveyreport.codebook import load_codebook
    from surveyreport.platforms import read_export
    from surveyreport.study import load_study

    study = load_study(ROOT / "config", name, {}, ROOT / "workflow" / "schemas")
    config, book = study.config, load_codebook(study.codebook)
    frame = clean(read_export(ROOT / config["export"], book, config["export_format"]), config["cleaning"], book)["respondents"]
    frame = assign_tiers(frame, config["tiers"], book)
    return study, Results(crosstab(frame, book, config["tiers"], config["statistics"]), book, frame)


@pytest.fixture(scope="module", params=["sales-training-2012", "onboarding-2025"])
def study(request):
    return study_results(request.param)


def drawn_texts(fig):
    """Each visible, non-empty text of a drawn figure (tick labels, value labels, legend) and its box."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    texts = fig.findobj(lambda a: isinstance(a, Text) and a.get_visible() and a.get_text().strip() != "")
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts]


def collisions(fig) -> list[str]:
    """Texts that overlap one another or reach past the figure's edge."""
    texts, page = drawn_texts(fig), fig.bbox
    problems = [f"{a!r} overlaps {b!r}" for i, (a, box) in enumerate(texts) for b, other in texts[i + 1 :] if box.overlaps(other)]
    problems += [
        f"{text!r} is cut off by the figure"
        for text, box in texts
        if box.x0 < page.x0 or box.y0 < page.y0 or box.x1 > page.x1 or box.y1 > page.y1
    ]
    return problems


def answers_drawn(exhibit, results) -> int:
    """The answers an exhibit's chart shows (all its panels' together)."""
    if "panels" in exhibit:
        return sum(len(results.ranking(p["question"])[: exhibit["top"]]) for p in exhibit["panels"])
    return len(exhibit_shares(exhibit, results))


@pytest.mark.parametrize("layout", ["print", "phone"])
def test_no_text_of_any_chart_collides_or_is_cut_off(study, layout):
    import matplotlib.pyplot as plt

    study, results = study
    style = {**study.report["style"], "min_base": study.config["statistics"]["min_base"]}
    charts.apply_style(style, ROOT / "report" / "fonts")
    style = charts.phone(style) if layout == "phone" else style
    for exhibit in study.report["exhibits"]:
        fig = charts.draw_exhibit(exhibit, results, style, study.config["tiers"]["levels"])
        assert fig.get_figwidth() == (charts.PHONE_WIDTH_IN if layout == "phone" else charts.WIDTH_IN)
        texts = drawn_texts(fig)
        assert len(texts) > answers_drawn(exhibit, results), exhibit["id"]  # labels and values both drawn
        assert collisions(fig) == [], exhibit["id"]
        if exhibit["by"] == "tier":  # the legend, in one row or several, reads in the tiers' order
            legend = (fig.legends or [fig.axes[0].get_legend()])[0]
            legend = sorted(legend.get_texts(), key=lambda t: (-round(t.get_window_extent().y0), t.get_window_extent().x0))
            assert [t.get_text().split(" (n=")[0] for t in legend] == [tier["label"] for tier in study.config["tiers"]["levels"]]
        plt.close(fig)


def test_the_collision_check_sees_a_wrapped_label_running_into_the_next():
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(4, 2))
    ax = fig.add_axes((0.5, 0.25, 0.45, 0.5), xticks=[], ylim=(0, 4))  # rows a quarter inch apart, 2 inches for labels
    ax.set_yticks([1.5, 2.5], ["Define the strategy\nand goals\nand metrics", "Agree"])
    assert collisions(fig) == ["'Define the strategy\\nand goals\\nand metrics' overlaps 'Agree'"]
    ax.set_yticks([1.5, 2.5], ["Short", "A label far wider than the left margin"])
    assert collisions(fig) == ["'A label far wider than the left margin' is cut off by the figure"]
    plt.close(fig)


@pytest.mark.parametrize(
    ("by", "decimals", "expected"),
    [
        ("total", 1, {"55.6%", "22.2%", "77.8%"}),  # games 5, mobile 2, other 7 of 9
        ("total", 0, {"56%", "22%", "78%"}),
        ("tier", 1, {"33.3%", "100%"}),  # Rest games 2 of 6; Top games 3 of 3, a base under 5: whole percent
        ("tier", 0, {"33%", "100%"}),
    ],
)
def test_decimals_print_as_the_text_does_where_the_base_allows(results, tiers, by, decimals, expected):
    exhibit = {"id": "tools", "question": "tools", "by": by, "decimals": decimals}
    fig = charts.draw_exhibit(exhibit, results, {**STYLE, "min_base": 5}, tiers["levels"])
    printed = {text for text, _ in drawn_texts(fig)}
    assert expected <= printed and "100.0%" not in printed


def test_hatching_lies_over_a_solid_bar_of_the_same_colour(results, tiers):
    """A hatch pattern's tiles leave hairline seams where they meet; a solid bar beneath hides them."""
    from matplotlib.colors import to_rgba

    fig = charts.draw_exhibit({"id": "tools", "question": "tools", "by": "tier"}, results, STYLE, tiers["levels"])
    bars = fig.axes[0].patches
    hatched = [b for b in bars if b.get_hatch()]
    solid = {(b.get_y(), b.get_width()): b.get_facecolor() for b in bars if not b.get_hatch()}
    assert len(hatched) == 3 and len(solid) == 6  # the Rest tier's three answers hatched, all six bars solid
    for bar in hatched:
        assert bar.get_facecolor()[3] == 0 and solid[(bar.get_y(), bar.get_width())] == to_rgba(STYLE["palette"]["rest"])


@pytest.mark.parametrize(("count", "columns", "order"), [(4, 4, [0, 1, 2, 3]), (4, 2, [0, 2, 1, 3]), (5, 3, [0, 3, 1, 4, 2])])
def test_legend_entries_read_row_by_row(count, columns, order):
    assert charts._reading_order(count, columns) == order


# ----------------------------------------------------------------------------- small multiples (panels)

PANELS = {
    "id": "compared",
    "panels": [{"question": "tools", "title": "Tools planned"}, {"question": "role", "title": "Role"}],
    "top": 2,
    "by": "tier",
}


def panel_texts(fig):
    return [text for text, _ in drawn_texts(fig)]


def test_panels_show_each_questions_top_answers_by_tier_on_one_scale(results, tiers, tmp_path):
    import matplotlib.pyplot as plt

    fig = charts.draw_exhibit(PANELS, results, STYLE, tiers["levels"])
    tools, role = fig.axes
    # the two answers ticked most, "Other" (7 of 9) left out: games (5), then mobile (2)
    assert [t.get_text() for t in tools.get_yticklabels()] == ["Games", "Mobile"]
    assert [t.get_text() for t in role.get_yticklabels()] == ["Lead", "Not responsible"]
    texts = panel_texts(fig)
    assert {"Tools planned (n=9)", "Role (n=9)", "Top", "Rest"} <= set(texts)
    assert {"100%", "33%", "0%"} <= set(texts)  # games 3 of 3 top, 2 of 6 rest; mobile 0 of 3 top
    assert tools.get_xlim() == role.get_xlim() and tools.get_xlim()[0] == 0  # one scale, from zero
    assert tools.get_position().y0 == role.get_position().y0 and tools.get_position().x0 < role.get_position().x0
    hatched = [b for b in tools.patches if b.get_hatch()]
    assert len(hatched) == 2 and len(tools.patches) == 6  # the Rest tier's two answers hatched over its solid bars
    assert collisions(fig) == []
    plt.close(fig)
    phone = charts.draw_exhibit(PANELS, results, charts.phone(STYLE), tiers["levels"])
    tools, role = phone.axes  # one above the other
    assert tools.get_position().x0 == role.get_position().x0 and tools.get_position().y0 > role.get_position().y1
    assert collisions(phone) == [] and phone.get_figwidth() == charts.PHONE_WIDTH_IN
    plt.close(phone)
    paths = [tmp_path / "a.svg", tmp_path / "b.svg"]
    for path in paths:
        charts.save_svg(charts.draw_exhibit(PANELS, results, STYLE, tiers["levels"]), path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_panels_by_total_draw_the_totals_bar_alone(results, tiers):
    import matplotlib.pyplot as plt

    fig = charts.draw_exhibit({**PANELS, "by": "total", "top": 3}, results, STYLE, tiers["levels"])
    tools = fig.axes[0]
    assert [t.get_text() for t in tools.get_yticklabels()] == ["Games", "Mobile"]  # "Other" is never among the top
    assert {"56%", "22%", "Total"} <= set(panel_texts(fig)) and "Top" not in panel_texts(fig)
    assert len(tools.patches) == 2
    plt.close(fig)


def test_a_long_panel_title_and_label_wrap_within_the_panel(codebook, tiers):
    """Wrapped by their drawn width: nothing runs into the next panel or past the figure, on a phone too."""
    import matplotlib.pyplot as plt

    long = "A title long enough to need two lines or more in a panel half the page wide, or a phone's"
    exhibit = {**PANELS, "panels": [{"question": "tools", "title": long}, {"question": "tools", "title": long}]}
    rows = [("high", {"games"})] * 3 + [("mid", {"mobile"})] * 2
    frame = assign_tiers(answers(rows, codebook), tiers, codebook)
    results = Results(crosstab(frame, codebook, tiers, STATISTICS), codebook, frame)
    for style in (STYLE, charts.phone(STYLE)):
        fig = charts.draw_exhibit(exhibit, results, style, tiers["levels"])
        titles = [text for text in panel_texts(fig) if text.startswith("A title")]
        assert len(titles) == 2 and all("\n" in t for t in titles)
        assert collisions(fig) == []
        plt.close(fig)


def edited_study(tmp_path, change):
    """A copy of the first study's folder with its report.yaml changed."""
    import shutil

    import yaml

    root = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "sales-training-2012", root / "study")
    path = root / "study" / "report.yaml"
    report = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(e for e in report["exhibits"] if "panels" in e), report)
    path.write_text(yaml.safe_dump(report, sort_keys=False), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e, r: e.update(question="tools"), "exhibits[13]: names both a question and panels; an exhibit charts one"),
        (lambda e, r: e["panels"][1].update(question="comment"), "exhibits[13].panels[1].question: 'comment' is an open question"),
        (lambda e, r: e["panels"][0].update(question="tols"), "exhibits[13].panels[0].question: 'tols' is not a question"),
        (lambda e, r: e.update(compare=["very_effective", "poor"]), "exhibits[13].compare: 'poor' is not a tier (effective, ineffective"),
        (lambda e, r: e.update(compare=["ineffective", "ineffective"]), "exhibits[13].compare: names 'ineffective' twice"),
        (lambda e, r: e.update(by="total"), "exhibits[13].compare: the tiers are compared only in an exhibit by: tier"),
        (lambda e, r: e.pop("top"), "exhibits[13]: 'top' is a dependency of 'panels'"),
        (lambda e, r: r["exhibits"][0].update(top=3), "exhibits[0]: 'panels' is a dependency of 'top'"),
        (lambda e, r: e.pop("panels"), "exhibits[13]: 'panels' is a dependency of 'top'"),
        (lambda e, r: [e.pop(k) for k in ("panels", "top", "compare")], "exhibits[13]: names no question; an exhibit charts one"),
    ],
)  # fmt: skip
def test_a_panel_exhibit_names_choice_questions_and_tiers_that_exist(tmp_path, change, message):
    from surveyreport.errors import SurveyError
    from surveyreport.study import load_study

    root = edited_study(tmp_path, change)
    with pytest.raises(SurveyError) as error:
        load_study(root, "study", {}, ROOT / "workflow" / "schemas")
    assert message in str(error.value)
