"""How a job runs its stage (surveyreport.jobs): in a process forked for it, or in the job's own process."""

from __future__ import annotations

import importlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from surveyreport import jobs
from surveyreport.errors import SurveyError
from surveyreport.stages import _beside

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", jobs.preload())
def test_every_module_the_fork_server_imports_exists(module):
    """The fork server passes over a name it cannot import: a typo would cost every job its import, silently."""
    importlib.import_module(module)


def test_every_stage_names_what_the_fork_server_imports_for_it():
    from surveyreport.stages import STAGES

    assert set(jobs.STAGE_MODULES) == set(STAGES)


def test_a_run_of_the_render_alone_imports_no_statistics_or_charts_and_segments_get_what_follows_them():
    assert not {"surveyreport.crosstab", "surveyreport.charts", "surveyreport.schemas"} & set(jobs.preload({"render", "publish"}))
    assert "weasyprint" in jobs.preload({"render", "publish"})
    assert {"surveyreport.charts", "weasyprint"} <= set(jobs.preload({"segments", "publish"}))
    assert jobs.preload() == jobs.preload(jobs.STAGE_MODULES), "not known: every stage's"


def test_the_data_and_the_report_libraries_are_imported_by_two_servers():
    """Reading, cleaning and tiering need neither statistics nor charts: their server is soon ready."""
    data, report = jobs.preload(None, "data"), jobs.preload(None, "report")
    data_libraries, report_libraries = {"surveyreport.schemas"}, {"surveyreport.crosstab", "surveyreport.charts", "weasyprint"}
    assert data_libraries <= set(data) and not report_libraries & set(data)
    assert report_libraries <= set(report) and not data_libraries & set(report)
    assert not any(module.startswith("snakemake") for module in jobs.preload()), "a job's process needs none of Snakemake"
    assert jobs.preload({"render", "publish"}, "report") == jobs.preload({"render"}, "report")
    assert "weasyprint" in jobs.preload({"segments"}, "report"), "the segments' split leads to their renders"


def test_a_run_starts_the_servers_its_stages_need_and_stops_them(tmp_path):
    jobs.stop()
    try:
        jobs.start_early(str(tmp_path))  # a work area already there: no study built from nothing
        assert jobs._servers == {}
        jobs.plan({"render", "publish"})
        assert set(jobs._servers) == {"data", "report"}
        pids = {name: server._forkserver_pid for name, server in jobs._servers.items()}
        jobs.plan({"publish"})  # a cluster's run: the local rule's jobs alone fork here
        assert set(jobs._servers) == {"data"} and jobs._servers["data"]._forkserver_pid == pids["data"]
    finally:
        jobs.stop()
    assert jobs._servers == {}
    for pid in pids.values():
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # ended, and reaped


def test_a_template_edit_starts_the_report_server_alone():
    jobs.stop()
    try:
        jobs.plan({"render"})
        assert set(jobs._servers) == {"report"}
    finally:
        jobs.stop()


def write_variable(path, name):
    Path(path).write_text(os.environ.get(name, "not set"))


def test_a_forked_job_has_the_runs_environment_at_its_start(tmp_path, monkeypatch):
    jobs.start(["ingest"])  # before the variable is set, as a server started early is
    monkeypatch.setenv("SURVEYREPORT_TEST_VARIABLE", "set after the server started")
    job = jobs._Job("data", dict(os.environ), target=write_variable, args=(tmp_path / "seen", "SURVEYREPORT_TEST_VARIABLE"))
    job.start()
    job.join()
    assert job.exitcode == 0 and (tmp_path / "seen").read_text() == "set after the server started"


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "in the job's process"])
def test_a_stage_that_stops_is_one_line_and_the_job_fails_naming_its_log(tmp_path, capfd, fork):
    log = tmp_path / "logs" / "ingest.log"
    missing = tmp_path / "export.csv"
    inputs = {"export": str(missing), "codebook": str(ROOT / "config" / "sales-training-2012" / "codebook.yaml")}
    handlers = logging.getLogger().handlers[:]
    with pytest.raises(jobs.StageFailed, match=f"the ingest job stopped .*its log: {log}"):
        jobs.run_stage(
            "ingest", inputs, {"responses": str(tmp_path / "r.arrow")}, {"export_format": "auto"}, 1, [str(log)], fork=fork
        )
    line = log.read_text()
    assert line.startswith(f"ERROR surveyreport: {missing}: no such file") and line.count("\n") == 1
    err = capfd.readouterr().err
    assert line in err and "Traceback" not in err
    assert not (tmp_path / "r.arrow").exists()
    assert logging.getLogger().handlers == handlers, "the job's logging set-up is undone in the job's process"


def test_a_forked_stage_writes_its_outputs(tmp_path):
    codebook = str(ROOT / "config" / "sales-training-2012" / "codebook.yaml")
    export = str(ROOT / "data" / "raw" / "sales_training_2012_qualtrics.csv")
    out = tmp_path / "responses.arrow"
    jobs.run_stage(
        "ingest",
        {"export": export, "codebook": codebook},
        {"responses": str(out)},
        {"export_format": "auto"},
        1,
        [str(tmp_path / "ingest.log")],
        fork=True,
    )
    assert out.stat().st_size > 0
    assert (tmp_path / "ingest.log").read_text().endswith(f"INFO surveyreport: read 206 responses from {export}\n")


@pytest.mark.parametrize("processes", [1, 2])
def test_work_beside_the_job_is_done_on_one_process_or_two(tmp_path, processes):
    _beside(lambda: (tmp_path / "task").write_text("task"), lambda: (tmp_path / "main").write_text("main"), processes)
    assert (tmp_path / "task").read_text() == "task" and (tmp_path / "main").read_text() == "main"


def test_work_beside_the_job_that_fails_stops_the_job_with_its_one_line(tmp_path):
    def task():
        open(tmp_path / "missing" / "chart.svg", "w")

    with pytest.raises(SurveyError, match=f"^{tmp_path}/missing/chart.svg: no such file or directory$"):
        _beside(task, lambda: None, 2)


def test_a_fault_of_the_code_beside_the_job_is_raised_with_its_traceback():
    def task():
        raise KeyError("tier")

    with pytest.raises(RuntimeError, match="(?s)Traceback.*KeyError: 'tier'"):
        _beside(task, lambda: None, 2)


def test_an_error_of_the_jobs_own_work_comes_first(tmp_path):
    def task():
        raise SurveyError("the same data's problem")

    def main():
        raise SurveyError("the data's problem")

    with pytest.raises(SurveyError, match="^the data's problem$"):
        _beside(task, main, 2)


def test_work_beside_a_job_that_runs_in_a_thread_is_done(tmp_path):
    """A job Snakemake runs in a process of its own (a cluster job) runs in a thread of its pool, and forks there:
    the fork's end runs none of the job's exit handlers (the pool's would join the fork's one thread)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_beside, lambda: (tmp_path / "task").write_text("task"), lambda: None, 2).result()
    assert (tmp_path / "task").read_text() == "task"


@pytest.mark.parametrize("lacks", ["a fork server", "the Python the job's start follows"])
def test_a_system_without_a_fork_server_runs_the_stage_in_the_jobs_process(tmp_path, monkeypatch, lacks):
    if lacks == "a fork server":
        monkeypatch.setattr(jobs.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    else:
        monkeypatch.setattr(jobs, "FORK_PYTHON", (3, 99))
    monkeypatch.setattr(jobs, "start", lambda stages=None: pytest.fail("no fork server here"))
    log = tmp_path / "ingest.log"
    with pytest.raises(jobs.StageFailed):
        jobs.run_stage("ingest", {"export": str(tmp_path / "x.csv"), "codebook": "x"}, {}, {}, 1, [str(log)], fork=True)
    assert log.read_text().startswith("ERROR surveyreport: ")


def test_a_stage_keeps_numpys_arrays_off_huge_pages_unless_the_variable_says_otherwise(monkeypatch):
    from numpy._core.multiarray import _set_madvise_hugepage  # sets the hint, and returns the one it replaces

    from surveyreport.stages import _memory

    before = _set_madvise_hugepage(True)
    try:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        _memory()
        assert _set_madvise_hugepage(True) is False
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        _memory()
        assert _set_madvise_hugepage(True) is True
    finally:
        _set_madvise_hugepage(before)
