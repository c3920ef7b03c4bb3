"""The report's HTML twin as one self-contained file: stylesheets inlined, fonts and charts as data URIs."""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path


def self_contained(html: str, assets: dict[str, Path]) -> str:
    """The report as one HTML file: the print stylesheet and, after it, the screen one (``screen.css``)
    inlined; fonts and charts as data URIs."""

    def data_uri(name: str) -> str:
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return f"data:{media_type};base64," + base64.b64encode(assets[name].read_bytes()).decode("ascii")

    css = assets["style.css"].read_text(encoding="utf-8")
    css = re.sub(r"url\((fonts/[^)]+)\)", lambda m: f"url({data_uri(m.group(1))})", css)
    css += "\n" + assets["screen.css"].read_text(encoding="utf-8")
    html = html.replace('<link rel="stylesheet" href="style.css">', f"<style>\n{css}</style>")
    return re.sub(r'src="(charts/[^"]+)"', lambda m: f'src="{data_uri(m.group(1))}"', html)
