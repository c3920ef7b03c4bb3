# The deliverables a reader uses (results/<study>/) are replaced only when a whole run succeeds:
# every job writes into the work area (results/.work/<study>/), and this last job publishes the
# complete set at once (src/surveyreport/publish.py). Its output is a manifest of what it
# published; before any job runs, an interrupted run's leftovers are removed and a published
# set edited by hand is noticed (the manifest is removed, so that the set is published again).

from snakemake.logging import logger

from surveyreport.errors import SurveyError
from surveyreport.publish import MANIFEST, prepare


include: "segments.smk"


if workflow.is_main_process:
    try:
        for note in prepare("results", STUDY.name, ".snakemake"):
            logger.warning(note)
    except SurveyError as error:
        sys.exit(str(error))


rule publish:
    input:
        files=[
            *rules.ingest.output,
            *rules.clean.output,
            *rules.tier.output,
            *rules.crosstab.output,
            *rules.charts.output,
            *rules.render.output,
            *rules.verify.output,
            *SEGMENT_SUMMARY,
        ],
        segments=segment_files,
        code=package("publish"),
    output:
        manifest=f"{WORK}/{MANIFEST}",
    log:
        f"{LOGS}/publish.log",
    localrule: True
    params:
        work=lambda wildcards, output: os.path.dirname(output[0]),
        published=RESULTS,
    run:
        run_stage("publish", input, output, params, threads, log)
