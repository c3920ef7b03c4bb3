# Segment reports (config/README.md, "Segments"): with a segments block, the tiered respondents
# are split once (checkpoint segments), and each segment large enough gets its own crosstabs,
# charts and report in results/<study>/segments/<segment>/, published with the rest of the set.
# Without the block, none of these rules runs and the published set is the full report's alone.

if SEGMENTS:

    wildcard_constraints:
        segment="|".join(re.escape(g["id"]) for g in SEGMENTS["groups"]),

    checkpoint segments:
        input:
            respondents=rules.tier.output.respondents,
            attrition=rules.clean.output.attrition,
            codebook=CODEBOOK,
            code=package("segments"),
        output:
            tables=directory(SPLIT),
            summary=SEGMENT_SUMMARY[0],
        log:
            f"{LOGS}/segments.log",
        conda:
            "../envs/surveyreport.yaml"
        params:
            segments=SEGMENTS,
            min_respondents=config["cleaning"]["min_respondents"],
        script:
            "../scripts/segments.py"

    use rule crosstab as segment_crosstab with:
        input:
            **WEIGHTING,
            respondents=f"{SPLIT}/{{segment}}.arrow",
            codebook=CODEBOOK,
            code=package("crosstab"),
        output:
            crosstabs=f"{SEGMENT}/crosstab/crosstabs.csv",
            chisquare=f"{SEGMENT}/crosstab/chisquare.csv",
            scores=f"{SEGMENT}/crosstab/scores.csv",
            workbook=f"{SEGMENT}/crosstab/crosstabs.xlsx",
        log:
            f"{LOGS}/segments/{{segment}}/crosstab.log",
        benchmark:
            f"{BENCHMARKS}/segments/{{segment}}/crosstab.tsv"

    use rule charts as segment_charts with:
        input:
            crosstabs=rules.segment_crosstab.output.crosstabs,
            scores=rules.segment_crosstab.output.scores,
            respondents=f"{SPLIT}/{{segment}}.arrow",
            codebook=CODEBOOK,
            fonts=FONTS,
            code=package("charts"),
        output:
            svgs=expand(
                f"{SEGMENT}/charts/{{exhibit}}{{layout}}.svg",
                exhibit=EXHIBITS,
                layout=["", ".phone"],
                allow_missing=True,
            ),
            ledger=f"{SEGMENT}/charts/ledger.csv",
        log:
            f"{LOGS}/segments/{{segment}}/charts.log",
        benchmark:
            f"{BENCHMARKS}/segments/{{segment}}/charts.tsv"

    # The published figures are the full sample's: a segment's report checks none, and a claim
    # the segment's data do not support is printed marked, as unsupported_claims: mark does.
    use rule render as segment_render with:
        input:
            **WEIGHTING,
            crosstabs=rules.segment_crosstab.output.crosstabs,
            scores=rules.segment_crosstab.output.scores,
            respondents=f"{SPLIT}/{{segment}}.arrow",
            attrition=f"{SPLIT}/{{segment}}.attrition.csv",
            export=config["export"],
            codebook=CODEBOOK,
            charts=rules.segment_charts.output.svgs,
            charts_ledger=rules.segment_charts.output.ledger,
            templates=TEMPLATES,
            stylesheet=STYLESHEET,
            screen_stylesheet="report/screen.css",
            fonts=FONTS,
            figures=[],
            code=package("render"),
        output:
            pdf=f"{SEGMENT}/report.pdf",
            html=f"{SEGMENT}/report.html",
            ledger=f"{SEGMENT}/ledger.csv",
        log:
            f"{LOGS}/segments/{{segment}}/render.log",
        benchmark:
            f"{BENCHMARKS}/segments/{{segment}}/render.tsv"
        params:
            config=lambda wildcards: {
                "study": segment_about(
                    config["about"], SEGMENTS, segment_group(wildcards)
                ),
                **{
                    k: config[k]
                    for k in ("cleaning", "tiers", "banners", "statistics")
                },
                "commit": COMMIT,
            },
            report={**REPORT, "unsupported_claims": "mark"},
            template_dirs=[str(STUDY.folder), "report"],
            fail=False,
