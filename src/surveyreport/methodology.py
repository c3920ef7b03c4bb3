"""The sentences of the method that the report and the workbook both state: how groups are tested,
when they are not, how p-values are adjusted, what intervals and multi-answer shares are.

One source for the report's methodology and appendix (the render context gives this module to the
templates as ``methodology``) and the workbook's notes under each table. Numbers are passed in as
printed: the templates pass them through their recording filters (``setting``, ``constant``).
Each sentence is ``Markup``: its fixed words are the report's own, its numbers escaped.
"""

from __future__ import annotations

from markupsafe import Markup

# statistics.correction: its name in a note, and the method as the methodology names it
CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg (false discovery rate)"}
CORRECTION_METHODS = {
    "holm": "Holm's step-down method",
    "bonferroni": "the Bonferroni method",
    "fdr_bh": "the Benjamini–Hochberg procedure, which bounds the expected share of false letters rather than the chance of any",
}
# statistics.family: over which tests p-values are adjusted, in the methodology and in the appendix's note
FAMILY_TESTS = {
    "row": "the pairs of groups on each answer",
    "table": "all the tests of the same table",
    "report": "all of them together",
}
FAMILY_IN = {"row": "on this answer", "table": "of this question", "report": "in the report"}
FAMILY_SCOPES = {"row": "within the row", "table": "within the table", "report": "over the report"}


def _sentence(text: str, **numbers: str) -> Markup:
    return Markup(text).format(**numbers)


def pair_test(expected: str) -> Markup:
    """The test of two groups' shares: "a pooled two-proportion z-test, or Fisher's exact test where …"."""
    return _sentence(
        "a pooled two-proportion z-test, or Fisher's exact test where a cell of the two groups' table expects "
        "fewer than {expected} answers",
        expected=expected,
    )


def untested(min_base: str, none: str, every: str) -> Markup:
    """When two groups are not compared: "a base is under 30 or both shares are 0% or both 100%"."""
    return _sentence(
        "a base is under {min_base} or both shares are {none} or both {every}", min_base=min_base, none=none, every=every
    )


def several_answers(every: str) -> Markup:
    """What a question allowing several answers does to its shares."""
    return _sentence("shares can add up to more than {every}", every=every)


def per_estimate() -> Markup:
    """What an interval beside a letter is not."""
    return Markup("not adjusted for the number of comparisons")


def simulated(tables: str) -> Markup:
    """Where a chi-square p-value comes from when Cochran's rule fails."""
    return _sentence("{tables} simulated tables with the same margins", tables=tables)


def within_blocks() -> Markup:
    """How banner columns are compared."""
    return Markup("compared only within the block, its p-values adjusted apart from the other blocks'")
