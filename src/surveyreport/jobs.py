"""How a Snakemake job runs its stage: in a process of its own, forked from one that has the libraries imported.

Each rule's ``run:`` directive is one call, ``run_stage("<rule>", input, output, params, threads, log)``
(workflow/rules/common.smk). Run locally, Snakemake executes that call in a thread of its own process
(``force-use-threads`` in the workflow profile), and the stage runs in a child process forked by one of two fork
servers (multiprocessing's), which import side by side, on two cores: the data server imports what reading,
cleaning and tiering the responses take (pandas, pyarrow, pandera), soon done, so that the first job starts
early; the report server what the crosstabs, checks, charts and report take (scipy and statsmodels, matplotlib
and seaborn, which imports scipy too, WeasyPrint), ready by the time the tiers are. They start when Snakemake has
planned the run's jobs (Snakefile ``onstart``), importing what the planned stages import, or, for a study built
from nothing, while Snakemake reads the workflow (``start_early``); they are stopped when Snakemake's process
ends. Every job then starts with its libraries imported (not an interpreter start and seconds of imports per
job), and each job still has a process of its own: jobs run side by side on the run's cores, a job's state dies
with it, a failing job exits non-zero with its one line, and killing the run's process group ends its jobs. A
job Snakemake runs in a process of its own (a cluster job, or a run without the workflow profile) runs its stage
in that process; so does every job where the system has no fork server, or Python is not the version whose
multiprocessing internals the jobs' start follows (3.11, the environment's).
"""

from __future__ import annotations

import atexit
import io
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing import context, forkserver, popen_forkserver, process, reduction, spawn, util

from .errors import report_errors, run_step

# What every job imports (the job's own process unpickles its call through this module), and what the modules
# each stage names import where they are used (inside a function): without them here, every job imports them.
EVERY_JOB = (
    "pandas",
    "pyarrow",
    "pyarrow.feather",
    "pyarrow.pandas_compat",
    "pyarrow.vendored.version",
    "pandas.core.arrays.arrow.extension_types",
    "pandas.core.methods.to_dict",
    "pandas.io.formats.csvs",
    "surveyreport.stages",
    "surveyreport.publish",
    "surveyreport.jobs",
)
_VALIDATE = (
    "surveyreport.schemas",
    "pandera.backends.pandas.register",
    "pandera.backends.pandas.builtin_checks",
    "pandera.backends.pandas.builtin_hypotheses",
    "pandera.accessors.pandas_accessor",
    "pandera.strategies.pandas_strategies",
)
_RENDER = (
    "surveyreport.results",
    "surveyreport.checks",
    "surveyreport.context",
    "surveyreport.redact",
    "surveyreport.ledger",
    "surveyreport.templates",
    "surveyreport.standalone",
    "surveyreport.pdf",
    "weasyprint",
    "email.policy",
)
_CROSSTAB = (
    "surveyreport.crosstab",
    "surveyreport.grids",
    "surveyreport.scores",
    "surveyreport.workbook",
    "scipy.stats",
    "statsmodels.stats.proportion",
    "statsmodels.stats.multitest",
)
_CHARTS = (
    "surveyreport.results",
    "surveyreport.ledger",
    "surveyreport.charts",
    "matplotlib.backends.backend_svg",
    "matplotlib.backends.backend_agg",
)
# What each stage imports (surveyreport.stages): the fork servers import those of the run's stages once.
STAGE_MODULES = {
    "ingest": ("surveyreport.platforms", "surveyreport.qualtrics", "pyarrow.csv", *_VALIDATE),
    "clean": ("surveyreport.clean", *_VALIDATE),
    "tier": ("surveyreport.tiers", *_VALIDATE),
    "crosstab": _CROSSTAB,
    "charts": _CHARTS,
    "verify": ("surveyreport.results", "surveyreport.checks"),
    "render": _RENDER,
    "publish": (),
    "diff": ("surveyreport.diff", "surveyreport.diffreport"),
    "segments": ("surveyreport.segments", *_CROSSTAB),
    "segment_charts": _CHARTS,
    "segment_render": _RENDER,
}
# The stages whose jobs the report server forks; the data server forks the others.
REPORT_STAGES = frozenset({"crosstab", "verify", "charts", "render", "segments", "segment_charts", "segment_render"})
SERVERS = ("data", "report")
# The segments' split leads to their charts and renders, which the run plans only after it.
_FOLLOWERS = {"segments": ("segment_charts", "segment_render")}


def server_of(stage: str) -> str:
    """The fork server that forks the jobs of ``stage``."""
    return "report" if stage in REPORT_STAGES else "data"


def preload(stages=None, server: str | None = None) -> list[str]:
    """The modules a fork server (``server``; None: both) imports for a run of ``stages`` (None: every stage),
    each once."""
    planned = set(STAGE_MODULES if stages is None else stages)
    planned |= {follower for stage in planned for follower in _FOLLOWERS.get(stage, ())}
    names = [stage for stage in STAGE_MODULES if stage in planned and server in (None, server_of(stage))]
    return list(dict.fromkeys([*EVERY_JOB, *(module for stage in names for module in STAGE_MODULES[stage])]))


class StageFailed(Exception):
    """A job's stage stopped; what it found is the line above (and in the job's log)."""


_lock = threading.Lock()
_servers: dict[str, forkserver.ForkServer] = {}
FORK_PYTHON = (3, 11)  # the Python whose multiprocessing internals ``_Popen`` follows


def _forks() -> bool:
    """Whether jobs fork from the servers: where the system has a fork server and Python is the one ``_Popen``
    follows; elsewhere each job runs its stage in the process Snakemake runs it in (slower, never wrong)."""
    return sys.version_info[:2] == FORK_PYTHON and "forkserver" in multiprocessing.get_all_start_methods()


def start(stages=None) -> None:
    """Start the fork servers the run of ``stages`` (None: every stage) needs, each importing what its stages
    import and no more (a template edit's run, render alone, imports no statistics or charts); a server already
    started stays as it is."""
    if not _forks():
        return
    with _lock:
        for name in SERVERS:
            wanted = stages is None or any(server_of(stage) == name for stage in stages)
            if wanted and name not in _servers:
                server = forkserver.ForkServer()
                server.set_forkserver_preload(preload(stages, name))
                server.ensure_running()
                if not _servers:
                    atexit.register(stop)
                _servers[name] = server


def start_early(work: str) -> None:
    """For a study built from nothing (no work area ``work`` yet: every stage will run), start the fork servers
    while Snakemake reads the workflow and plans the jobs, so that their imports are done by the first job."""
    if not os.path.exists(work):
        start()


def plan(stages) -> None:
    """The stages whose jobs this process will run (Snakemake's ``onstart``; None: not known, every stage): start
    the servers they need, and stop those started early that they do not (a cluster runs the jobs)."""
    if stages is not None:
        stop({server_of(stage) for stage in stages})
    start(stages)


def stop(keep=()) -> None:
    """Stop the fork servers but those named in ``keep`` (every one at the end of Snakemake's process): none
    outlives the run, even while importing."""
    with _lock:
        for name in [name for name in _servers if name not in keep]:
            server = _servers.pop(name)
            os.close(server._forkserver_alive_fd)  # a server serving jobs ends at that
            try:
                os.kill(server._forkserver_pid, signal.SIGTERM)  # and one still importing, at this
                os.waitpid(server._forkserver_pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


class _Popen(popen_forkserver.Popen):
    """A process forked by one of the fork servers: multiprocessing's start of it (Python 3.11), but from the
    given server, and without running Snakemake's main module again in it (its command line: the job's process
    needs none of Snakemake, and importing it would take about a second)."""

    def __init__(self, process_obj, server: forkserver.ForkServer):
        self._server = server
        super().__init__(process_obj)

    def _launch(self, process_obj):
        self._fds += [1, 2]  # the job's standard output and error: this process's now (``_Job.run``)
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = self._server.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # the parent's sentinel in the child
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Job(process.BaseProcess):
    """A job's process, forked by the fork server named ``server`` (the process object is sent to it), with the
    run's standard output and error and ``environ``, its environment, as at the job's start (a server may have
    started before the run set some of it)."""

    _start_method = "forkserver"

    def __init__(self, server: str, environ: dict, **kwargs):
        super().__init__(**kwargs)
        self._server, self._environ = server, environ

    def _Popen(self, process_obj):
        return _Popen(process_obj, _servers[self._server])

    def run(self):
        import gc

        for fd, inherited in zip((1, 2), forkserver.get_inherited_fds()[:2], strict=True):
            os.dup2(inherited, fd)
            os.close(inherited)
        os.environ.clear()
        os.environ.update(self._environ)
        # What the server imported stays out of the job's garbage collections, and the job's own objects (WeasyPrint's
        # boxes: few cycles) are collected less often: together about a sixth of a render's time.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        super().run()


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
    if not fork or not _forks():
        if not report_errors(lambda: _stage(*call[:4]), call[4]):
            raise StageFailed(f"the {rule} job stopped (its log: {call[4]})")
        return
    start([rule])  # where no plan started its server (a job run on its own)
    job = _Job(server_of(rule), dict(os.environ), target=run_call, args=call, name=f"surveyreport {rule}")
    job.start()
    job.join()
    if job.exitcode != 0:
        ended = f"exit code {job.exitcode}" if job.exitcode > 0 else f"signal {-job.exitcode}"
        raise StageFailed(f"the {rule} job stopped ({ended}; its log: {call[4]})")


def _stage(rule: str, input: dict, output: dict, params: dict) -> None:
    from .stages import STAGES

    STAGES[rule](input, output, params)
