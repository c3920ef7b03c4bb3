"""The report's PDF, laid out by WeasyPrint from the HTML and the report's own assets.

WeasyPrint reads only those assets, through a fetcher that refuses every other URL; any
error it logs, and any link to a local file or an attachment, fails the render.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import os
from pathlib import Path

from .atomic import write_atomically
from .errors import SurveyError

ASSET_BASE = "https://report-assets.invalid/"


def _asset_fetcher(assets: dict[str, Path]):
    """A WeasyPrint fetcher serving only the given virtual paths; every other URL is refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            name = url.removeprefix(ASSET_BASE)
            if not url.startswith(ASSET_BASE) or name not in assets:
                raise ValueError(f"refused to fetch {url!r}: not one of the report's assets")
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, assets[name].read_bytes(), {"Content-Type": media_type})

    return AssetFetcher()


class _ErrorCollector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


LINK_SCHEMES = ("http://", "https://", "mailto:")


def refused_links(document) -> list[str]:
    """Links the PDF must not carry: attachments, and any external link but http(s) and mailto."""
    refused = []
    for number, page in enumerate(document.pages, 1):
        for kind, target, *_ in page.links:
            if kind == "attachment" or (kind == "external" and not target.startswith(LINK_SCHEMES)):
                refused.append(f"page {number}: {kind} link to {target[:80]!r}")
    return refused


def write_pdf(html: str, assets: dict[str, Path], out: str | Path, created: dt.datetime) -> int:
    """Render the PDF; fail on any WeasyPrint error (missing asset, refused URL) while laying it out or
    writing it, and on any link to a local file or attachment. Returns the page count."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.replace(tzinfo=dt.UTC).timestamp()))
    collector = _ErrorCollector()
    weasyprint.LOGGER.addHandler(collector)
    fonts = FontConfiguration()
    try:
        source = weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=_asset_fetcher(assets))
        document = source.render(font_config=fonts)
        refused = refused_links(document)
        if refused:
            raise SurveyError(
                "the report links outside itself: " + "; ".join(refused), expected="links within the report or to http(s)"
            )
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    finally:
        weasyprint.LOGGER.removeHandler(collector)
        # The fonts' temporary folder (WeasyPrint copies each @font-face font there), removed now: WeasyPrint
        # removes it when the configuration is collected, which a job's process, ending at once, never does.
        fonts.__del__()
    if collector.messages:
        raise SurveyError("the report did not render cleanly: " + "; ".join(collector.messages))
    write_atomically(out, lambda tmp: Path(tmp).write_bytes(pdf))
    return len(document.pages)
