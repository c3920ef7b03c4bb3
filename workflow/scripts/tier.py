from surveyreport.errors import run_step
from surveyreport.stages import tier_stage

run_step(
    lambda: tier_stage(
        snakemake.input.respondents, snakemake.input.codebook, snakemake.params.tiers, snakemake.output[0]
    ),
    snakemake.log[0],
)
