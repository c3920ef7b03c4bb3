# Raw survey export -> cleaned respondents -> tiers -> crosstabs -> charts -> report PDF, then
# the whole set published at once to results/<study>/ (jobs write into results/.work/<study>/).
# Stages live in workflow/rules/, one file each; the logic in the surveyreport package.

import gc

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/tier.smk"
include: "workflow/rules/crosstab.smk"
include: "workflow/rules/charts.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/publish.smk"
include: "workflow/rules/diff.smk"


# Every deliverable is a target, so that one missing from the work area is made again.
rule all:
    input:
        rules.publish.input.files,
        rules.publish.output,
    localrule: True


onstart:
    plan_jobs()


onsuccess:
    release_scheduler_timers()
    print(
        f"The report: {RESULTS}/report.pdf (and report.html, the tables and charts beside it)"
    )


onerror:
    release_scheduler_timers()


# What Snakemake and the libraries made while reading the workflow, the bulk of what the process will hold, is
# left out of its garbage collections, above all the full one at its exit (about 0.4 s of every run).
gc.freeze()
