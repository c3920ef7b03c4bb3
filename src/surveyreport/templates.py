"""The report's templates: a sandboxed Jinja2 environment with the number filters, and the HTML it renders.

Every number the templates print comes from a Results look-up through a formatting filter;
nothing is typed in.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2
import jinja2.sandbox

from .codebook import Codebook
from .errors import SurveyError
from .formatting import constant, long_date, lower, pair_test_of, pct, pct1, ratio_ci, setting, times, verdict, words
from .results import Results, Share


def choice_label(codebook: Codebook):
    """The filter printing the label of a share's answer."""

    def label(share: Share) -> str:
        return codebook.question(share.question).choice(share.choices[0]).label

    return label


def environment(
    template_dirs: str | Path | list | None = None,
    codebook: Codebook | None = None,
    settings: dict | None = None,
    results: Results | None = None,
) -> jinja2.Environment:
    """Sandboxed, autoescaping, strict templates with the number filters.

    Given a codebook, ``choice_label``; given the study's settings (tiers, statistics), ``verdict``,
    the sentence of a significance test (with its p-values, given the results). Templates cannot reach Python internals or change the
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
        pct=pct,
        pct1=pct1,
        times=times,
        ratio_ci=ratio_ci,
        words=words,
        long_date=long_date,
        setting=setting,
        constant=constant,
        lower=lower,
    )
    if codebook is not None:
        env.filters["choice_label"] = choice_label(codebook)
    if settings is not None:
        labels = {level["id"]: level["label"] for level in settings["tiers"]["levels"]}
        min_base = settings["statistics"]["min_base"]
        env.filters["verdict"] = lambda comparison: verdict(
            comparison, min_base, labels, test=pair_test_of(comparison, results, settings) if results is not None else None
        )
        env.filters["pct1"] = lambda share: pct1(share, min_base)
    return env


def render_html(template_dirs: list, context: dict, template: str = "layout.html.j2") -> str:
    """The report's HTML from ``template``, looked up in ``template_dirs`` in order (the study's folder, then ``report/``)."""
    env = environment(template_dirs, context["codebook"], context["settings"], context.get("r"))
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateNotFound as error:
        where = " or ".join(str(d) for d in template_dirs)
        raise SurveyError(
            f"no report template {error.name!r} in {where}", expected="a template in the study's folder or report/"
        ) from None
    except jinja2.TemplateError as error:
        raise SurveyError(
            f"{_template_line(error)}: {error}", expected="a template that renders with the study's results"
        ) from None


def _template_line(error: jinja2.TemplateError) -> str:
    """Where in the templates an error arose: the file and line of the innermost template frame."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith((".j2", ".html"))]
    if isinstance(error, jinja2.TemplateSyntaxError) and error.filename:
        return f"{error.filename}, line {error.lineno}"
    return f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else "the report's templates"
