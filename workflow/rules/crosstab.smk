rule crosstab:
    input:
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        code=package("crosstab", "codebook", "tidy"),
    output:
        f"{RESULTS}/crosstab/crosstabs.csv",
    params:
        tiers=config["tiers"],
    log:
        f"{LOGS}/crosstab.log",
    script:
        "../scripts/crosstab.py"
