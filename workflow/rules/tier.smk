rule tier:
    input:
        respondents=rules.clean.output.respondents,
        codebook=CODEBOOK,
        code=package("tier"),
    output:
        respondents=f"{WORK}/tier/respondents.arrow",
    log:
        f"{LOGS}/tier.log",
    conda:
        "../envs/surveyreport.yaml"
    params:
        tiers=config["tiers"],
    script:
        "../scripts/tier.py"
