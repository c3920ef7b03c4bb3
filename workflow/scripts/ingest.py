from surveyreport.errors import run_step
from surveyreport.stages import ingest

run_step(
    lambda: ingest(snakemake.input.export, snakemake.input.codebook, snakemake.params.export_format, snakemake.output[0]),
    snakemake.log[0],
)
