#!/usr/bin/env sh
# Snakemake runs this in the project directory after it creates the conda environment of
# workflow/envs/surveyreport.yaml (the project's environment.yml): the rules' scripts import
# the project's own package, so install it into that environment too.
set -eu
python -m pip install --quiet --no-deps -e .
