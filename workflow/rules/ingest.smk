rule ingest:
    input:
        export=config["export"],
        codebook=config["codebook"],
        code=package(
            "exports",
            "qualtrics",
            "surveymonkey",
            "spss",
            "schemas",
            "codebook",
            "tidy",
        ),
    output:
        f"{WORK}/ingest/responses.arrow",
    log:
        f"{LOGS}/ingest.log",
    conda:
        "../envs/surveyreport.yaml"
    params:
        export_format=config.get("export_format", "auto"),
    script:
        "../scripts/ingest.py"
