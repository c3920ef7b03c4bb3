rule clean:
    input:
        responses=rules.ingest.output[0],
        codebook=config["codebook"],
        code=package("clean", "codebook", "tidy"),
    output:
        respondents=f"{RESULTS}/clean/respondents.csv",
        dispositions=f"{RESULTS}/clean/dispositions.csv",
        attrition=f"{RESULTS}/clean/attrition.csv",
        recodes=f"{RESULTS}/clean/recodes.csv",
    params:
        cleaning=config["cleaning"],
    log:
        f"{LOGS}/clean.log",
    script:
        "../scripts/clean.py"
