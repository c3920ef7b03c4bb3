rule crosstab:
    input:
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        code=package("crosstab", "stats", "workbook", "codebook", "tidy"),
    output:
        crosstabs=f"{RESULTS}/crosstab/crosstabs.csv",
        chisquare=f"{RESULTS}/crosstab/chisquare.csv",
        workbook=f"{RESULTS}/crosstab/crosstabs.xlsx",
    log:
        f"{LOGS}/crosstab.log",
    benchmark:
        f"{BENCHMARKS}/crosstab.tsv"
    params:
        tiers=config["tiers"],
        statistics=config["statistics"],
        title=config["study"]["title"],
    script:
        "../scripts/crosstab.py"
