import os

from surveyreport.errors import run_step
from surveyreport.publish import publish

run_step(
    lambda: publish(
        snakemake.params.work,
        [os.path.relpath(path, snakemake.params.work) for path in snakemake.input.files],
        snakemake.params.published,
        snakemake.output[0],
    ),
    snakemake.log[0],
)
