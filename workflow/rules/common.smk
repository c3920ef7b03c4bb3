import glob
import os

import yaml

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


STUDY = config["study"]["name"]
RESULTS = f"results/{STUDY}"
LOGS = f"{RESULTS}/logs"
REPORT = load_yaml(config["report"])
validate(REPORT, schema="../schemas/report.schema.yaml")
validate(load_yaml(config["codebook"]), schema="../schemas/codebook.schema.yaml")
EXHIBITS = [exhibit["id"] for exhibit in REPORT["exhibits"]]
FONTS = sorted(glob.glob("report/fonts/*.ttf"))
PACKAGE = "src/surveyreport"


def package(*modules):
    """Package modules a rule runs: edits to them rerun the rule."""
    return [
        f"{PACKAGE}/{module}.py"
        for module in ("__init__", "errors", "stages", *modules)
    ]
