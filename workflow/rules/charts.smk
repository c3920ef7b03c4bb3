rule charts:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        fonts=FONTS,
        code=package(
            "charts", "formatting", "ledger", "measures", "stats", "codebook", "tidy"
        ),
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
        report={"style": REPORT["style"], "exhibits": REPORT["exhibits"]},
        tiers=config["tiers"],
        font_dir=lambda wildcards, input: os.path.dirname(input.fonts[0]),
    script:
        "../scripts/charts.py"
