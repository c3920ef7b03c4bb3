rule tier:
    input:
        respondents=rules.clean.output.respondents,
        codebook=config["codebook"],
        code=package("tiers", "schemas", "codebook", "tidy"),
    output:
        f"{WORK}/tier/respondents.arrow",
    log:
        f"{LOGS}/tier.log",
    conda:
        "../envs/surveyreport.yaml"
    params:
        tiers=config["tiers"],
    script:
        "../scripts/tier.py"
