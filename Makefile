# Two commands for a fresh machine: `make report` builds the report, `make test` runs the tests.
# Both install the pinned dependencies (requirements.lock) into .venv first, if needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 4

.PHONY: report test data lock pages provenance benchmark clean

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/pytest

# Rewrite the committed raw export from its spec (same seed: same bytes).
data: $(STAMP)
	$(BIN)/surveyreport-generate --out data/raw/sales_training_2012_qualtrics.csv
	$(BIN)/surveyreport-generate --codebook config/onboarding-2025/codebook.yaml \
	  --spec config/onboarding-2025/reconstruction.yaml --out data/raw/onboarding_2025_qualtrics.csv

# Re-pin requirements.lock from .venv, and environment.yml from requirements.lock.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock.new
	{ head -n 2 requirements.lock; cat requirements.lock.new; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock && rm requirements.lock.new
	sed -n '/^  - pip:$$/q;p' environment.yml > environment.yml.tmp
	{ echo '  - pip:'; grep -v '^#' requirements.lock | sed 's/^/      - /'; } >> environment.yml.tmp
	mv environment.yml.tmp environment.yml

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# PNG images of every page of the report, for a look at it (needs poppler-utils' pdftoppm).
pages: report
	for pdf in results/*/report.pdf; do mkdir -p "$${pdf%/*}/pages" && pdftoppm -r 80 -png "$$pdf" "$${pdf%/*}/pages/page"; done

# Snakemake's provenance report: every result with its caption, code and parameters.
provenance: report
	$(BIN)/snakemake --report results/provenance.html

# Median wall time and peak memory: cold build, no-op, edits, each stage at 10k/100k/1M respondents, DuckDB.
benchmark: $(STAMP)
	$(BIN)/python bench/benchmark.py

clean:
	rm -rf results .snakemake
