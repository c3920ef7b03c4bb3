"""The report's template context: everything the templates print, built from the computed results.

Exhibits (headlines, notes, alt text), findings, the method's counts, the appendix tables and
the open answers; the numbers are ledger Counts and shares printed by the formatting filters.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from . import __version__, methodology
from .checks import unsupported_claims
from .codebook import Codebook
from .crosstab import NO_ANSWER, TOTAL
from .errors import SurveyError
from .findings import fill
from .formatting import (
    constant,
    date_range,
    effective_base,
    interval,
    lower,
    pair_test_of,
    pct,
    pct1,
    score,
    score_interval,
    setting,
    statistic,
    verdict,
    words,
)
from .ledger import Count, Printed, quiet, show
from .results import Results, Share, exhibit_shares, round_half_up
from .stats import column_letters
from .templates import choice_label
from .tidy import received_order


def cell(share: Share, min_base: int | None = None) -> str:
    """An appendix cell: the rounded percentage (0% too, with its interval), or an en dash where the base is empty.

    Given ``min_base``, one decimal where the base is at least that (as the question's chart and text print it).
    """
    if share.base == 0:
        return "–"
    return pct(share) if min_base is None else pct1(share, min_base)


VS_TOTAL = {"higher": "+", "lower": "−"}  # a banner column's share against the rest of the sample


def appendix_table(
    question,
    results: Results,
    columns: list[tuple[str | None, str, str]],
    min_base: int | None = None,
    order: list[str] | None = None,
    defining: bool = False,
) -> dict:
    """One appendix table: a row per answer (%, interval, letters), a column per banner column, the bases
    (and, in a weighted study, the effective bases (Kish) the intervals and letters are on).

    Every percentage is on the question's one base, the one the base row shows; answers left out
    of it ("don't know") are given as counts, as the respondents who did not answer are. ``order``:
    the answers' ids in the order of the question's figure (the others after them, in questionnaire
    order). ``defining``: the question defines the groups, whose shares in a group are 0% or 100% by
    definition and get no interval there.
    """
    mine = {column: results.rows(question.id, column).fillna({"higher_than": "", "flag": ""}) for column, _, _ in columns}
    cells_of = {column: dict(zip(rows.index, rows.to_dict("records"))) for column, rows in mine.items()}
    rows = []
    # an NPS question shows its groups, not its eleven scores (which the crosstabs and workbook give)
    choices = () if question.type == "nps" else question.choices
    if order:
        rank = {choice: k for k, choice in enumerate(order)}
        choices = sorted(choices, key=lambda c: (c.nonsubstantive, rank.get(c.id, len(rank))))
    for choice in choices:
        cells = []
        for column, _, _ in columns:
            row = cells_of[column][choice.id]
            if choice.nonsubstantive:
                count = Count(row["count"], "count", question.id, column or TOTAL, f"crosstab: {choice.id}")
                cells.append({"pct": count, "ci": "", "sig": ""})
                continue
            share = results.share(question.id, choice.id, column)
            empty = share.base == 0 or (defining and column is not None)
            cells.append(
                {
                    "pct": cell(share, min_base),
                    "ci": "" if empty else interval(row["ci_low"], row["ci_high"], share),
                    "sig": row["higher_than"] + VS_TOTAL.get(row.get("vs_total"), ""),
                }
            )
        rows.append({"label": choice.label, "cells": cells, "nonsubstantive": choice.nonsubstantive, "net": False})
    for net in question.nets:
        cells = []
        for column, _, _ in columns:
            share = results.share(question.id, net.key, column)
            row = cells_of[column][net.key]
            empty = share.base == 0
            cells.append(
                {
                    "pct": cell(share, min_base),
                    "ci": "" if empty else interval(row["ci_low"], row["ci_high"], share),
                    "sig": row["higher_than"] + VS_TOTAL.get(row.get("vs_total"), ""),
                }
            )
        rows.append({"label": net.label, "cells": cells, "nonsubstantive": False, "net": True})
    if question.scored and results.scores is not None:
        cells = score_cells(question, results, columns)
        rows.append({"label": SCORE_LABELS[question.type], "cells": cells, "nonsubstantive": False, "net": True})
    bases = []
    for column, _, _ in columns:
        first = mine[column][mine[column]["kind"] != NO_ANSWER].iloc[0]
        bases.append({"n": results.base(question.id, column), "flag": first["flag"]})
    effective = [
        effective_base(results.effective_base(question.id, column), question.id, column or TOTAL)
        for column, _, _ in columns
        if results.weighted
    ]
    no_answer = [results.no_answer(question.id, column) for column, _, _ in columns]
    caption = f"{question.text} — {question.statement}" if question.parent else question.text
    return {
        "kind": "choices",
        "question": question,
        "caption": caption,
        "rows": rows,
        "bases": bases,
        "effective": effective,
        "no_answer": no_answer,
    }


SCORE_LABELS = {
    "matrix": "Mean score (scale values; answers left out of the base not counted)",
    "rank": "Mean rank (1 = ranked first)",
    "nps": "Net promoter score (% promoters − % detractors)",
    "numeric": "Mean",
}


def score_cells(question, results: Results, columns: list[tuple[str | None, str, str]]) -> list[dict]:
    """A score per banner column (a mean or an NPS), its interval and letters; an en dash where nobody answered."""
    cells = []
    for column, _, _ in columns:
        try:
            value = results.score(question.id, column)
        except SurveyError:  # a banner column: scores are by tier
            cells.append({"pct": "", "ci": "", "sig": ""})
            continue
        if value.n == 0:
            cells.append({"pct": "–", "ci": "", "sig": ""})
            continue
        ci = "" if pd.isna(value.ci_low) else score_interval(value)
        cells.append({"pct": score(value), "ci": ci, "sig": value.higher_than})
    return cells


def grid_table(question, results: Results) -> dict:
    """A grid's overview in total: a row per statement, a column per scale point (or rank), its nets and its mean."""
    parts = question.parts
    headers = [c.label for c in question.substantive] + [net.label for net in question.nets]
    if question.scored:
        headers.append(SCORE_LABELS[question.type].split(" (")[0])
    rows = []
    for part in parts:
        cells = [cell(results.share(part.id, c.id)) for c in question.substantive]
        cells += [cell(results.share(part.id, net.key)) for net in question.nets]
        if question.scored:
            value = results.score(part.id)
            cells.append(score(value) if value.n else "–")
        rows.append({"label": part.statement, "cells": cells, "base": results.base(part.id)})
    return {"kind": "grid", "question": question, "headers": headers, "rows": rows}


def numeric_table(question, results: Results, columns: list[tuple[str | None, str, str]]) -> dict:
    """A number's summary by banner column: its mean (interval, letters), median, standard deviation and base."""
    values = [results.score(question.id, column) for column, _, _ in columns]

    def plain(value, field: str, kind: str) -> str:
        number = getattr(value, field)
        if value.n == 0 or pd.isna(number):
            return "–"
        return statistic(number, kind, question.id, value.column, value.n)

    caption = f"{question.text} — {question.statement}" if question.parent else question.text
    return {
        "kind": "scores",
        "question": question,
        "caption": caption,
        "mean": score_cells(question, results, columns),
        "median": [plain(v, "median", "median") for v in values],
        "sd": [plain(v, "sd", "standard deviation") for v in values],
        "bases": [{"n": Count(v.n, "base", question.id, v.column, "scores"), "flag": v.flag} for v in values],
    }


def appendix(
    codebook: Codebook,
    results: Results,
    columns: list,
    one_decimal: dict,
    banners: list | None = None,
    orders: dict[str, list[str]] | None = None,
    tier_question: str | None = None,
) -> list[dict]:
    """The appendix tables in questionnaire order: a grid's overview, then each of its statements by banner column.
    ``orders``: a charted question's answers in its figure's order, which its table follows.

    ``banners``: each banner's block of columns, after the tiers' in the tables of answers, side by side
    as far as the page's width allows (``column_sets``: a table continued with the total again), numbers by
    tier only. Each table names its ``columns``, its ``anchor`` and whether it ``continued`` the one before.
    """
    tables = []
    sets = column_sets(columns, banners or [])
    for question in codebook.questions:
        if question.closed and question.statements:
            tables.append(grid_table(question, results))
        if question.closed:
            for part in question.parts:
                for n, chosen in enumerate(sets):
                    table = appendix_table(
                        part, results, chosen, one_decimal.get(part.id), (orders or {}).get(part.id), part.id == tier_question
                    )
                    anchor = f"{part.id}-{n + 1}" if n else part.id
                    caption = f"(continued) {table['caption']}" if n else table["caption"]
                    tables.append({**table, "caption": caption, "columns": chosen, "anchor": anchor, "continued": n > 0})
        elif question.numeric:
            tables += [{**numeric_table(part, results, columns), "columns": columns} for part in question.parts]
    return tables


MAX_COLUMNS = 8  # an appendix table's columns, the total's included, that fit the page's width


def column_sets(columns: list, blocks: list[list]) -> list[list]:
    """The columns of each appendix table of a question: the total and the tiers, then the banners' blocks,
    each whole, while they fit ``MAX_COLUMNS``; then further tables of the total and the next blocks."""
    sets = [list(columns)]
    for block in blocks:
        if len(sets[-1]) > 1 and len(sets[-1]) + len(block) > MAX_COLUMNS:
            sets.append(list(columns[:1]))
        sets[-1] += block
    return sets


def banner_columns(banners: list[dict], tiers: list[dict]) -> list[list[tuple[str, str, str]]]:
    """The appendix's banner columns, a block per banner: id, "<banner>: <column>" label and letter (continuing the tiers')."""
    letters = iter(column_letters(len(tiers) + sum(len(b["columns"]) for b in banners))[len(tiers) :])
    return [[(f"{b['id']}:{c['id']}", f"{b['label']}: {c['label']}", next(letters)) for c in b["columns"]] for b in banners]


def shorten(text: str, limit: int) -> str:
    """Whitespace folded; past ``limit`` characters cut at a word and marked […]."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut + " […]"


def verbatims(respondents: pd.DataFrame, codebook: Codebook, limit: int, most: int) -> list[dict]:
    """The open-text answers of the valid respondents, per open question, in the order first received.

    An answer given by several respondents is quoted once, with how many gave it. Past ``most``
    different answers, a random sample of ``most`` of them (fixed seed: the same sample every build).
    """
    out = []
    received = respondents.iloc[received_order(respondents)]
    for question in codebook.questions:
        if question.type != "text":
            continue
        answers = [" ".join(str(a).split()) for a in received[question.id].dropna()]
        times: dict[str, int] = {}
        for answer in filter(None, answers):
            times[answer] = times.get(answer, 0) + 1
        distinct = list(times)
        if len(distinct) > most:
            picked = np.sort(np.random.default_rng(0).choice(len(distinct), size=most, replace=False))
            distinct = [distinct[i] for i in picked]
        quoted = [
            {"text": shorten(a, limit), "times": Count(times[a], "respondents giving this answer", question.id)} for a in distinct
        ]
        out.append(
            {
                "question": question,
                "answers": quoted,
                "n": Count(sum(times.values()), "open answers", question.id),
                "distinct": Count(len(times), "different open answers", question.id),
                "shown": Count(len(quoted), "open answers shown", question.id),
                "shortened": Count(sum(q["text"].endswith(" […]") for q in quoted), "open answers shortened", question.id),
            }
        )
    return out


def redactions(respondents: pd.DataFrame, codebook: Codebook) -> list[dict]:
    """What ingest removed from the valid respondents' typed texts, per kind, with a count for the ledger."""
    from .redact import MARKERS, NOUNS, column_redaction_counts

    counts = column_redaction_counts(respondents[column] for column in codebook.free_text_columns)
    return [
        {"n": Count(counts[kind], "redacted", source=f"typed texts: {MARKERS[kind]}"), "noun": NOUNS[kind][counts[kind] != 1]}
        for kind in MARKERS
        if counts[kind]
    ]


def effective_bases(question: str, columns: list[tuple[str | None, str]], results: Results) -> str:
    """A weighted study's sentence of the effective bases (Kish) of a question's ``(column, label)``; else ""."""
    if not results.weighted:
        return ""
    bases = [
        (label, effective_base(results.effective_base(question, column), question, column or TOTAL)) for column, label in columns
    ]
    if len(bases) == 1:
        return f"Effective base after weighting: {bases[0][1]}."
    return "Effective bases after weighting: " + ", ".join(f"{lower(label)} {n}" for label, n in bases) + "."


def _score_note(exhibit: dict, results: Results, config: dict, field: str) -> dict:
    """Bases and note of a grid's, a number's or an NPS's exhibit: the range of its rows' bases, and how it is summarised."""
    question = results.codebook.question(exhibit["question"])
    population = config["study"]["population"]
    columns = [None] + ([t["id"] for t in config["tiers"]["levels"]] if exhibit["by"] == "tier" else [])
    if question.numeric:
        bases = [Count(results.score(p.id, c).n, "base", p.id, c or TOTAL, "scores") for p in question.parts for c in columns]
    elif question.type == "nps":
        bases = [results.base(question.id, c) for c in columns]
    else:
        bases = [results.base(p.id, c) for p in question.parts for c in columns]
    low, high = min(bases), max(bases)
    span = f"n={show(low)}" if low == high else f"n={show(low)}–{show(high)}"
    each = " each statement" if question.statements else ""
    parts = [f"Bases: {population} who answered{each} ({span})."]
    if results.weighted:
        parts.append("Weighted; intervals and tests on the effective bases (in the workbook).")
    dont_know = [c.label for c in question.choices if c.nonsubstantive]
    if dont_know:
        parts.append(f"“{dont_know[0]}” is left out of the bases and the means.")
    level = setting(round(config["statistics"]["confidence"] * 100), "confidence level", "%")
    if question.type == "matrix":
        parts.append("Bars: shares of each answer, the lower half of the scale left of the line, the upper half right of it.")
    elif question.type == "nps":
        groups = ", ".join(f"{net.id} {constant(net.label.split('(')[-1].rstrip(')'), 'NPS groups')}" for net in question.nets)
        parts.append(
            f"Scores {constant('0–10', 'NPS scale')} ({groups}); the net promoter score (NPS) is the "
            f"share of promoters minus that of detractors, in points ({level} intervals in the appendix)."
        )
    elif question.type == "numeric":
        parts.append(f"Dots: means; lines: their {level} intervals (Student's t).")
    elif question.type == "rank":
        parts.append("Bars: the share who ranked each item first; mean ranks in the appendix.")
    elif question.multi:
        parts.append(
            f"More than one answer allowed per statement: shares can add up to more than {constant('100%', 'multi-select')}."
        )
    return {"note": " ".join(parts), "source": source_line(config["study"], field)}


# What a panel exhibit's note says of an answer's corrected test (``compare``): a verdict's short form
PANEL_VERDICTS = {
    "not_significant": "not significant",
    "corrected_away": "significant before the correction for multiple comparisons but not after it",
    "not_tested": "not tested ({reason})",
}


def _panel_tests(exhibit: dict, results: Results, config: dict) -> str:
    """What the corrected test found between the exhibit's two ``compare`` tiers, for every answer its panels show:
    the answers of each outcome, a significant one with its direction; each test in the ledger."""
    labels = {t["id"]: t["label"] for t in config["tiers"]["levels"]}
    label, found = choice_label(results.codebook), {}
    for panel in exhibit["panels"]:
        for share in results.ranking(panel["question"])[: exhibit["top"]]:
            comparison = results.compare(panel["question"], share.choices[0], exhibit["compare"])
            wording = {**PANEL_VERDICTS, "significant": f"significantly {comparison.outcome}"}
            test = pair_test_of(comparison, results, config)
            text = verdict(comparison, config["statistics"]["min_base"], labels, wording, test)
            found.setdefault(text, []).append(label(share))
    plain = found.pop(PANEL_VERDICTS["not_significant"], None)
    parts = [f"for {' and '.join(answers)}, {text}" for text, answers in found.items()]
    if plain:
        parts.append(f"for {'the other answers' if parts else 'every answer'} shown, {PANEL_VERDICTS['not_significant']}")
    first, second = (lower(labels[t]) for t in exhibit["compare"])
    return f"Tests of {first} against {second}: {'; '.join(parts)}."


def panel_notes(exhibit: dict, results: Results, config: dict, field: str) -> dict:
    """Bases, note and source line of a panel exhibit: each panel's bases by tier (the total's is in its title),
    what its panels show, and what the corrected test found for each answer shown."""
    population, tiers, caution = config["study"]["population"], config["tiers"], config["statistics"]["caution_base"]
    parts, small = [f"Bases: {population} who answered each question (n in each panel's title)."], []
    if exhibit["by"] == "tier":
        bases = []
        for panel in exhibit["panels"]:
            counts = [(t["label"], results.base(panel["question"], t["id"])) for t in tiers["levels"]]
            bases.append(f"{lower(panel['title'])} " + ", ".join(show(n) for _, n in counts))
            small += [name for name, n in counts if n < caution and name not in small]
        names = ", ".join(lower(t["label"]) for t in tiers["levels"])
        parts.append(f"By {tiers['label']} ({names}): {'; '.join(bases)}.")
    if small:
        parts.append(f"Bases under {setting(caution, 'caution base')} ({', '.join(small)}): interpret with caution.")
    if results.weighted:
        parts.append("Weighted; intervals and tests on the effective bases (in the workbook).")
    parts.append(f"Each panel shows the {words(exhibit['top'])} answers chosen most in total.")
    if any(results.codebook.question(p["question"]).multi for p in exhibit["panels"]):
        parts.append(f"More than one answer allowed: shares can add up to more than {constant('100%', 'multi-select')}.")
    if exhibit.get("compare"):
        parts.append(_panel_tests(exhibit, results, config))
    return {"note": " ".join(parts), "source": source_line(config["study"], field)}


def source_line(about: dict, field: str) -> str:
    """A chart's source: the survey and its field dates, or, where the data were not collected from respondents,
    the study's ``about.disclosure`` and the population (the export's dates are not a fieldwork's)."""
    if about.get("disclosure"):
        return f"{about['disclosure']} ({about['population']})."
    return f"Survey of {about['population']}, {field}."


def exhibit_notes(exhibit: dict, results: Results, config: dict, field: str) -> dict:
    """Bases, note and source line of one exhibit, all from the results."""
    if "panels" in exhibit:
        return panel_notes(exhibit, results, config, field)
    question = results.codebook.question(exhibit["question"])
    if question.type in ("matrix", "rank", "nps", "numeric") or question.statements:
        return _score_note(exhibit, results, config, field)
    population = config["study"]["population"]
    parts = []
    if exhibit["by"] == "tier":
        tiers = config["tiers"]
        counts = {t["label"]: results.base(question.id, t["id"]) for t in tiers["levels"]}
        bases = ", ".join(f"{label} n={show(n)}" for label, n in counts.items())
        parts.append(f"Bases: {population} who answered, by {tiers['label']} ({bases}).")
        parts.append(effective_bases(question.id, [(t["id"], t["label"]) for t in tiers["levels"]], results))
        caution = config["statistics"]["caution_base"]
        small = [label for label, n in counts.items() if n < caution]
        if small:
            parts.append(f"Bases under {setting(caution, 'caution base')} ({', '.join(small)}): interpret with caution.")
    else:
        parts.append(f"Base: {population} who answered (n={show(results.base(question.id))}).")
        parts.append(effective_bases(question.id, [(None, "")], results))
    if question.multi:
        parts.append(f"More than one answer allowed: shares can add up to more than {constant('100%', 'multi-select')}.")
    dont_know = [c for c in question.choices if c.nonsubstantive]
    if dont_know:
        answered = results.count(question.id, dont_know[0].id)
        parts.append(
            f"“{dont_know[0].label}” ({show(answered)} of {show(results.answered(question.id))}) is left out of the base."
        )
    return {"note": " ".join(filter(None, parts)), "source": source_line(config["study"], field)}


def exhibit_alt(exhibit: dict, results: Results, tiers: dict) -> str:
    """Alt text written from the data: what the chart shows and its numbers (not on the page: not in the ledger)."""
    with quiet():
        return _alt(exhibit, results, tiers)


def _panels_alt(exhibit: dict, results: Results, tiers: dict) -> str:
    label, by_tier = choice_label(results.codebook), exhibit["by"] == "tier"
    panels = []
    for panel in exhibit["panels"]:
        answers = []
        for s in results.ranking(panel["question"])[: exhibit["top"]]:
            shares = [results.share(s.question, s.choices[0], t["id"]) for t in tiers["levels"]] if by_tier else [s]
            names = [lower(t["label"]) for t in tiers["levels"]] if by_tier else ["total"]
            answers.append(f"{label(s)} " + ", ".join(f"{name} {pct(share)}" for name, share in zip(names, shares)))
        panels.append(f"{panel['title']}: " + "; ".join(answers))
    by = f" by {tiers['label']}" if by_tier else ""
    return f"Bar chart{by} in {len(panels)} panels. " + ". ".join(panels) + "."


def _alt(exhibit: dict, results: Results, tiers: dict) -> str:
    if "panels" in exhibit:
        return _panels_alt(exhibit, results, tiers)
    question = results.codebook.question(exhibit["question"])
    if question.multi and question.statements:
        label = choice_label(results.codebook)
        statements = [
            f"{p.statement}: " + ", ".join(f"{label(s)} {cell(s)}" for s in shares_of(p, results)) for p in question.parts
        ]
        return "Bar chart by statement. " + "; ".join(statements) + "."
    if question.type in ("matrix", "rank", "numeric", "nps"):
        parts = []
        for part in question.parts:
            value = results.score(part.id)
            name = part.statement or "Total"
            parts.append(f"{name}: {SCORE_LABELS[question.type].split(' (')[0].lower()} {score(value) if value.n else 'none'}")
        return "Chart of " + "; ".join(parts) + "."
    shares = exhibit_shares(exhibit, results)
    label = choice_label(results.codebook)
    if exhibit["by"] == "tier":
        parts = []
        for s in shares:
            by_tier = ", ".join(
                f"{lower(t['label'])} {pct(results.share(question.id, s.choices[0], t['id']))}" for t in tiers["levels"]
            )
            parts.append(f"{label(s)}: {by_tier}")
        return f"Bar chart by {tiers['label']}. " + "; ".join(parts) + "."
    return "Bar chart. " + "; ".join(f"{label(s)} {pct(s)}" for s in shares) + "."


def shares_of(part, results: Results, column: str | None = None) -> list[Share]:
    """A multiple-answer statement's answers in questionnaire order ("Other" last)."""
    return [results.share(part.id, c.id, column) for c in part.substantive]


class Sentences(dict):
    """The study template's claimed sentences by id (``sentences`` in report.yaml): each with the claims the
    data do not support. A template naming a sentence that is not declared stops with one line."""

    def __missing__(self, key):
        known = ", ".join(self) or "none"
        raise SurveyError(
            f"the template marks a sentence {key!r} that report.yaml does not declare under sentences ({known})",
            expected="every sentence the template wraps in claimed(sentences.<id>) declared with its claims",
        )


def sentences(items: list[dict], failures: list[str]) -> Sentences:
    """The claimed sentences of the template, with the claims the data do not support."""
    return Sentences(
        {
            item["id"]: {**item, "unsupported": [m for m in failures if m.startswith(f"sentence {item['id']!r}:")]}
            for item in items
        }
    )


def statements(items: list[dict], kind: str, results: Results, config: dict, failures: list[str]) -> list[dict]:
    """Findings or practices: their text with its named values filled in, and the claims the data do not support."""
    out = []
    for item in items:
        where = f"{kind} {item['id']!r}"
        text = fill(item["text"], item.get("values", {}), results, config, where)
        out.append({**item, "text": text, "unsupported": [m for m in failures if m.startswith(f"{where}:")]})
    return out


def _percent(value: float, decimals: int) -> str:
    return f"{round_half_up(Fraction(value) * 100, decimals)}%"


# How the methodology prints each measure of the weighting summary (weights.summary).
WEIGHTING_SHOWN = {
    "respondents": lambda v: f"{int(v)}",
    "trim_max": lambda v: f"{v:g}",
    "min_weight": lambda v: f"{round_half_up(Fraction(v), 2)}",
    "max_weight": lambda v: f"{round_half_up(Fraction(v), 2)}",
    "efficiency": lambda v: _percent(v, 0),
    "effective_sample_size": lambda v: f"{round_half_up(Fraction(v))}",
    "design_effect": lambda v: f"{round_half_up(Fraction(v), 2)}",
}


def weighting(summary: pd.DataFrame, targets: pd.DataFrame) -> dict:
    """What the methodology says of the weights (``weights.summary`` and ``weights.target_table``): the
    measures it prints and each question's targets, as numbers that go to the ledger when printed."""
    from .weights import NO_ANSWER

    measures = {
        m: Printed(WEIGHTING_SHOWN[m](float(v)), "weighting", float(v), f"weighting: {m}")
        for m, v in zip(summary["measure"], summary["value"])
        if m in WEIGHTING_SHOWN and v != ""
    }
    held = targets["choice"] == NO_ANSWER
    return {
        "measures": measures,
        "targets": {
            question: [
                {
                    **t,
                    "target": Printed(
                        _percent(t["target"], 1), "weighting target", t["target"], f"weights.targets.{question}.{t['choice']}"
                    ),
                }
                for t in rows.to_dict("records")
            ]
            for question, rows in targets[~held].groupby("question", sort=False)
        },
        "unanswered": targets.loc[held, "question"].tolist(),  # questions some respondents left unanswered
    }


def figure_orders(exhibits: list[dict], results: Results) -> dict[str, list[str]]:
    """Each charted question's answers in the order of its (first) figure."""
    orders: dict[str, list[str]] = {}
    for exhibit in exhibits:
        if "question" in exhibit and exhibit["question"] not in orders:
            question = results.codebook.question(exhibit["question"])
            if question.type in ("single", "multi", "rating") and not question.statements:  # a grid's rows have their own
                orders[question.id] = [share.choices[0] for share in exhibit_shares(exhibit, results)]
    return orders


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
    failures = [
        *unsupported_claims(results, report_config["findings"]),
        *unsupported_claims(results, report_config.get("practices", []), "practice"),
        *unsupported_claims(results, report_config["exhibits"], "exhibit"),
        *unsupported_claims(results, report_config.get("sentences", []), "sentence"),
    ]
    if failures and report_config["unsupported_claims"] == "stop":
        raise SurveyError(f"{len(failures)} claim(s) the data do not support: " + "; ".join(failures))
    exhibits = {}
    for exhibit in report_config["exhibits"]:
        where, values = f"exhibit {exhibit['id']!r}", exhibit.get("values", {})
        exhibits[exhibit["id"]] = {
            **exhibit,
            "headline": fill(exhibit["headline"], values, results, config, f"{where} headline"),
            "subtitle": fill(exhibit["subtitle"], values, results, config, f"{where} subtitle"),
            "text": fill(exhibit["text"], values, results, config, f"{where} text") if exhibit.get("text") else "",
            **exhibit_notes(exhibit, results, config, field),
            "alt": exhibit_alt(exhibit, results, config["tiers"]),
            "src": chart_urls[exhibit["id"]],
            "unsupported": [m for m in failures if m.startswith(f"{where}:")],
        }
    # a question whose exhibit prints one decimal has its table printed the same way
    min_base = config["statistics"]["min_base"]
    one_decimal = {e["question"]: min_base for e in report_config["exhibits"] if e.get("decimals", 0) == 1 and "question" in e}
    columns = [(None, "Total", "")] + [(t["id"], t["label"], letter) for t, letter in zip(tiers, column_letters(len(tiers)))]
    context = {
        "study": config["study"],
        "r": results,
        "tiers": [{**t, "n": results.respondents(t["id"])} for t in tiers],
        "tier_question": codebook.question(config["tiers"]["question"]) if tiers else None,  # None: a total-only study
        "tier_label": config["tiers"]["label"],
        "unrated": Count(results.respondents() - sum(results.respondents(t["id"]) for t in tiers), "respondents in no tier"),
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
        "appendix": appendix(
            codebook,
            results,
            columns,
            one_decimal,
            banner_columns(config.get("banners", []), tiers),
            figure_orders(report_config["exhibits"], results),
            config["tiers"]["question"] if tiers else None,
        ),
        "banners": config.get("banners", []),
        "verbatims": verbatims(
            results.respondents_table, codebook, report_config["verbatim_max_chars"], report_config["verbatim_max_answers"]
        ),
        "redactions": redactions(results.respondents_table, codebook),
        # facts of the method the scores' note prints (given here: a literal filtered in a template is run when compiled)
        "score_facts": {"promoters": "9–10", "detractors": "0–6", "first": "1"},
        "methodology": methodology,
        "export_sha256": export_sha256,
        "version": __version__,
        "commit": config.get("commit", "unknown"),
    }
    context["findings"] = statements(report_config["findings"], "finding", results, config, failures)
    context["practices"] = statements(report_config.get("practices", []), "practice", results, config, failures)
    context["sentences"] = sentences(report_config.get("sentences", []), failures)
    context["settings"] = {"tiers": config["tiers"], "statistics": config["statistics"]}
    return context
