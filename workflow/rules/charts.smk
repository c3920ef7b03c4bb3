rule charts:
    input:
        crosstabs=rules.crosstab.output.crosstabs,
        scores=rules.crosstab.output.scores,
        respondents=rules.tier.output.respondents,
        codebook=CODEBOOK,
        fonts=FONTS,
        code=package("charts"),
    output:
        svgs=report(
            expand(
                f"{WORK}/charts/{{exhibit}}{{layout}}.svg",
                exhibit=EXHIBITS,
                layout=["", ".phone"],  # as printed, and the HTML twin's on a phone
            ),
            caption="../report/chart.rst",
            category="Charts",
        ),
        ledger=f"{WORK}/charts/ledger.csv",
    log:
        f"{LOGS}/charts.log",
    threads: 2  # the phone layouts drawn beside the printed ones
    params:
        report={"style": REPORT["style"], "exhibits": REPORT["exhibits"]},
        statistics=config["statistics"],
        tiers=config["tiers"],
    run:
        run_stage("charts", input, output, params, threads, log)
