from surveyreport.errors import run_step
from surveyreport.stages import ingest

run_step(
    lambda: ingest(snakemake.input.export, snakemake.input.codebook, snakemake.output[0]),
    snakemake.log[0],
)
