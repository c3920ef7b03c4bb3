rule ingest:
    input:
        export=config["export"],
        codebook=CODEBOOK,
        code=package("ingest"),
    output:
        responses=f"{WORK}/ingest/responses.arrow",
    log:
        f"{LOGS}/ingest.log",
    params:
        export_format=config.get("export_format", "auto"),
    run:
        run_stage("ingest", input, output, params, threads, log)
