rule crosstab:
    input:
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        code=package("crosstab", "stats", "workbook", "codebook", "tidy"),
    output:
        crosstabs=report(
            f"{RESULTS}/crosstab/crosstabs.csv",
            caption="../report/crosstabs.rst",
            category="Crosstabs",
        ),
        chisquare=f"{RESULTS}/crosstab/chisquare.csv",
        workbook=report(
            f"{RESULTS}/crosstab/crosstabs.xlsx",
            caption="../report/crosstabs.rst",
            category="Crosstabs",
        ),
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
