import glob
import os
import sys

from surveyreport.configuration import exit_on_error, load_valid, validate

SCHEMAS = f"{workflow.basedir}/workflow/schemas"
with exit_on_error():
    validate(
        config,
        f"{SCHEMAS}/config.schema.yaml",
        ", ".join(map(str, workflow.configfiles)),
    )

STUDY = config["study"]["name"]
# Jobs write into WORK; rule publish (publish.smk) replaces RESULTS with the complete set.
RESULTS = f"results/{STUDY}"
WORK = f"results/.work/{STUDY}"
LOGS = f"logs/{STUDY}"
BENCHMARKS = f"benchmarks/{STUDY}"
with exit_on_error():
    REPORT = load_valid(
        config["report"], f"{SCHEMAS}/report.schema.yaml", "the report configuration"
    )
    load_valid(config["codebook"], f"{SCHEMAS}/codebook.schema.yaml", "the codebook")
    if config.get("published_figures"):
        load_valid(
            config["published_figures"],
            f"{SCHEMAS}/published_figures.schema.yaml",
            "the published figures",
        )
EXHIBITS = [exhibit["id"] for exhibit in REPORT["exhibits"]]
FONTS = sorted(glob.glob("report/fonts/*.ttf"))
TEMPLATES = sorted(glob.glob("report/*.j2")) + ["report/style.css"]
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


def package(*modules):
    """Package modules behind a step; edits to them rerun the step."""
    return [
        f"{PACKAGE}/{module}.py"
        for module in ("__init__", "errors", "atomic", "stages", *modules)
    ]


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
