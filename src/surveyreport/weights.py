"""Rim weighting (raking): one weight per respondent so that single-choice answers match targets.

The study's ``weights`` block names, per single-choice question, the population share of
each choice. weightipy's RIM engine (iterative proportional fitting, the algorithm of
Quantipy and of R's ``rake``) rakes the weights to those margins, optionally capping them
at ``trim.max`` (relative to a mean weight of 1) at every iteration, as anesrake does. The result is checked here: every weighted share must be within ``tolerance`` of
its target, or the stage stops naming the worst one. Weights average 1, so their sum is the
number of respondents. Respondents who did not answer a target question keep their sample
share of it (a cell of their own, targeted at that share): the targets describe those who
answered.

The summary reports the convergence (iterations, the largest gap to a target) and the cost
of the weights: Kish's effective sample size, (sum w)^2 / sum w^2, the weighting efficiency
(effective over actual size) and the design effect of weighting (its inverse), and the
smallest and largest weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .codebook import Codebook
from .errors import SurveyError

if TYPE_CHECKING:  # numpy and pandas are imported where used: the configuration's check needs neither
    import numpy as np
    import pandas as pd

WEIGHT = "weight"  # the tidy table's column of weights, where the study is weighted
DEFAULTS = {"max_iterations": 1000, "tolerance": 1e-6}
SHARE_SUM_TOLERANCE = 1e-6  # the shares of one question's targets add up to 1 within this
TARGET_COLUMNS = ["question", "choice", "target", "unweighted", "weighted", "gap"]
NO_ANSWER = "no_answer"  # the target table's row of those who did not answer (shares of everyone; others of those who answered)


def settings(weights: dict) -> dict:
    """The weights block with its defaults filled in."""
    return {**DEFAULTS, **weights}


def effective_base(weights) -> float:
    """Kish's effective sample size of a set of weights: (sum w)^2 / sum w^2 (0 for none)."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    squares = float((w * w).sum())
    return float(w.sum()) ** 2 / squares if squares else 0.0


def target_problems(weights: dict, codebook: Codebook) -> list[str]:
    """What is wrong with the targets, for the configuration's check: questions, choices, sums."""
    problems = []
    for question_id, shares in weights["targets"].items():
        where = f"weights.targets.{question_id}"
        question = next((q for q in codebook.questions if q.id == question_id), None)
        if question is None or not question.closed or question.multi:
            singles = ", ".join(q.id for q in codebook.closed if not q.multi)
            problems.append(f"{where}: {question_id!r} is not a single-choice question of the codebook ({singles[:200]})")
            continue
        known = [c.id for c in question.choices]
        problems += [
            f"{where}: {choice!r} is not a choice of {question_id!r} ({', '.join(known)[:200]})"
            for choice in shares
            if choice not in known
        ]
        total = sum(shares.values())
        if abs(total - 1) > SHARE_SUM_TOLERANCE:
            problems.append(f"{where}: the shares add up to {total:.6g}, not 1 (within {SHARE_SUM_TOLERANCE:g})")
    return problems


def check_answers(respondents: pd.DataFrame, targets: dict, source: str) -> None:
    """Every answer given to a weighting question has a target, and every target has respondents
    (raking cannot give weight to nobody); else one line naming the first case."""
    import numpy as np

    for question, shares in targets.items():
        answers = respondents[question].astype("object")
        untargeted = answers.notna() & ~answers.isin(list(shares))
        if untargeted.any():
            first = int(np.flatnonzero(untargeted.to_numpy())[0])
            raise SurveyError(
                f"weights.targets.{question}: response {respondents['response_id'].iloc[first]} answers "
                f"{answers.iloc[first]!r}, which has no target ({int(untargeted.sum())} respondent(s) in all)",
                file=source,
                column=question,
                expected="a target for every answer respondents give to a weighting question",
            )
        empty = [choice for choice in shares if not (answers == choice).any()]
        if empty:
            raise SurveyError(
                f"weights.targets.{question}: no respondent chose {empty[0]!r}, so no weight can make up its target "
                f"of {shares[empty[0]]:.1%}",
                file=source,
                column=question,
                expected="targets only for answers some respondent gave (merge the empty one into a neighbour)",
            )


def _rim(frame: pd.DataFrame, weights: dict) -> tuple[np.ndarray, int]:
    """weightipy's raking of ``frame`` to the targets: (weights averaging 1, iterations)."""
    import contextlib
    import io

    import pandas as pd
    import weightipy

    params = {"max_iterations": weights["max_iterations"], "cap": weights.get("trim", {}).get("max", 0)}
    columns, percentages = {}, {}
    for question, shares in weights["targets"].items():
        answers = frame[question].astype("object")
        held = float(answers.isna().mean())  # those who did not answer keep their share
        percentages[question] = {c: 100 * s * (1 - held) for c, s in shares.items()}
        if held:
            percentages[question][NO_ANSWER] = 100 * held
        columns[question] = answers.fillna(NO_ANSWER).astype(str)
    scheme = weightipy.scheme_from_dict(percentages, name=WEIGHT, rim_params=params)
    scheme.anesrake_cap_correction = False  # hold the cap as configured, not 0.0001 above it
    with contextlib.redirect_stdout(io.StringIO()):  # its convergence notes: checked below instead
        result = weightipy.weight(pd.DataFrame(columns).reset_index(drop=True), scheme)
    iterations = next(iter(scheme.groups.values()))["iterations"]
    return result.to_numpy(dtype=float), int(iterations)


def target_table(respondents: pd.DataFrame, w: np.ndarray, targets: dict) -> pd.DataFrame:
    """Each target beside the unweighted and the weighted share of those who answered, and the gap between
    weighted and target; where some did not answer, a ``no_answer`` row of their share of everyone (held)."""
    import pandas as pd

    rows = []
    for question, shares in targets.items():
        values = respondents[question].astype("object")
        answers, answered = values.to_numpy(), values.notna().to_numpy()
        for choice, target in shares.items():
            chosen = answers == choice
            weighted = float(w[chosen].sum() / w[answered].sum())
            rows.append([question, choice, float(target), float(chosen.sum() / answered.sum()), weighted, weighted - target])
        if not answered.all():
            held, weighted = float((~answered).mean()), float(w[~answered].sum() / w.sum())
            rows.append([question, NO_ANSWER, held, held, weighted, weighted - held])
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def summary(w: np.ndarray, iterations: int, targets: pd.DataFrame, weights: dict) -> pd.DataFrame:
    """The convergence and cost of the weights, one measure a row."""
    import pandas as pd

    cap = weights.get("trim", {}).get("max")
    n, n_eff = len(w), effective_base(w)
    measures = [
        ("respondents", n),
        ("iterations", iterations),
        ("max_iterations", weights["max_iterations"]),
        ("largest_gap_to_target", float(targets["gap"].abs().max())),
        ("tolerance", weights["tolerance"]),
        ("trim_max", "" if cap is None else cap),
        ("weights_at_trim_max", "" if cap is None else int((w >= cap * (1 - 1e-9)).sum())),
        ("min_weight", float(w.min())),
        ("max_weight", float(w.max())),
        ("sum_of_weights", float(w.sum())),
        ("effective_sample_size", n_eff),
        ("efficiency", n_eff / n),
        ("design_effect", n / n_eff),
    ]
    return pd.DataFrame({"measure": [m for m, _ in measures], "value": pd.Series([v for _, v in measures], dtype=object)})


def rake(respondents: pd.DataFrame, weights: dict, source: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The respondents with a ``weight`` column, the weighting summary and the target table.

    Stops with one line where an answer given has no target, a target has no respondents, or the
    weighted shares miss a target by more than ``tolerance`` (a cap too low for the targets,
    or too few iterations).
    """
    import numpy as np

    weights = settings(weights)
    targets = weights["targets"]
    check_answers(respondents, targets, source)
    w, iterations = _rim(respondents, weights)
    table = target_table(respondents, w, targets)
    worst = table.loc[table["gap"].abs().idxmax()]
    if not np.isfinite(w).all() or abs(worst["gap"]) > weights["tolerance"]:
        hint = "a higher weights.trim.max, or more weights.max_iterations" if "trim" in weights else "more weights.max_iterations"
        raise SurveyError(
            f"weights: after {iterations} iterations the weighted share of {worst['question']}={worst['choice']} is "
            f"{worst['weighted']:.6f} against a target of {worst['target']:.6f}, beyond the tolerance {weights['tolerance']:g}",
            file=source,
            expected=f"targets the weights can meet ({hint})",
        )
    weighted = respondents.copy()
    weighted[WEIGHT] = w
    return weighted, summary(w, iterations, table, weights), table
