rule render:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        respondents=rules.tier.output[0],
        attrition=rules.clean.output.attrition,
        export=config["export"],
        codebook=config["codebook"],
        charts=rules.charts.output.svgs,
        charts_ledger=rules.charts.output.ledger,
        templates=TEMPLATES,
        fonts=FONTS,
        figures=[config["published_figures"]] if config.get("published_figures") else [],
        code=package(
            "report",
            "formatting",
            "ledger",
            "measures",
            "stats",
            "codebook",
            "tidy",
        ),
    output:
        pdf=report(
            f"{WORK}/report.pdf", caption="../report/report.rst", category="Report"
        ),
        html=report(
            f"{WORK}/report.html", caption="../report/report.rst", category="Report"
        ),
        ledger=report(
            f"{WORK}/ledger.csv", caption="../report/report.rst", category="Report"
        ),
    log:
        f"{LOGS}/render.log",
    benchmark:
        f"{BENCHMARKS}/render.tsv"
    conda:
        "../envs/surveyreport.yaml"
    params:
        config={
            **{k: config[k] for k in ("study", "cleaning", "tiers", "statistics")},
            "commit": COMMIT,
        },
        report=REPORT,
        template_dir=lambda wildcards, input: os.path.dirname(input.templates[0]),
        fail=config["fail_on_unverified"],
    script:
        "../scripts/render.py"


rule verify:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        respondents=rules.tier.output[0],
        codebook=config["codebook"],
        figures=[config["published_figures"]] if config.get("published_figures") else [],
        code=package("measures", "ledger", "stats", "codebook", "tidy"),
    output:
        report(
            f"{WORK}/verification.md",
            caption="../report/verification.rst",
            category="Report",
        ),
    log:
        f"{LOGS}/verify.log",
    conda:
        "../envs/surveyreport.yaml"
    params:
        fail=config["fail_on_unverified"],
    script:
        "../scripts/verify.py"
