"""The report as a reader, a screen reader and a reviewer meet it: structure, accessibility, identical bytes, safety."""

import csv
import hashlib
import os
import re
from pathlib import Path

import pandas as pd
import pikepdf
import pytest
import yaml
from pypdf import PdfReader

from .conftest import LOGS, RESULTS, ROOT, copy_project, pdf_text_of, snakemake

pytestmark = pytest.mark.e2e
CHAPTERS = re.compile(r'<section class="chapter[^"]*" id="[^"]+">\s*<h1>([^<]+)</h1>')


def structure_elements(pdf, kind):
    found = []

    def walk(node):
        if isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == kind:
                found.append(node)
            kids = node.get("/K")
            if kids is not None:
                walk(kids)
        elif isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)

    walk(pdf.Root.StructTreeRoot)
    return found


@pytest.fixture(scope="module")
def pdf(build):
    with pikepdf.open(build / RESULTS / "report.pdf") as document:
        yield document


def test_title_language_and_tags(build, pdf):
    config = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "config.yaml").read_text())
    assert PdfReader(build / RESULTS / "report.pdf").metadata.title == config["about"]["title"]
    assert str(pdf.Root.Lang) == "en"
    assert bool(pdf.Root.MarkInfo.Marked)
    assert len(structure_elements(pdf, "/Table")) >= 16
    assert structure_elements(pdf, "/TH")


def test_every_figure_has_alt_text_from_its_data(pdf):
    exhibits = yaml.safe_load((ROOT / "config" / "sales-training-2012" / "report.yaml").read_text())["exhibits"]
    figures = structure_elements(pdf, "/Figure")
    assert len(figures) == len(exhibits)
    for figure in figures:
        alt = str(figure.get("/Alt", ""))
        assert alt.startswith("Bar chart") and re.search(r"\d+%", alt), alt


def test_every_font_is_embedded_as_a_subset_made_by_harfbuzz(build, pdf):
    fonts = 0
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font
            assert re.match(r"/[A-Z]{6}\+", str(font.BaseFont)), font.BaseFont
            fonts += 1
    assert fonts
    # WeasyPrint warns when it falls back to fontTools (slower, other bytes): `make system` installs HarfBuzz's.
    assert "instead of HarfBuzz-Subset" not in (build / LOGS / "render.log").read_text()


def test_outline_mirrors_the_chapters_and_contents_pages_are_right(build):
    reader = PdfReader(build / RESULTS / "report.pdf")
    study = (ROOT / "config" / "sales-training-2012" / "report.html.j2").read_text()
    layout = (ROOT / "report" / "layout.html.j2").read_text()
    after_the_study_chapters = layout.split("{% block chapters %}")[1].split("{% endblock %}", 1)[1]
    chapters = [" ".join(title.split()) for title in CHAPTERS.findall(study + after_the_study_chapters)]
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == chapters
    pages = {item.title: reader.get_destination_page_number(item) + 1 for item in top}
    contents = " ".join((reader.pages[1].extract_text() or "").split())
    for title, page in pages.items():
        assert re.search(re.escape(title) + r"[ .]*" + str(page) + r"\b", contents), (title, page, contents)
        assert title in (reader.pages[page - 1].extract_text() or "")


def test_html_is_self_contained(build):
    html = (build / RESULTS / "report.html").read_text()
    references = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    assert references
    assert all(ref.startswith(("data:", "#")) for ref in references), [
        r[:40] for r in references if not r.startswith(("data:", "#"))
    ]


def hashes(workdir):
    """Every file under results/, the published ones through their link."""
    results = workdir / "results"
    return {
        str(path.relative_to(results)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder, _, names in os.walk(results, followlinks=True)
        for path in map(Path(folder).joinpath, names)
    }


def test_two_builds_in_two_directories_are_byte_identical(build, tmp_path):
    other = copy_project(tmp_path / "elsewhere")
    run = snakemake(other)
    assert run.returncode == 0, run.stderr[-2000:]
    first, second = hashes(build), hashes(other)
    assert "sales-training-2012/report.pdf" in first and len(first) > 20
    assert first == second


HOSTILE = [
    "<b>bold?</b> <script>alert('x')</script>",
    "<style>body { display: none }</style> styled?",
    '<img src="http://192.0.2.1/pixel.png"> image?',
    '<a rel="attachment" href="file:///etc/passwd">attached?</a>',
    "background: url(file:///etc/passwd) css?",
    "x" * 3000,
]


def plant_comments(export, kept_ids):
    with open(export, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    comment, response = header.index("Q16"), header.index("ResponseId")
    targets = [row for row in rows[3:] if row[response] in kept_ids and row[comment]][: len(HOSTILE)]
    for row, text in zip(targets, HOSTILE):
        row[comment] = text
    with open(export, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


@pytest.mark.long
def test_hostile_comments_are_shown_as_text_and_fetch_or_attach_nothing(build, tmp_path):
    workdir = copy_project(tmp_path / "hostile")
    dispositions = pd.read_csv(build / RESULTS / "clean" / "dispositions.csv")
    plant_comments(
        workdir / "data/raw/sales_training_2012_qualtrics.csv",
        set(dispositions.loc[dispositions.disposition == "kept", "response_id"]),
    )
    run = snakemake(workdir)
    assert run.returncode == 0, run.stderr[-2000:]  # a refused fetch or any WeasyPrint error fails the build
    pdf_path = workdir / RESULTS / "report.pdf"
    text = pdf_text_of(pdf_path)
    # the web address of the pixel is also redacted at ingest, as any URL typed into an answer
    for shown in (
        "<script>alert('x')</script>",
        "<style>body { display: none }</style>",
        '<img src="[URL removed]">',
        'href="file:///etc/passwd">attached?</a>',
        "url(file:///etc/passwd) css?",
    ):
        assert shown in text
    assert len(PdfReader(pdf_path).pages) == 21
    assert "x" * 300 in text.replace(" ", "") and "x" * 500 not in text.replace(" ", "")  # shortened, marked
    with pikepdf.open(pdf_path) as pdf:
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        for page in pdf.pages:
            for annotation in page.get("/Annots", []):
                assert annotation.get("/Subtype") != "/FileAttachment"
    html = (workdir / RESULTS / "report.html").read_text()
    assert "&lt;script&gt;" in html and "<script>" not in html
