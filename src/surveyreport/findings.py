"""Key findings: wording from configuration with named references to computed values.

A finding's text is never a template. It names each number it prints, ``{customized}``,
and declares under ``values`` what the name stands for (a share, a ratio, a count, a
ranked answer, the result of a significance test); the number is looked up in the
results and printed by the formatting helpers, which record it in the ledger. Anything
else in the text is printed as written, escaped.
"""

from __future__ import annotations

import re
from string import Formatter

from markupsafe import Markup, escape

from .errors import SurveyError
from .formatting import lower, pair_test_of, pct, pct1, ratio_ci, times, verdict, words
from .ledger import Count, show
from .results import Results
from .templates import choice_label

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")


def _share(results: Results, value: dict, settings: dict) -> str:
    choices = value.get("choices", value.get("choice"))
    share = results.share(value["question"], choices, value.get("tier"))
    text = pct1(share, settings["statistics"]["min_base"]) if value.get("decimals", 0) == 1 else pct(share)
    if value.get("show") == "of_base":
        count = Count(share.count, "count", share.question, share.column, "crosstab: " + "+".join(share.choices))
        base = Count(share.base, "base", share.question, share.column, "crosstab")
        text += f" ({show(count)} of {show(base)})"
    return text


def _ratio(results: Results, value: dict, settings: dict) -> str:
    ratio = results.ratio(value["question"], value["choice"], value["tiers"])
    return ratio_ci(ratio, settings["statistics"]["confidence"]) if value.get("show") == "interval" else times(ratio)


def _count(count: int, value: dict) -> str:
    return words(count) if value.get("show") == "words" else show(count)


def _ranked(results: Results, value: dict) -> str:
    ranking = results.ranking(value["question"], value.get("tier"))
    rank = value["rank"]
    if rank > len(ranking):
        raise SurveyError(f"rank {rank} asked of {value['question']!r}, which lists {len(ranking)} answers")
    share = ranking[rank - 1]
    show_as = value.get("show", "share")
    if show_as == "share":
        return pct(share)
    label = choice_label(results.codebook)(share)
    return lower(label) if show_as == "label_lower" else label


def _comparison(results: Results, value: dict, settings: dict) -> str:
    comparison = results.compare(value["question"], value["choice"], value["tiers"])
    labels = {level["id"]: level["label"] for level in settings["tiers"]["levels"]}
    test = pair_test_of(comparison, results, settings)
    return verdict(comparison, settings["statistics"]["min_base"], labels, value.get("wording"), test)


def format_value(results: Results, value: dict, settings: dict) -> str:
    """The text of one named value, recorded in the active ledger."""
    measure = value["measure"]
    if measure == "share":
        return _share(results, value, settings)
    if measure == "ratio":
        return _ratio(results, value, settings)
    if measure == "count":
        return _count(results.count(value["question"], value.get("choices", value.get("choice")), value.get("tier")), value)
    if measure == "respondents":
        return _count(results.respondents(value.get("tier")), value)
    if measure == "base":
        return _count(results.base(value["question"], value.get("tier")), value)
    if measure == "ranked":
        return _ranked(results, value)
    if measure == "comparison":
        return _comparison(results, value, settings)
    raise SurveyError(f"unknown measure {measure!r}")


def references(text: str, where: str) -> list[tuple[str, str | None]]:
    """The text split into (literal, name or None) pieces; anything but a plain ``{name}`` is refused."""
    if TEMPLATE_SYNTAX.search(text):
        raise SurveyError(
            f"{where}: the text holds template syntax ({TEMPLATE_SYNTAX.search(text).group()}…), which is never run",
            expected="plain text with {name} references to its values",
        )
    try:
        pieces = list(Formatter().parse(text))
    except ValueError as error:
        raise SurveyError(f"{where}: {error}", expected="plain text with {name} references to its values") from None
    for _, name, spec, conversion in pieces:
        if name is not None and (not NAME.match(name) or spec or conversion):
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise SurveyError(f"{where}: {{{shown[:40]}}} is not a plain reference", expected="{name}, a key of its values")
    return [(literal, name) for literal, name, _, _ in pieces]


def fill(text: str, values: dict[str, dict], results: Results, settings: dict, where: str) -> Markup:
    """The finding's text, escaped, with each ``{name}`` replaced by its formatted value."""
    out = []
    for literal, name in references(" ".join(text.split()), where):
        out.append(str(escape(literal)))
        if name is None:
            continue
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise SurveyError(f"{where}: {{{name}}} is not one of its values ({known})", expected="a name declared under values")
        try:
            out.append(str(escape(format_value(results, values[name], settings))))
        except SurveyError as error:
            raise SurveyError(f"{where}, value {name!r}: {error.message}") from None
    return Markup("".join(out))
