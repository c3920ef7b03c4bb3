rule render:
    input:
        **WEIGHTING,
        crosstabs=rules.crosstab.output.crosstabs,
        scores=rules.crosstab.output.scores,
        pairwise=rules.crosstab.output.pairwise,
        respondents=rules.tier.output.respondents,
        attrition=rules.clean.output.attrition,
        export=config["export"],
        codebook=CODEBOOK,
        charts=rules.charts.output.svgs,
        charts_ledger=rules.charts.output.ledger,
        templates=TEMPLATES,
        stylesheet=STYLESHEET,
        screen_stylesheet="report/screen.css",
        fonts=FONTS,
        figures=FIGURES,
        code=package("render"),
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
    params:
        config={
            "study": config["about"],
            **{k: config[k] for k in ("cleaning", "tiers", "banners", "statistics")},
            "commit": COMMIT,
        },
        report=REPORT,
        template_dirs=[str(STUDY.folder), "report"],
        fail=config["fail_on_unverified"],
    run:
        run_stage("render", input, output, params, threads, log)


rule verify:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        scores=rules.crosstab.output.scores,
        respondents=rules.tier.output.respondents,
        codebook=CODEBOOK,
        figures=FIGURES,
        code=package("verify"),
    output:
        verification=report(
            f"{WORK}/verification.md",
            caption="../report/verification.rst",
            category="Report",
        ),
    log:
        f"{LOGS}/verify.log",
    params:
        fail=config["fail_on_unverified"],
    run:
        run_stage("verify", input, output, params, threads, log)
