# What changed between the published set and an earlier build, for review:
#   snakemake --cores 2 diff --config base=COMMIT (built aside in a temporary worktree)
#   snakemake --cores 2 diff --config base=RESULTS_FOLDER
# (the same as make diff BASE=...). Written to results/.diff/<study>/, outside the published set.


rule diff:
    input:
        manifest=rules.publish.output.manifest,
        code=package("diff"),
    output:
        markdown=f"results/.diff/{STUDY.name}/diff.md",
    log:
        f"{LOGS}/diff.log",
    localrule: True
    params:
        base=config.get("base", ""),
        study=STUDY.name,
        published=RESULTS,
    run:
        run_stage("diff", input, output, params, threads, log)
