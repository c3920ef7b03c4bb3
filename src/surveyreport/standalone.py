"""The report's HTML twin as one self-contained page a browser shows as the PDF prints it.

The stylesheets are inlined and the fonts are data URIs; the charts are inline SVG, so that their text is
set in the report's fonts (an SVG in an ``<img>`` cannot use the page's ``@font-face``), each beside its
phone layout where the charts stage drew one (``<exhibit>.phone.svg``: narrower, so that a phone does not
scale its text down; the screen stylesheet shows one of the two by the screen's width); the numbers the
print stylesheet generates with ``target-counter()``, which browsers do not support, are written out
("Figure 3"); and each table scrolls within its own box on a narrow screen.
"""

from __future__ import annotations

import base64
import html as entities
import mimetypes
import re
import xml.etree.ElementTree as ET
from pathlib import Path

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
STYLESHEET = '<link rel="stylesheet" href="style.css">'
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
FIGURE = re.compile(r'<figure class="exhibit" id="([^"]+)">')
CHART = re.compile(r'<img src="(?P<src>charts/[^"]+\.svg)"(?: alt="(?P<alt>[^"]*)")?>')


def self_contained(html: str, assets: dict[str, Path]) -> str:
    """The report as one HTML file: the print stylesheet and, after it, the screen one (``screen.css``)
    inlined; fonts as data URIs; the charts inline; figures and cross-references numbered; tables scrollable."""

    def data_uri(name: str) -> str:
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return f"data:{media_type};base64," + base64.b64encode(assets[name].read_bytes()).decode("ascii")

    def chart(match: re.Match) -> str:
        src, alt = match["src"], entities.unescape(match["alt"] or "")
        stem, phone = Path(src).stem, src.removesuffix(".svg") + ".phone.svg"
        if phone not in assets:
            return inline_svg(assets[src].read_bytes(), f"chart-{stem}-", alt)
        wide = inline_svg(assets[src].read_bytes(), f"chart-{stem}-", alt, "wide")
        return wide + inline_svg(assets[phone].read_bytes(), f"chart-{stem}-phone-", alt, "phone")

    css = assets["style.css"].read_text(encoding="utf-8")
    css = re.sub(r"url\((fonts/[^)]+)\)", lambda m: f"url({data_uri(m.group(1))})", css)
    css += "\n" + assets["screen.css"].read_text(encoding="utf-8")
    html = html.replace(STYLESHEET, f"{VIEWPORT}\n<style>\n{css}</style>")
    html = CHART.sub(chart, html)
    return scrollable_tables(numbered(html))


def inline_svg(svg: bytes, prefix: str, label: str, layout: str = "") -> str:
    """A chart's SVG as markup to put in the page, one image labelled ``label``: every id in it prefixed with
    ``prefix`` (and every reference to one), so that no two charts share an id (matplotlib names its
    groups, clip paths and patterns alike in every chart); its stylesheet applying to it alone; its
    metadata left out. ``layout`` (``wide`` or ``phone``) is its class: the screen stylesheet shows one of a
    chart's two layouts, by the screen's width."""
    root = ET.fromstring(svg)
    ids = {element.get("id") for element in root.iter() if element.get("id")}

    def reference(value: str) -> str:
        return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})" if m[1] in ids else m[0], value)

    for metadata in root.findall(f"{SVG}metadata"):
        root.remove(metadata)
    for element in root.iter():
        element.tag = element.tag.removeprefix(SVG)  # in HTML an <svg> is in the SVG namespace by itself
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, prefix + value)
            elif name in (XLINK_HREF, "href"):
                del element.attrib[name]
                element.set("href", f"#{prefix}{value[1:]}" if value.startswith("#") and value[1:] in ids else value)
            elif "url(#" in value:
                element.set(name, reference(value))
    root.set("id", prefix + "svg")
    if layout:
        root.set("class", layout)
    for style in root.iter("style"):
        style.text = f"#{prefix}svg {{ {reference(style.text or '')} }}"  # nested: the rules apply inside this chart
    root.set("role", "img")
    root.set("aria-label", label)
    return ET.tostring(root, encoding="unicode")


def numbered(html: str) -> str:
    """The figures numbered in their captions ("Figure 3. ") and each cross-reference to one by its number
    ("Figure 3"), as the print stylesheet's counters number them."""
    numbers = {id: number for number, id in enumerate(FIGURE.findall(html), 1)}
    html = re.sub(
        FIGURE.pattern + r'(\s*<figcaption>\s*<span class="headline[^"]*">)',
        lambda m: f'{m[0]}<span class="number">Figure {numbers[m[1]]}. </span>',
        html,
    )
    return re.sub(
        r'<a class="xref" href="#([^"]+)">Figure</a>',
        lambda m: f'<a class="xref" href="#{m[1]}">Figure {numbers[m[1]]}</a>' if m[1] in numbers else m[0],
        html,
    )


def scrollable_tables(html: str) -> str:
    """Each table in a box that scrolls sideways where the table is wider than the screen, which a keyboard
    can reach and a screen reader names by the table's caption."""

    def box(match: re.Match) -> str:
        caption = re.search(r"<caption>(.*?)</caption>", match[0], re.S)
        name = " ".join(entities.unescape(re.sub(r"<[^>]+>", "", caption[1])).split()) if caption else "Table"
        return f'<div class="scroll" role="region" tabindex="0" aria-label="{entities.escape(name)}">{match[0]}</div>'

    return re.sub(r"<table\b.*?</table>", box, html, flags=re.S)
