rule charts:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        respondents=rules.tier.output.respondents,
        codebook=CODEBOOK,
        fonts=FONTS,
        code=package("charts"),
    output:
        svgs=report(
            expand(f"{WORK}/charts/{{exhibit}}.svg", exhibit=EXHIBITS),
            caption="../report/chart.rst",
            category="Charts",
        ),
        ledger=f"{WORK}/charts/ledger.csv",
    log:
        f"{LOGS}/charts.log",
    benchmark:
        f"{BENCHMARKS}/charts.tsv"
    conda:
        "../envs/surveyreport.yaml"
    params:
        # the smallest base whose share a chart prints with a decimal (statistics.min_base) goes with the style
        report={"style": {**REPORT["style"], "min_base": config["statistics"]["min_base"]}, "exhibits": REPORT["exhibits"]},
        tiers=config["tiers"],
    script:
        "../scripts/charts.py"
