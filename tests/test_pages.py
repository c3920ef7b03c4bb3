"""Pages earned with content: how much of each page is left blank below its last line.

Each page is rendered to a grey image (poppler's ``pdftoppm``); within the text area (the page
less the margins of ``@page`` in report/style.css, where the running header and footer sit),
the blank fraction is the part below the lowest row holding ink. A chapter's last page (the page
before a chapter that starts at the top of a page, per the PDF outline, or the report's last
page) may end early; no other page may, and the pages after the cover must be full on average.
"""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from .conftest import RESULTS, ROOT

pytestmark = pytest.mark.e2e

DPI = 40
INK = 200  # a pixel darker than this (0 black, 255 white) is ink
MOST_BLANK = 0.40  # of any page but a chapter's last
MEAN_BLANK = 0.15  # over the pages after the cover
# The second study (generic layout, 7 pages): its summary starts on the contents page, 9% blank on average and
# no page over 28% but a chapter's last (its contents page was 68% blank when the summary started a page).
SECOND = "onboarding-2025"
SECOND_MOST_BLANK = 0.35
SECOND_MEAN_BLANK = 0.12


def page_margins(css: str) -> tuple[float, float]:
    """The top and bottom margins (inches) of the first ``@page`` rule: where the running header and footer sit."""
    rule = re.search(r"@page\s*\{[^}]*?margin:\s*([^;]+);", css)
    sizes = [float(v.removesuffix("in")) for v in rule.group(1).split()]
    return sizes[0], sizes[2] if len(sizes) > 2 else sizes[0]


def page_images(pdf: Path, folder: Path) -> list[np.ndarray]:
    """Every page as a grey image at DPI dots per inch."""
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", str(pdf), str(folder / "page")], check=True)
    return [read_pgm(path) for path in sorted(folder.glob("page-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))]


def read_pgm(path: Path) -> np.ndarray:
    """A binary (P5) PGM file as an array of rows."""
    data = path.read_bytes()
    magic, width, height, maxval, pixels = re.match(rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S).groups()
    return np.frombuffer(pixels, dtype=np.uint8, count=int(width) * int(height)).reshape(int(height), int(width))


def blank_fraction(image: np.ndarray, top: float, bottom: float) -> float:
    """The share of the text area (``top`` and ``bottom`` inches of margin left out) below its last row of ink."""
    area = image[round(top * DPI) : image.shape[0] - round(bottom * DPI)]
    inked = np.flatnonzero((area < INK).any(axis=1))
    last = inked[-1] + 1 if inked.size else 0
    return (area.shape[0] - last) / area.shape[0]


def chapter_ends(pdf: Path, top_margin: float) -> set[int]:
    """Pages (1-based) that end a chapter: the page before a level-1 outline entry at the top of a page, and the last page."""
    reader = PdfReader(pdf)
    ends = {len(reader.pages)}
    starts = []
    for item in reader.outline:
        if isinstance(item, list):
            continue
        page = reader.get_destination_page_number(item)
        height = float(reader.pages[page].mediabox.height)
        starts.append(page + 1)
        at_top = item.top is None or height - float(item.top) <= (top_margin + 0.3) * 72
        if at_top and page > 0:
            ends.add(page)
    first = min(starts, default=1)
    return {page for page in ends if page >= first}


def measure(pdf: Path, tmp: Path) -> tuple[list[float], set[int]]:
    """Each page's blank fraction, and the pages that end a chapter."""
    top, bottom = page_margins((ROOT / "report" / "style.css").read_text())
    blanks = [blank_fraction(image, top, bottom) for image in page_images(pdf, tmp)]
    return blanks, chapter_ends(pdf, top)


def verdict(blanks: list[float], ends: set[int], most: float = MOST_BLANK) -> tuple[float, list[int], str]:
    """The mean blank fraction after the cover, the pages over the limit ``most``, and a table of every page."""
    mean = float(np.mean(blanks[1:]))
    over = [i for i, b in enumerate(blanks, 1) if i > 1 and b > most and i not in ends]
    rows = [
        f"p{i}: {b:.0%}{' (chapter end)' if i in ends else ''}{' OVER' if i in over else ''}" for i, b in enumerate(blanks, 1)
    ]
    return mean, over, f"mean blank after the cover {mean:.1%}; " + ", ".join(rows)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pages_are_filled_with_content_not_breaks(build, tmp_path):
    blanks, ends = measure(build / RESULTS / "report.pdf", tmp_path)
    mean, over, table = verdict(blanks, ends)
    assert mean <= MEAN_BLANK and not over, table


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_second_studys_summary_starts_on_its_contents_page(two_studies, tmp_path):
    """Short contents leave the rest of their page to the summary: no page is left mostly blank before it."""
    pdf = two_studies / "results" / SECOND / "report.pdf"
    blanks, ends = measure(pdf, tmp_path)
    mean, over, table = verdict(blanks, ends, SECOND_MOST_BLANK)
    assert mean <= SECOND_MEAN_BLANK and not over and blanks[1] <= SECOND_MOST_BLANK, table
    outline = PdfReader(pdf)
    summary = next(item for item in outline.outline if not isinstance(item, list) and item.title == "Summary")
    assert outline.get_destination_page_number(summary) == 1, table  # page 2, the contents page


def test_the_measure_sees_a_blank_lower_half_and_ignores_the_bands():
    image = np.full((11 * DPI, 8 * DPI), 255, dtype=np.uint8)
    image[5, :] = 0  # the running header's rule, in the top margin
    image[-5, :] = 0  # the footer
    assert blank_fraction(image, 1, 1) == 1.0
    image[DPI : DPI + 4 * DPI + DPI // 2, 10] = 0  # ink down to the middle of the 9-inch text area
    assert blank_fraction(image, 1, 1) == pytest.approx(0.5)
    mean, over, table = verdict([1.0, 0.5, 0.1, 0.9], {4})
    assert over == [2] and mean == pytest.approx(0.5) and "p4: 90% (chapter end)" in table
