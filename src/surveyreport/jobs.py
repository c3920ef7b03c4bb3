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
import sys
import threading

from .errors import report_errors

# What the stages import (surveyreport.stages imports each where it is used), imported once by the fork server.
# A forked process runs the main module again (Snakemake's command, which imports snakemake.cli) before the
# stage: imported here, that takes no time ("__main__" in the list would not do: the fork server is not told
# the main module's path).
PRELOAD = (
    "snakemake.cli",
    "pandas",
    "pyarrow",
    "surveyreport.stages",
    "surveyreport.platforms",
    "surveyreport.schemas",
    "surveyreport.clean",
    "surveyreport.tiers",
    "surveyreport.crosstab",
    "surveyreport.scores",
    "surveyreport.workbook",
    "surveyreport.results",
    "surveyreport.segments",
    "surveyreport.charts",
    "surveyreport.checks",
    "surveyreport.context",
    "surveyreport.ledger",
    "surveyreport.templates",
    "surveyreport.standalone",
    "surveyreport.pdf",
    "surveyreport.publish",
    "weasyprint",
)


class StageFailed(Exception):
    """A job's stage stopped; what it found is the line above (and in the job's log)."""


_server = threading.Lock()


def _fork_server() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    with _server:
        context.set_forkserver_preload(["__main__", *PRELOAD])
    return context


def stage_call(rule: str, input, output, params, threads: int, log) -> tuple:
    """A job's stage and its arguments as plain values (named lists as lists): what a forked process is sent."""
    from .stages import named

    return rule, named(input), named(output), {**named(params), "threads": threads}, (log[0] if log else None)


def run_call(rule: str, input: dict, output: dict, params: dict, log_path: str | None) -> None:
    """Run the stage of ``rule``: its one line on an error, and exit 1 (in the job's own process)."""
    from .stages import STAGES

    if not report_errors(lambda: STAGES[rule](input, output, params), log_path):
        sys.exit(1)


def run_stage(rule: str, input, output, params, threads: int, log, *, fork: bool) -> None:
    """A rule's ``run:`` directive: its stage, in a process forked for it (``fork``) or in this one."""
    call = stage_call(rule, input, output, params, threads, log)
    if not fork:
        if not report_errors(lambda: _stage(call), call[-1]):
            raise StageFailed(f"the {rule} job stopped (its log: {call[-1]})")
        return
    job = _fork_server().Process(target=run_call, args=call, name=f"surveyreport {rule}")
    job.start()
    job.join()
    if job.exitcode != 0:
        ended = f"exit code {job.exitcode}" if job.exitcode > 0 else f"signal {-job.exitcode}"
        raise StageFailed(f"the {rule} job stopped ({ended}; its log: {call[-1]})")


def _stage(call: tuple) -> None:
    from .stages import STAGES

    rule, input, output, params, _ = call
    STAGES[rule](input, output, params)
