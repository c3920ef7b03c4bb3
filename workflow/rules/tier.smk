rule tier:
    input:
        respondents=rules.clean.output.respondents,
        codebook=config["codebook"],
        code=package("tiers", "codebook", "tidy"),
    output:
        f"{RESULTS}/tier/respondents.csv",
    params:
        tiers=config["tiers"],
    log:
        f"{LOGS}/tier.log",
    script:
        "../scripts/tier.py"
