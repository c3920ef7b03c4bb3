# A study with a weights block (config/README.md, "Weights"): the tier job also rakes each
# respondent's weight and reports how (src/surveyreport/weights.py).
WEIGHTING = (
    {
        "weighting": f"{WORK}/tier/weighting.csv",
        "weight_targets": f"{WORK}/tier/weight_targets.csv",
    }
    if config.get("weights")
    else {}
)


rule tier:
    input:
        respondents=rules.clean.output.respondents,
        codebook=CODEBOOK,
        code=package("tier"),
    output:
        **WEIGHTING,
        respondents=f"{WORK}/tier/respondents.arrow",
    log:
        f"{LOGS}/tier.log",
    params:
        tiers=config["tiers"],
        weights=config.get("weights", {}),
    run:
        run_stage("tier", input, output, params, threads, log)
