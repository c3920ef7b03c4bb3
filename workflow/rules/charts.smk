rule charts:
    input:
        crosstabs=rules.crosstab.output[0],
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        fonts=FONTS,
        code=package("charts", "measures", "codebook", "tidy"),
    output:
        expand(f"{RESULTS}/charts/{{exhibit}}.svg", exhibit=EXHIBITS),
    params:
        report={"style": REPORT["style"], "exhibits": REPORT["exhibits"]},
        tiers=config["tiers"],
        font_dir="report/fonts",
    log:
        f"{LOGS}/charts.log",
    script:
        "../scripts/charts.py"
