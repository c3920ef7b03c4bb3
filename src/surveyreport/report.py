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
import jinja2.sandbox
import numpy as np
import pandas as pd

from . import __version__
from .atomic import write_atomically
from .codebook import Codebook
from .crosstab import NO_ANSWER, TOTAL
from .errors import SurveyError
from .findings import fill
from .formatting import interval, pct, pct1, ratio_ci, setting, times, verdict, words
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
    """An appendix cell: the rounded percentage (0% too, with its interval), or an en dash where the base is empty."""
    return "–" if share.base == 0 else pct(share)


def constant(text: str, why: str) -> str:
    """A number that is a fact of the method, not of the data ("more than 100%")."""
    return record(text, "constant", text, source=why)


def environment(
    template_dirs: str | Path | list | None = None, codebook: Codebook | None = None, settings: dict | None = None
) -> jinja2.Environment:
    """Sandboxed, autoescaping, strict templates with the number filters.

    Given a codebook, ``choice_label``; given the study's settings (tiers, statistics), ``verdict``,
    the sentence of a significance test. Templates cannot reach Python internals or change the
    objects they are given; configuration and data are only ever printed, never run as templates.
    """
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(template_dirs) if template_dirs is not None else None,
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
    if settings is not None:
        labels = {level["id"]: level["label"] for level in settings["tiers"]["levels"]}
        min_base = settings["statistics"]["min_base"]
        env.filters["verdict"] = lambda comparison: verdict(comparison, min_base, labels)
        env.filters["pct1"] = lambda share: pct1(share, min_base)
    return env


# ----------------------------------------------------------------------------- context


def _choice_label(codebook: Codebook):
    def label(share: Share) -> str:
        return codebook.question(share.question).choice(share.choices[0]).label

    return label


def appendix_table(question, results: Results, columns: list[tuple[str | None, str, str]]) -> dict:
    """One appendix table: a row per answer (%, interval, letters), a column per banner column, the bases.

    Every percentage is on the question's one base, the one the base row shows; answers left out
    of it ("don't know") are given as counts, as the respondents who did not answer are.
    """
    mine = {column: results.rows(question.id, column).fillna({"higher_than": "", "flag": ""}) for column, _, _ in columns}
    cells_of = {column: dict(zip(rows.index, rows.to_dict("records"))) for column, rows in mine.items()}
    rows = []
    for choice in question.choices:
        cells = []
        for column, _, _ in columns:
            row = cells_of[column][choice.id]
            if choice.nonsubstantive:
                count = Count(row["count"], "count", question.id, column or TOTAL, f"crosstab: {choice.id}")
                cells.append({"pct": count, "ci": "", "sig": ""})
                continue
            share = results.share(question.id, choice.id, column)
            empty = share.base == 0
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


def redactions(respondents: pd.DataFrame, codebook: Codebook) -> list[dict]:
    """What ingest removed from the valid respondents' typed texts, per kind, with a count for the ledger."""
    from .redact import MARKERS, NOUNS, redaction_counts

    texts = (value for column in codebook.free_text_columns for value in respondents[column])
    counts = redaction_counts(texts)
    return [
        {"n": Count(counts[kind], "redacted", source=f"typed texts: {MARKERS[kind]}"), "noun": NOUNS[kind][counts[kind] != 1]}
        for kind in MARKERS
        if counts[kind]
    ]


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
    failures = unsupported_claims(results, report_config["findings"]) + unsupported_claims(
        results, report_config["exhibits"], "exhibit"
    )
    if failures and report_config["unsupported_claims"] == "stop":
        raise SurveyError(f"{len(failures)} claim(s) the data do not support: " + "; ".join(failures))
    exhibits = {}
    for exhibit in report_config["exhibits"]:
        where, values = f"exhibit {exhibit['id']!r}", exhibit.get("values", {})
        exhibits[exhibit["id"]] = {
            **exhibit,
            "headline": fill(exhibit["headline"], values, results, config, f"{where} headline"),
            "subtitle": fill(exhibit["subtitle"], values, results, config, f"{where} subtitle"),
            **exhibit_notes(exhibit, results, config, field),
            "alt": exhibit_alt(exhibit, results, config["tiers"]),
            "src": chart_urls[exhibit["id"]],
            "unsupported": [m for m in failures if m.startswith(f"{where}:")],
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
        "redactions": redactions(results.respondents_table, codebook),
        "export_sha256": export_sha256,
        "version": __version__,
        "commit": config.get("commit", "unknown"),
    }
    context["findings"] = [
        {
            **f,
            "text": fill(f["text"], f.get("values", {}), results, config, f"finding {f['id']!r}"),
            "unsupported": [m for m in failures if m.startswith(f"finding {f['id']!r}:")],
        }
        for f in report_config["findings"]
    ]
    context["settings"] = {"tiers": config["tiers"], "statistics": config["statistics"]}
    return context


def render_html(template_dirs: list, context: dict, template: str = "layout.html.j2") -> str:
    """The report's HTML from ``template``, looked up in ``template_dirs`` in order (the study's folder, then ``report/``)."""
    env = environment(template_dirs, context["codebook"], context["settings"])
    try:
        chosen = env.get_template(template)
    except jinja2.TemplateNotFound:
        where = " or ".join(str(d) for d in template_dirs)
        raise SurveyError(f"no report template {template!r} in {where}", expected="a template in the study's folder or report/") from None
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

    os.environ["SOURCE_DATE_EPOCH"] = str(int(created.replace(tzinfo=dt.timezone.utc).timestamp()))
    collector = _ErrorCollector()
    weasyprint.LOGGER.addHandler(collector)
    try:
        document = weasyprint.HTML(string=html, base_url=ASSET_BASE, url_fetcher=_asset_fetcher(assets)).render()
        refused = refused_links(document)
        if refused:
            raise SurveyError("the report links outside itself: " + "; ".join(refused), expected="links within the report or to http(s)")
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    finally:
        weasyprint.LOGGER.removeHandler(collector)
    if collector.messages:
        raise SurveyError("the report did not render cleanly: " + "; ".join(collector.messages))
    write_atomically(out, lambda tmp: Path(tmp).write_bytes(pdf))
    return len(document.pages)


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

