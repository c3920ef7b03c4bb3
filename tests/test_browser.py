"""The HTML twin (report.html) as a reader sees it in a browser, and how it is made (surveyreport.standalone).

The browser tests open the shipped study's report.html in Debian's chromium, driven by Playwright, at a
desktop width and as a phone, and run axe-core's accessibility rules in it (installed from npm by `make test`).
Without chromium or Playwright they are skipped, saying which is missing.
"""

import re
import shutil
from io import BytesIO

import pytest

from surveyreport.standalone import inline_svg, numbered, scrollable_tables, self_contained

from .conftest import RESULTS, ROOT

CHROMIUM = shutil.which("chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1280, "phone": 390}


# ----------------------------------------------------------------------------- how the twin is made

CHART = b"""<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" height="5pt" viewBox="0 0 10 5" xmlns="http://www.w3.org/2000/svg">
<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
<defs><style type="text/css">*{stroke-linejoin: round}</style><clipPath id="p1"><rect width="1"/></clipPath><pattern id="h1"/></defs>
<g id="patch_1" clip-path="url(#p1)" style="fill: url(#h1); stroke: url(#elsewhere)"><use xlink:href="#patch_1"/></g>
<text style="font-family: 'Lato'">Weekly</text></svg>"""


def test_a_chart_inline_has_its_own_ids_its_own_stylesheet_and_one_label():
    assert inline_svg(CHART, "chart-a-", 'Bar chart: "weekly" 25% & more') == (
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5" id="chart-a-svg" role="img" '
        'aria-label="Bar chart: &quot;weekly&quot; 25% &amp; more">\n'
        '<defs><style type="text/css">#chart-a-svg { *{stroke-linejoin: round} }</style>'
        '<clipPath id="chart-a-p1"><rect width="1" /></clipPath><pattern id="chart-a-h1" /></defs>\n'
        '<g id="chart-a-patch_1" clip-path="url(#chart-a-p1)" style="fill: url(#chart-a-h1); stroke: url(#elsewhere)">'
        '<use href="#chart-a-patch_1" /></g>\n'
        "<text style=\"font-family: 'Lato'\">Weekly</text></svg>"
    )


def test_two_charts_of_one_page_share_no_id(tmp_path):
    (tmp_path / "style.css").write_text("")
    (tmp_path / "screen.css").write_text("")
    (tmp_path / "chart.svg").write_bytes(CHART)
    assets = {"style.css": tmp_path / "style.css", "screen.css": tmp_path / "screen.css"}
    assets |= {"charts/a.svg": tmp_path / "chart.svg", "charts/b.svg": tmp_path / "chart.svg"}
    html = self_contained('<img src="charts/a.svg" alt="A &amp; B"><img src="charts/b.svg" alt="B">', assets)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == 8 and len(set(ids)) == len(ids), ids
    assert '<svg width="10pt" height="5pt" viewBox="0 0 10 5" id="chart-a-svg" role="img" aria-label="A &amp; B">' in html


def test_a_charts_phone_layout_is_inlined_beside_it_with_ids_of_its_own(tmp_path):
    (tmp_path / "style.css").write_text("")
    (tmp_path / "screen.css").write_text("")
    (tmp_path / "chart.svg").write_bytes(CHART)
    assets = {"style.css": tmp_path / "style.css", "screen.css": tmp_path / "screen.css"}
    assets |= {
        "charts/a.svg": tmp_path / "chart.svg",
        "charts/a.phone.svg": tmp_path / "chart.svg",
        "charts/b.svg": tmp_path / "chart.svg",
    }
    html = self_contained('<img src="charts/a.svg" alt="A"><img src="charts/b.svg" alt="B">', assets)
    svgs = re.findall(r"<svg [^>]*>", html)
    assert svgs == [
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5" id="chart-a-svg" class="wide" role="img" aria-label="A">',
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5" id="chart-a-phone-svg" class="phone" role="img" aria-label="A">',
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5" id="chart-b-svg" role="img" aria-label="B">',  # no phone layout
    ]
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == 12 and len(set(ids)) == len(ids), ids


FIGURE = '<figure class="exhibit" id="fig-{}">\n  <figcaption>\n    <span class="headline{}">{}</span>'


def test_figures_and_cross_references_are_numbered_in_the_page():
    html = (
        '<p>(<a class="xref" href="#fig-b">Figure</a>, <a class="xref" href="#fig-gone">Figure</a>)</p>'
        + FIGURE.format("a", "", "First")
        + FIGURE.format("b", " unsupported", "<b>Not supported by the data:</b> Second")
    )
    assert numbered(html) == (
        '<p>(<a class="xref" href="#fig-b">Figure 2</a>, <a class="xref" href="#fig-gone">Figure</a>)</p>'
        + FIGURE.format("a", "", '<span class="number">Figure 1. </span>First')
        + FIGURE.format("b", " unsupported", '<span class="number">Figure 2. </span><b>Not supported by the data:</b> Second')
    )


def test_each_table_scrolls_in_a_box_named_by_its_caption():
    table = '<table class="a">\n<caption>Role &amp; <b>size</b>\n  “now”</caption><tr><td>1</td></tr></table>'
    assert scrollable_tables(f"<p>x</p>{table}<table></table>") == (
        f'<p>x</p><div class="scroll" role="region" tabindex="0" aria-label="Role &amp; size “now”">{table}</div>'
        '<div class="scroll" role="region" tabindex="0" aria-label="Table"><table></table></div>'
    )


# ----------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (not a browser Playwright downloads), closed when the module's tests end."""
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip: playwright)")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; `make test` installs it)")
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", params=WIDTHS)
def page(request, browser):
    """The built report.html at a desktop width or as a phone."""
    build = request.getfixturevalue("build")  # once the browser is there: without one nothing is built
    phone = request.param == "phone"
    page = browser.new_page(viewport={"width": WIDTHS[request.param], "height": 900}, is_mobile=phone, has_touch=phone)
    page.goto((build / RESULTS / "report.html").as_uri())
    page.evaluate("document.fonts.ready")
    yield page
    page.close()


def in_browser(test):
    """A test of the built report in chromium: slow (it needs the study built), left out of `make check`."""
    return pytest.mark.e2e(pytest.mark.browser(test))


def report_families():
    """The font families the report's stylesheet declares (@font-face)."""
    style = (ROOT / "report" / "style.css").read_text()
    return {name.strip().strip("'\"") for name in re.findall(r"@font-face\s*\{[^}]*font-family:\s*([^;]+);", style)}


def luminance(rgb):
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


COVER_COLOURS = """() => {
  const rgb = (css) => css.match(/[\\d.]+/g).map(Number);
  const background = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('.cover *')]
    .filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .map((e) => ({text: e.textContent.trim().slice(0, 40), colour: rgb(getComputedStyle(e).color).slice(0, 3),
                  background: background(e)}));
}"""


@in_browser
def test_the_cover_text_shows_on_its_background(page, tmp_path):
    from PIL import Image

    texts = page.evaluate(COVER_COLOURS)
    assert len(texts) >= 4, texts
    for text in texts:
        assert contrast(text["colour"], text["background"]) >= 4.5, text  # WCAG AA for body text
    # and on the screenshot: the cover shows both its background and its text's colour
    shot = Image.open(BytesIO(page.locator(".cover").screenshot(path=tmp_path / "cover.png"))).convert("RGB")
    colours = {colour: n for n, colour in shot.getcolors(shot.width * shot.height)}
    area, first = shot.width * shot.height, texts[0]
    assert colours.get(tuple(first["background"]), 0) > area / 2, "the cover's background is not what the screen shows"
    assert colours.get(tuple(first["colour"]), 0) > area / 100, "the cover's text does not show on the screenshot"


@in_browser
def test_nothing_is_wider_than_the_screen_and_wide_tables_scroll_in_their_box(page, tmp_path):
    from PIL import Image

    width = page.viewport_size["width"]
    shot = Image.open(BytesIO(page.screenshot(path=tmp_path / "report.png", full_page=True)))
    assert shot.width == width  # the whole page's screenshot is as wide as the screen
    assert page.evaluate("innerWidth") == width  # as a phone too: the page asks for the device's width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    boxes = page.evaluate("[...document.querySelectorAll('table')].map(t => t.parentElement.className)")
    assert boxes and set(boxes) == {"scroll"}
    if width < 500:  # the appendix's tables are wider than a phone: they scroll, not the page
        assert page.evaluate("[...document.querySelectorAll('.scroll')].some(b => b.scrollWidth > b.clientWidth)")


@in_browser
def test_every_font_is_loaded_and_every_text_is_set_in_the_reports_fonts(page):
    faces = page.evaluate(  # every face the stylesheet declares, used or not
        "Promise.allSettled([...document.fonts].map(f => f.load()))"
        ".then(() => [...document.fonts].map(f => [f.family.replace(/[\"']/g, ''), f.status]))"
    )
    assert faces and {family for family, _ in faces} == report_families()
    assert {status for _, status in faces} == {"loaded"}, faces
    # the fonts the browser drew each element's text with, the charts' labels included: none a system font
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    drawn = set()
    for selector in ("body *", "svg text"):
        for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            drawn |= {(font["postScriptName"], font["isCustomFont"]) for font in fonts}
    cdp.detach()
    assert {"Lato-Regular", "Lato-Bold", "Lato-Black"} <= {name for name, _ in drawn}
    assert all(custom for _, custom in drawn), sorted(drawn)


NUMBERS = """() => {
  const number = (figure) => figure.querySelector('figcaption').textContent.trim().match(/^Figure (\\d+)\\. /)?.[1];
  return {
    figures: [...document.querySelectorAll('figure.exhibit')].map(number),
    xrefs: [...document.querySelectorAll('a.xref')].map((a) => {
      const target = document.querySelector(a.getAttribute('href'));
      return [a.textContent, target && target.matches('figure.exhibit') ? number(target) : null];
    }),
    contents: [...document.querySelectorAll('.contents a')].map((a) => !!document.querySelector(a.getAttribute('href'))),
    ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
  };
}"""


@in_browser
def test_figures_are_numbered_and_every_cross_reference_and_contents_link_resolves(page):
    found = page.evaluate(NUMBERS)
    assert found["figures"] == [str(n) for n in range(1, len(found["figures"]) + 1)] and len(found["figures"]) >= 5
    assert found["xrefs"] and all(text == f"Figure {number}" for text, number in found["xrefs"]), found["xrefs"]
    assert found["contents"] and all(found["contents"])
    assert len(set(found["ids"])) == len(found["ids"]), "an id is used twice in the page"


CHARTS = """() => [...document.querySelectorAll('figure.exhibit')].map((figure) => {
  const svg = [...figure.querySelectorAll('svg[role=img]')].find((s) => s.getBoundingClientRect().width > 0);
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const clipped = [...svg.querySelectorAll('text')].filter((t) => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1;
  });
  return {label: svg.getAttribute('aria-label'), texts: svg.querySelectorAll('text').length,
          clipped: clipped.map((t) => t.textContent)};
})"""


@in_browser
def test_every_chart_is_inline_labelled_and_none_of_its_text_is_clipped(page):
    charts = page.evaluate(CHARTS)
    assert charts and None not in charts
    for chart in charts:
        assert chart["label"].startswith("Bar chart") and chart["texts"] > 3, chart
        assert chart["clipped"] == [], chart


# Each figure's chart layouts: the one shown, the smallest text it draws (CSS pixels, as rendered), and the smallest
# each layout would draw at this width (its smallest font size scaled from its own width to the figure's).
CHART_TEXT = """() => [...document.querySelectorAll('figure.exhibit')].map((figure) => {
  const layouts = [...figure.querySelectorAll('svg[role=img]')];
  const shown = layouts.filter((svg) => svg.getBoundingClientRect().width > 0);
  const fonts = (svg) => [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize));
  const drawn = shown.flatMap((svg) => [...svg.querySelectorAll('text')].map((t) => {
    const m = t.getScreenCTM();
    return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
  }));
  const width = figure.getBoundingClientRect().width;
  return {id: figure.id, shown: shown.map((svg) => svg.getAttribute('class')), smallest: Math.min(...drawn),
          fitted: Object.fromEntries(layouts.map((svg) => [svg.getAttribute('class'),
                                                           Math.min(...fonts(svg)) * width / svg.viewBox.baseVal.width]))};
})"""
MIN_CHART_TEXT_PX = 9


@in_browser
def test_every_chart_shows_the_layout_of_the_screen_and_its_text_reads_at_9_px_or_more(page):
    phone = page.viewport_size["width"] < 500
    charts = page.evaluate(CHART_TEXT)
    assert charts
    for chart in charts:
        assert chart["shown"] == ["phone" if phone else "wide"], chart
        assert chart["smallest"] >= MIN_CHART_TEXT_PX, chart
        if phone:  # the printed layout, scaled down to a phone's width, would not do
            assert chart["fitted"]["wide"] < MIN_CHART_TEXT_PX <= chart["fitted"]["phone"], chart


@in_browser
def test_axe_finds_no_serious_accessibility_violation(page):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: `make test` installs it from npm (package-lock.json)")
    page.add_script_tag(path=AXE)
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} elements, first {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
