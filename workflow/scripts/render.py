from surveyreport.errors import run_step
from surveyreport.stages import render_stage

run_step(
    lambda: render_stage(
        snakemake.input.crosstabs,
        snakemake.input.respondents,
        snakemake.input.attrition,
        snakemake.input.export,
        snakemake.input.codebook,
        snakemake.params.template_dir,
        list(snakemake.input.charts),
        snakemake.input.charts_ledger,
        snakemake.params.config,
        snakemake.params.report,
        snakemake.input.figures[0] if snakemake.input.figures else None,
        snakemake.params.fail,
        dict(snakemake.output.items()),
    ),
    snakemake.log[0],
)
