"""How a Snakemake job runs its stage: in a process of its own, forked from one that has the libraries imported.

Each rule's ``run:`` directive is one call, ``run_stage("<rule>", input, output, params, threads, log)``
(workflow/rules/common.smk). Run locally, Snakemake executes that call in a thread of its own process
(``force-use-threads`` in the workflow profile), and the stage runs in a child process forked by a fork
server: a process started at the run's first job, which imports pandas, pandera, scipy, statsmodels,
matplotlib and WeasyPrint once (about 2 s). Every job then starts with them imported (not an interpreter start and seconds of
imports per job), and each job still has a process of its own: jobs run side by side on the run's cores,
a job's state dies with it, a failing job exits non-zero with its one line, and killing the run's process
group ends its jobs. A job Snakemake runs in a process of its own (a cluster job, or a run without the
workflow profile) runs its stage in that process.
"""

from __future__ import annotations

import multiprocessing
import threading

from .errors import report_errors, run_step

# What every job imports. A forked process runs the main module again (Snakemake's command, which imports
# snakemake.cli) before its stage: imported by the server, that takes no time ("__main__" in the preload list
# would not do: the fork server is not told the main module's path).
EVERY_JOB = ("snakemake.cli", "pandas", "pyarrow", "surveyreport.stages", "surveyreport.publish")
_RENDER = (
    "surveyreport.results",
    "surveyreport.checks",
    "surveyreport.context",
    "surveyreport.ledger",
    "surveyreport.templates",
    "surveyreport.standalone",
    "surveyreport.pdf",
    "weasyprint",
)
_CROSSTAB = ("surveyreport.crosstab", "surveyreport.scores", "surveyreport.workbook")
_CHARTS = ("surveyreport.results", "surveyreport.ledger", "surveyreport.charts")
# What each stage imports where it is used (surveyreport.stages): the fork server imports those of the run's
# stages once. The segments' split leads to their charts and renders, which the run plans only after it.
STAGE_MODULES = {
    "ingest": ("surveyreport.platforms", "surveyreport.schemas"),
    "clean": ("surveyreport.clean", "surveyreport.schemas"),
    "tier": ("surveyreport.tiers", "surveyreport.schemas"),
    "crosstab": _CROSSTAB,
    "charts": _CHARTS,
    "verify": ("surveyreport.results", "surveyreport.checks"),
    "render": _RENDER,
    "publish": (),
    "diff": ("surveyreport.diff", "surveyreport.diffreport"),
    "segments": ("surveyreport.segments", *_CROSSTAB, *_CHARTS, *_RENDER),
    "segment_charts": _CHARTS,
    "segment_render": _RENDER,
}


def preload(stages=None) -> list[str]:
    """The modules the fork server imports for a run of ``stages`` (None: every stage), each once."""
    names = STAGE_MODULES if stages is None else [stage for stage in STAGE_MODULES if stage in stages]
    return list(dict.fromkeys([*EVERY_JOB, *(module for stage in names for module in STAGE_MODULES[stage])]))


class StageFailed(Exception):
    """A job's stage stopped; what it found is the line above (and in the job's log)."""


_server = threading.Lock()
_planned: list[str] | None = None  # the run's stages, once Snakemake has planned them (None: not known)


def plan(stages) -> None:
    """The stages the run is about to run (its jobs' rules): the fork server, started at the first job, imports
    what they import, and no more (a template edit's run, render alone, imports no statistics or charts)."""
    global _planned
    _planned = sorted(stages)


def _fork_server() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    with _server:  # before the server starts (the first job's call); later calls change nothing
        context.set_forkserver_preload(preload(_planned))
    return context


def stage_call(rule: str, input, output, params, threads: int, log) -> tuple:
    """A job's stage and its arguments as plain values (named lists as lists): what a forked process is sent."""
    from .stages import named

    return rule, named(input), named(output), {**named(params), "threads": threads}, (log[0] if log else None)


def run_call(rule: str, input: dict, output: dict, params: dict, log_path: str | None) -> None:
    """Run the stage of ``rule``: its one line on an error, and exit 1 (in the job's own process)."""
    run_step(lambda: _stage(rule, input, output, params), log_path)


def run_stage(rule: str, input, output, params, threads: int, log, *, fork: bool) -> None:
    """A rule's ``run:`` directive: its stage, in a process forked for it (``fork``, where the system has a fork
    server) or in this one."""
    call = stage_call(rule, input, output, params, threads, log)
    if not fork or "forkserver" not in multiprocessing.get_all_start_methods():
        if not report_errors(lambda: _stage(*call[:4]), call[4]):
            raise StageFailed(f"the {rule} job stopped (its log: {call[4]})")
        return
    job = _fork_server().Process(target=run_call, args=call, name=f"surveyreport {rule}")
    job.start()
    job.join()
    if job.exitcode != 0:
        ended = f"exit code {job.exitcode}" if job.exitcode > 0 else f"signal {-job.exitcode}"
        raise StageFailed(f"the {rule} job stopped ({ended}; its log: {call[4]})")


def _stage(rule: str, input: dict, output: dict, params: dict) -> None:
    from .stages import STAGES

    STAGES[rule](input, output, params)
