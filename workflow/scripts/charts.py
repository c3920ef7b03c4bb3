from surveyreport.errors import run_step
from surveyreport.stages import charts_stage

run_step(
    lambda: charts_stage(
        snakemake.input.crosstabs,
        snakemake.input.respondents,
        snakemake.input.codebook,
        snakemake.params.report,
        snakemake.params.tiers,
        snakemake.params.font_dir,
        list(snakemake.output.svgs),
        snakemake.output.ledger,
    ),
    snakemake.log[0],
)
