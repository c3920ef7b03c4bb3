"""The report: template context from the computed results, HTML with Jinja2, PDF with WeasyPrint.

Every number the templates print comes from a Results look-up through a
formatting filter; nothing is typed in. WeasyPrint reads only the report's own
assets, through a fetcher that refuses every other URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import mimetypes
import os
import re
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from . import __version__
from .codebook import Codebook
from .crosstab import NO_ANSWER
from .errors import SurveyError
from .formatting import interval, pct, pct1, ratio_ci, setting, times, words
from .ledger import Count, quiet, record, show
from .measures import Results, Share, exhibit_shares, unsupported_claims
from .stats import column_letters
from .tidy import received_order

ASSET_BASE = "https://report-assets.invalid/"


# ----------------------------------------------------------------------------- formatting


def long_date(value: pd.Timestamp | dt.date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def date_range(first: pd.Timestamp, last: pd.Timestamp) -> str:
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B} {first.day}–{last.day}, {first.year}"
    return f"{long_date(first)} – {long_date(last)}"


def cell(share: Share) -> str:
    """An appendix cell: the rounded percentage, or an en dash where nobody gave the answer."""
    return "–" if share.count == 0 else pct(share)


def constant(text: str, why: str) -> str:
    """A number that is a fact of the method, not of the data ("more than 100%")."""
    return record(text, "constant", text, source=why)


def environment(template_dir: str | Path | None = None, codebook: Codebook | None = None) -> jinja2.Environment:
    """Autoescaping, strict templates with the number filters (and ``choice_label`` given a codebook)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)) if template_dir is not None else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=pct, pct1=pct1, times=times, ratio_ci=ratio_ci, words=words, long_date=long_date, setting=setting, constant=constant
    )
    if codebook is not None:
        env.filters["choice_label"] = _choice_label(codebook)
    return env


# ----------------------------------------------------------------------------- context


def _choice_label(codebook: Codebook):
    def label(share: Share) -> str:
        return codebook.question(share.question).choice(share.choices[0]).label

    return label


def appendix_table(question, results: Results, columns: list[tuple[str | None, str, str]]) -> dict:
    """One appendix table: a row per answer (%, interval, letters), a column per banner column, the bases."""
    mine = {column: results.rows(question.id, column).fillna({"higher_than": "", "flag": ""}) for column, _, _ in columns}
    cells_of = {column: dict(zip(rows.index, rows.to_dict("records"))) for column, rows in mine.items()}
    rows = []
    for choice in question.choices:
        cells = []
        for column, _, _ in columns:
            row = cells_of[column][choice.id]
            share = results.share(question.id, choice.id, column)
            empty = share.count == 0
            cells.append(
                {
                    "pct": cell(share),
                    "ci": "" if empty else interval(row["ci_low"], row["ci_high"], share),
                    "sig": row["higher_than"],
                }
            )
        rows.append({"label": choice.label, "cells": cells, "nonsubstantive": choice.nonsubstantive})
    bases = []
    for column, _, _ in columns:
        first = mine[column][mine[column]["kind"] != NO_ANSWER].iloc[0]
        bases.append({"n": results.base(question.id, column), "flag": first["flag"]})
    no_answer = [results.no_answer(question.id, column) for column, _, _ in columns]
    return {"question": question, "rows": rows, "bases": bases, "no_answer": no_answer}


def shorten(text: str, limit: int) -> str:
    """Whitespace folded; past ``limit`` characters cut at a word and marked […]."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut + " […]"


def verbatims(respondents: pd.DataFrame, codebook: Codebook, limit: int, most: int) -> list[dict]:
    """The open-text answers of the valid respondents, per open question, in the order received.

    Past ``most`` answers, a random sample of ``most`` (fixed seed: the same sample every build).
    """
    out = []
    received = respondents.iloc[received_order(respondents)]
    for question in codebook.questions:
        if question.type != "text":
            continue
        answers = received[question.id].dropna()
        answers = [str(a) for a in answers if str(a).strip()]
        total = len(answers)
        if total > most:
            picked = np.sort(np.random.default_rng(0).choice(total, size=most, replace=False))
            answers = [answers[i] for i in picked]
        answers = [shorten(a, limit) for a in answers]
        out.append(
            {
                "question": question,
                "answers": answers,
                "n": Count(total, "open answers", question.id),
                "shown": Count(len(answers), "open answers shown", question.id),
                "shortened": Count(sum(a.endswith(" […]") for a in answers), "open answers shortened", question.id),
            }
        )
    return out


def exhibit_notes(exhibit: dict, results: Results, config: dict, field: str) -> dict:
    """Bases, note and source line of one exhibit, all from the results."""
    question = results.codebook.question(exhibit["question"])
    population = config["study"]["population"]
    parts = []
    if exhibit["by"] == "tier":
        tiers = config["tiers"]
        counts = {t["label"]: results.base(question.id, t["id"]) for t in tiers["levels"]}
        bases = ", ".join(f"{label} n={show(n)}" for label, n in counts.items())
        parts.append(f"Bases: {population} who answered, by {tiers['label']} ({bases}).")
        caution = config["statistics"]["caution_base"]
        small = [label for label, n in counts.items() if n < caution]
        if small:
            parts.append(
                f"Bases under {setting(caution, 'caution base')} ({', '.join(small)}): interpret with caution."
            )
    else:
        parts.append(f"Base: {population} who answered (n={show(results.base(question.id))}).")
    if question.multi:
        parts.append(f"More than one answer allowed: shares can add up to more than {constant('100%', 'multi-select')}.")
    dont_know = [c for c in question.choices if c.nonsubstantive]
    if dont_know:
        answered = results.count(question.id, dont_know[0].id)
        parts.append(
            f"“{dont_know[0].label}” ({show(answered)} of {show(results.answered(question.id))}) is left out of the base."
        )
    return {"note": " ".join(parts), "source": f"Survey of {population}, {field}."}


def exhibit_alt(exhibit: dict, results: Results, tiers: dict) -> str:
    """Alt text written from the data: what the chart shows and its numbers (not on the page: not in the ledger)."""
    with quiet():
        return _alt(exhibit, results, tiers)


def _alt(exhibit: dict, results: Results, tiers: dict) -> str:
    question = results.codebook.question(exhibit["question"])
    shares = exhibit_shares(exhibit, results)
    label = _choice_label(results.codebook)
    if exhibit["by"] == "tier":
        parts = []
        for s in shares:
            by_tier = ", ".join(
                f"{t['label'].lower()} {pct(results.share(question.id, s.choices[0], t['id']))}" for t in tiers["levels"]
            )
            parts.append(f"{label(s)}: {by_tier}")
        return f"Bar chart by {tiers['label']}. " + "; ".join(parts) + "."
    return "Bar chart. " + "; ".join(f"{label(s)} {pct(s)}" for s in shares) + "."


def build_context(
    config: dict,
    report_config: dict,
    results: Results,
    attrition: pd.DataFrame,
    export_sha256: str,
    chart_urls: dict[str, str],
) -> dict:
    codebook = results.codebook
    tiers = config["tiers"]["levels"]
    first, last = results.field_period()
    field = date_range(first, last)
    exhibits = {}
    for exhibit in report_config["exhibits"]:
        exhibits[exhibit["id"]] = {
            **exhibit,
            **exhibit_notes(exhibit, results, config, field),
            "alt": exhibit_alt(exhibit, results, config["tiers"]),
            "src": chart_urls[exhibit["id"]],
        }
    columns = [(None, "Total", "")] + [(t["id"], t["label"], letter) for t, letter in zip(tiers, column_letters(len(tiers)))]
    context = {
        "study": config["study"],
        "r": results,
        "tiers": [{**t, "n": results.respondents(t["id"])} for t in tiers],
        "tier_question": codebook.question(config["tiers"]["question"]),
        "tier_label": config["tiers"]["label"],
        "unrated": Count(
            results.respondents() - sum(results.respondents(t["id"]) for t in tiers), "respondents in no tier"
        ),
        "field": {"first": first, "last": last, "range": field},
        "exhibits": exhibits,
        "attrition": [
            {
                **row,
                "excluded": Count(row["excluded"], "attrition excluded", source=row["label"]),
                "remaining": Count(row["remaining"], "attrition remaining", source=row["label"]),
            }
            for row in attrition.to_dict("records")
        ],
        "cleaning": config["cleaning"],
        "statistics": config["statistics"],
        "verbatim_max_chars": report_config["verbatim_max_chars"],
        "codebook": codebook,
        "columns": columns,
        "appendix": [appendix_table(q, results, columns) for q in codebook.closed],
        "verbatims": verbatims(
            results.respondents_table, codebook, report_config["verbatim_max_chars"], report_config["verbatim_max_answers"]
        ),
        "export_sha256": export_sha256,
        "version": __version__,
        "commit": config.get("commit", "unknown"),
    }
    failures = unsupported_claims(results, report_config["findings"])
    if failures and report_config["unsupported_claims"] == "stop":
        raise SurveyError(f"{len(failures)} claim(s) the data do not support: " + "; ".join(failures))
    env = environment(codebook=codebook)
    context["findings"] = [
        {
            **f,
            "text": Markup(env.from_string(" ".join(f["text"].split())).render(r=results)),
            "unsupported": [m for m in failures if m.startswith(f"finding {f['id']!r}")],
        }
        for f in report_config["findings"]
    ]
    return context


def render_html(template_dir: str | Path, context: dict, template: str = "report.html.j2") -> str:
    env = environment(template_dir, context["codebook"])
    try:
        chosen = env.get_template(template)
    except jinja2.TemplateNotFound:
        raise SurveyError(f"no report template {template!r} in {template_dir}", expected="a template in report/") from None
    return chosen.render(**context)


def self_contained(html: str, assets: dict[str, Path]) -> str:
    """The report as one HTML file: stylesheet inlined, fonts and charts as data URIs."""

    def data_uri(name: str) -> str:
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return f"data:{media_type};base64," + base64.b64encode(assets[name].read_bytes()).decode("ascii")

    css = assets["style.css"].read_text(encoding="utf-8")
    css = re.sub(r"url\((fonts/[^)]+)\)", lambda m: f"url({data_uri(m.group(1))})", css)
    css += "\n@media screen { body { max-width: 7in; margin: 0 auto; padding: 0 1em; } .cover { height: auto; padding: 1in; } }\n"
    html = html.replace('<link rel="stylesheet" href="style.css">', f"<style>\n{css}</style>")
    return re.sub(r'src="(charts/[^"]+)"', lambda m: f'src="{data_uri(m.group(1))}"', html)


# ----------------------------------------------------------------------------- PDF


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


def write_pdf(html: str, assets: dict[str, Path], out: str | Path, created: dt.datetime) -> int:
    """Render the PDF; fail on any WeasyPrint error (missing asset, refused URL). Returns the page count."""
    import weasyprint

    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.replace(tzinfo=dt.timezone.utc).timestamp()))
    collector = _ErrorCollector()
    weasyprint.LOGGER.addHandler(collector)
    try:
        document = weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=_asset_fetcher(assets)).render()
    finally:
        weasyprint.LOGGER.removeHandler(collector)
    if collector.messages:
        raise SurveyError("the report did not render cleanly: " + "; ".join(collector.messages))
    from .atomic import write_atomically

    write_atomically(out, lambda tmp: document.write_pdf(tmp, pdf_variant="pdf/ua-1"))
    return len(document.pages)


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

