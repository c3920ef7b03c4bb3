import contextlib
import csv
import glob
import os
import re
import sys

from surveyreport.configuration import exit_on_error
from surveyreport.segments import about as segment_about
from surveyreport.study import load_study

# Where a study's jobs write; rule publish (publish.smk) replaces the study's results with the complete set.
WORK_AREA = "results/.work/{study}"

# A study built from nothing (no work area): the jobs' fork servers start importing now, beside Snakemake's reading
# of the workflow and planning of the jobs (src/surveyreport/jobs.py); else when the run's jobs are planned (onstart).
if workflow.is_main_process:
    from surveyreport.jobs import start_early

    start_early(WORK_AREA.format(study=config.get("study")))

# The study is a folder under config/, named by config/config.yaml or --config study=NAME;
# its own config.yaml (with any other --config keys over it) is the workflow's configuration.
with exit_on_error():
    STUDY = load_study(
        "config",
        config.get("study"),
        workflow.config_settings.overwrite_config,
        f"{workflow.basedir}/workflow/schemas",
    )
config.update(STUDY.config)
RESULTS = f"results/{STUDY.name}"
WORK = WORK_AREA.format(study=STUDY.name)
LOGS = f"logs/{STUDY.name}"
CODEBOOK = str(STUDY.codebook)
FIGURES = [str(STUDY.figures)] if STUDY.figures else []
REPORT = STUDY.report
EXHIBITS = [exhibit["id"] for exhibit in REPORT["exhibits"]]
FONTS = sorted(glob.glob("report/fonts/*.ttf"))
# The study's own templates first, then the generic layout every study template extends.
TEMPLATES = [str(p) for p in STUDY.templates] + sorted(glob.glob("report/*.j2"))
STYLESHEET = "report/style.css"
PACKAGE = "src/surveyreport"


def source_commit():
    """The commit the workflow runs from, marked when the tree has uncommitted changes."""
    import subprocess

    try:
        run = lambda *args: subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=workflow.basedir,
        ).stdout.strip()
        commit = run("rev-parse", "--short=12", "HEAD")
        dirty = run("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes" if dirty else "")


COMMIT = source_commit()


def package(stage):
    """The package's sources behind a stage, read from its imports; an edit to one reruns the stage."""
    from surveyreport.sources import stage_sources

    return stage_sources(PACKAGE, stage)


def release_scheduler_timers():
    """Let Snakemake exit as soon as the last job is done.

    After each scheduling round Snakemake's job rate limiter (``--max-jobs-per-timespan``,
    100 per second by default) starts a one-second ``threading.Timer``; Python waits for the
    last one before the process exits, adding up to a second to every run that executes jobs.
    """
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def require_export(path):
    """Stop before any job runs when the export is missing or not a file (one line naming it)."""
    from surveyreport.errors import file_problem

    problem = file_problem(path)
    if problem:
        sys.exit(f"export {problem}")


require_export(config["export"])


# Segment reports (segments.smk): the segments block, and where each segment's files go.
SEGMENTS = config.get("segments")
SEGMENT = f"{WORK}/segments/{{segment}}"
SPLIT = f"{WORK}/split"


def segment_group(wildcards):
    """The segment's group of the segments block."""
    return next(g for g in SEGMENTS["groups"] if g["id"] == wildcards.segment)


# The segment summary is a fixed target (every run checks it), the segments' reports follow from it.
SEGMENT_SUMMARY = [f"{WORK}/segments/segments.csv"] if SEGMENTS else []


def segment_files(wildcards):
    """The files each segment's report adds to the published set, once the split says which segments are built."""
    if not SEGMENTS:
        return []
    with open(checkpoints.segments.get().output.summary, encoding="utf-8") as handle:
        built = [
            row["segment"] for row in csv.DictReader(handle) if row["report"] == "built"
        ]
    outputs = rules.segment_render.output
    return [path.format(segment=segment) for segment in built for path in outputs]


def plan_jobs():
    """The stages of the jobs this process runs in threads of its own, told to the fork servers before the first
    job (Snakemake's onstart): every job's locally, the local rules' on a cluster, none without threads.
    """
    from surveyreport import jobs

    stages = None  # (a Snakemake whose graph is not where this looks: every stage's)
    with contextlib.suppress(AttributeError):
        here = lambda job: workflow.use_threads and (
            workflow.local_exec or job.is_local
        )
        stages = {job.rule.name for job in workflow.dag.needrun_jobs() if here(job)}
    jobs.plan(stages)


def run_stage(stage, input, output, params, threads, log):
    """A job's stage (the rule's ``run:`` directive), in a process forked for it when Snakemake runs the job in a
    thread of its own process (surveyreport/jobs.py), else in the job's process."""
    from surveyreport import jobs

    jobs.run_stage(
        stage, input, output, params, threads, log, fork=workflow.is_main_process
    )
