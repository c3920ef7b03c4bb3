rule clean:
    input:
        responses=rules.ingest.output.responses,
        codebook=CODEBOOK,
        code=package("clean"),
    output:
        respondents=f"{WORK}/clean/respondents.arrow",
        dispositions=f"{WORK}/clean/dispositions.csv",
        attrition=report(
            f"{WORK}/clean/attrition.csv",
            caption="../report/attrition.rst",
            category="Cleaning",
        ),
        recodes=f"{WORK}/clean/recodes.csv",
    log:
        f"{LOGS}/clean.log",
    params:
        cleaning=config["cleaning"],
    run:
        run_stage("clean", input, output, params, threads, log)
