from surveyreport.errors import run_step
from surveyreport.stages import clean_stage

run_step(
    lambda: clean_stage(
        snakemake.input.responses,
        snakemake.input.codebook,
        snakemake.params.cleaning,
        dict(snakemake.output.items()),
    ),
    snakemake.log[0],
)
