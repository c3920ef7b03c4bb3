from surveyreport.stages import run

run(snakemake)
