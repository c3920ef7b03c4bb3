from surveyreport.errors import run_step
from surveyreport.stages import verify_stage

run_step(
    lambda: verify_stage(
        snakemake.input.crosstabs,
        snakemake.input.respondents,
        snakemake.input.codebook,
        snakemake.input.figures[0] if snakemake.input.figures else None,
        snakemake.params.fail,
        snakemake.output[0],
    ),
    snakemake.log[0],
)
