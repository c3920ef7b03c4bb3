from surveyreport.errors import run_step
from surveyreport.stages import crosstab_stage

run_step(
    lambda: crosstab_stage(
        snakemake.input.respondents,
        snakemake.input.codebook,
        snakemake.params.tiers,
        snakemake.params.statistics,
        snakemake.params.title,
        dict(snakemake.output.items()),
    ),
    snakemake.log[0],
)
