"""Nets of a closed question's answers: a matrix statement's top and bottom boxes, an NPS's promoters,
passives and detractors.

A net is one more row of the question's crosstab, with kind ``choice`` and id ``net:<net>``: its
count is the sum of its answers' counts, on the question's one base, so its interval, letters and
flags are computed, and its pairs tested and corrected, exactly as a single answer's are.
"""

from __future__ import annotations

from .codebook import Question

NO_ANSWER = "no_answer"  # crosstab.NO_ANSWER (crosstab imports this module)


def net_rows(question: Question, rows: list[dict]) -> list[dict]:
    """The question's nets in one banner column, from its answers' rows there (``crosstab.question_rows``)."""
    counts = {row["choice"]: row for row in rows}
    out = []
    for net in question.nets:
        first = counts[net.choices[0]]
        count = sum(counts[choice]["count"] for choice in net.choices)
        base = first["base"]
        out.append(
            {
                "choice": net.key,
                "choice_label": net.label,
                "kind": first["kind"],
                "count": count,
                "base": base,
                "question": question.id,
                "type": question.type,
                "column": first["column"],
                "respondents": first["respondents"],
                "pct": 100 * count / base if base else float("nan"),
            }
        )
    return out


def with_nets(question: Question, rows: list[dict]) -> list[dict]:
    """A question's rows in one banner column with its nets after its answers, before "No answer"."""
    if not question.nets:
        return rows
    answers = [row for row in rows if row["kind"] != NO_ANSWER]
    return answers + net_rows(question, rows) + [row for row in rows if row["kind"] == NO_ANSWER]
