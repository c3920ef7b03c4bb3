rule ingest:
    input:
        export=config["export"],
        codebook=config["codebook"],
        code=package("qualtrics", "schemas", "codebook", "tidy"),
    output:
        f"{RESULTS}/ingest/responses.csv",
    log:
        f"{LOGS}/ingest.log",
    script:
        "../scripts/ingest.py"
