# Segment reports (config/README.md, "Segments"): with a segments block, the tiered respondents
# are split once and each segment large enough is tabulated in the same job (checkpoint
# segments, side by side on the job's processes); one job draws every segment's charts (the
# same); each segment then gets its own report job, which puts the crosstabs and charts it is
# drawn from beside the report in results/<study>/segments/<segment>/, published with the rest
# of the set. Every job forks from one of the run's fork servers (src/surveyreport/jobs.py), which have
# imported the libraries: an extra segment costs its render.
# Without the block, none of these rules runs and the published set is the full report's alone.

if SEGMENTS:

    wildcard_constraints:
        segment="|".join(re.escape(g["id"]) for g in SEGMENTS["groups"]),

    checkpoint segments:
        input:
            **WEIGHTING,
            respondents=rules.tier.output.respondents,
            attrition=rules.clean.output.attrition,
            codebook=CODEBOOK,
            code=package("segments"),
            crosstab_code=package("crosstab"),
        output:
            tables=directory(SPLIT),
            summary=SEGMENT_SUMMARY[0],
        log:
            f"{LOGS}/segments.log",
        threads: os.cpu_count() or 1  # the segments' crosstabs side by side (as segment_charts)
        params:
            segments=SEGMENTS,
            min_respondents=config["cleaning"]["min_respondents"],
            tiers=config["tiers"],
            banners=config["banners"],
            statistics=config["statistics"],
            title=config["about"]["title"],
        run:
            run_stage("segments", input, output, params, threads, log)

    rule segment_charts:
        input:
            tables=rules.segments.output.tables,
            summary=rules.segments.output.summary,
            codebook=CODEBOOK,
            fonts=FONTS,
            code=package("charts"),
        output:
            charts=directory(f"{WORK}/segment-charts"),
        log:
            f"{LOGS}/segments/charts.log",
        threads: os.cpu_count() or 1  # at most the run's --cores (not workflow.cores: a cluster run may have none)
        params:
            report={"style": REPORT["style"], "exhibits": REPORT["exhibits"]},
            statistics=config["statistics"],
            tiers=config["tiers"],
        run:
            run_stage("segment_charts", input, output, params, threads, log)

    # The published figures are the full sample's: a segment's report checks none, and a claim
    # the segment's data do not support is printed marked, as unsupported_claims: mark does.
    rule segment_render:
        input:
            **WEIGHTING,
            tables=rules.segments.output.tables,
            charts=rules.segment_charts.output.charts,
            respondents=f"{SPLIT}/{{segment}}.arrow",
            attrition=f"{SPLIT}/{{segment}}.attrition.csv",
            export=config["export"],
            codebook=CODEBOOK,
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
            crosstabs=f"{SEGMENT}/crosstab/crosstabs.csv",
            chisquare=f"{SEGMENT}/crosstab/chisquare.csv",
            scores=f"{SEGMENT}/crosstab/scores.csv",
            pairwise=f"{SEGMENT}/crosstab/pairwise.csv",
            workbook=f"{SEGMENT}/crosstab/crosstabs.xlsx",
            charts=expand(
                f"{SEGMENT}/charts/{{exhibit}}{{layout}}.svg",
                exhibit=EXHIBITS,
                layout=["", ".phone"],
                allow_missing=True,
            ),
            charts_ledger=f"{SEGMENT}/charts/ledger.csv",
        log:
            f"{LOGS}/segments/{{segment}}/render.log",
        params:
            segment=lambda wildcards: wildcards.segment,
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
        run:
            run_stage("segment_render", input, output, params, threads, log)
