rule crosstab:
    input:
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        code=package("crosstab", "codebook", "tidy"),
    output:
        f"{RESULTS}/crosstab/crosstabs.csv",
    log:
        f"{LOGS}/crosstab.log",
    params:
        tiers=config["tiers"],
    script:
        "../scripts/crosstab.py"
