rule clean:
    input:
        responses=rules.ingest.output[0],
        codebook=config["codebook"],
        code=package("clean", "schemas", "codebook", "tidy"),
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
    conda:
        "../envs/surveyreport.yaml"
    params:
        cleaning=config["cleaning"],
    script:
        "../scripts/clean.py"
