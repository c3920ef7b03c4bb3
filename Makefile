# Two commands for a fresh machine: `make report` builds the report, `make test` runs the tests.
# Both install the pinned dependencies (requirements.lock) into .venv first, if needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js
CORES ?= 4
# Test processes (pytest-xdist): the slowest modules are dealt out first, longest first, one module a worker
# (tests/conftest.py); on two cores a third worker pays, as the SLURM test mostly waits for its cluster.
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: report test test-long check lint system data lock pages provenance benchmark clean diff

# Debian/Ubuntu packages of the libraries WeasyPrint loads: Pango lays out the text and
# HarfBuzz's subsetter embeds only the glyphs the report uses. Without the subsetter WeasyPrint
# falls back to fontTools: the render takes about 4 s longer and the PDF's bytes differ.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

report: system $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

# The tests: `make test` runs the quick suite (about 3 minutes on two cores): the unit tests and the tests on the
# builds shared by the whole run (each study, the segmented study) and their edits. `make test-long` runs the long
# system runs and the tests that build a variant of a study of their own (pytest marker `long`, tests/conftest.py):
# the SLURM cluster, the fault chain's kills at every job, each drafted real export, bannered, weighted, hostile
# and diffed builds (about 5 minutes). CI (.ci/run) runs both.

# tests/test_weights.py compares the weights, weighted shares and standard errors with R's survey
# package (rake, svymean, svyciprop): Debian's r-base-core and r-cran-survey, installed here with the
# other system packages (the test is skipped, saying so, where they are missing).
# tests/test_browser.py opens report.html in Debian's chromium (installed here with the other system
# packages), driven by Playwright (requirements.lock), and runs axe-core's rules in it (npm, below).
test test-long: SYSTEM_PACKAGES += r-base-core r-cran-survey chromium
test: system $(STAMP) $(AXE)
	$(BIN)/pytest $(XDIST) -m "not long"

# As root with apt-get, tests/test_slurm.py installs slurm-wlm and munge (if missing) and runs a
# one-node SLURM cluster while it runs (profiles/slurm/localhost-cluster.sh); SKIP_SLURM=1 skips it.
test-long: system $(STAMP) $(AXE)
	@if [ -z "$(SKIP_SLURM)" ] && [ "$$(id -u)" = 0 ]; then \
	  echo "note: the SLURM test installs slurm-wlm and munge with apt-get if missing and runs munged, slurmctld and slurmd until it ends (SKIP_SLURM=1 skips it)"; fi
	$(BIN)/pytest $(XDIST) -m long

# Before a commit (about a minute): lint, Snakemake's lint of both studies, the tests that build nothing (not `e2e`).
check: lint system
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --lint --config study=onboarding-2025
	$(BIN)/pytest $(XDIST) -m "not e2e"

# The Python code (ruff check and ruff format, configured in pyproject.toml) and the Snakemake files.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow

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

# Installs the missing system packages with apt-get where it can (as root, or with sudo that
# asks no password); elsewhere it says what to install and goes on.
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	missing=$$(echo $$missing); [ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi; \
	if command -v apt-get >/dev/null && [ "$$sudo" != no ]; then \
	  echo "installing $$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "note: install $$missing (Debian/Ubuntu names; README, 'System libraries'), or the report may differ or fail"; \
	fi

# axe-core, the accessibility rules the browser test runs, from npm at the version package-lock.json pins.
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  echo "installing axe-core from npm into node_modules/ (package-lock.json), for the browser test"; \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "note: npm is missing: the browser test skips its accessibility check (install Node.js and npm)"; fi

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# PNG images of every page of the report, for a look at it (needs poppler-utils' pdftoppm).
pages: report
	for pdf in results/*/report.pdf; do mkdir -p "$${pdf%/*}/pages" && pdftoppm -r 80 -png "$$pdf" "$${pdf%/*}/pages/page"; done

# What changed against an earlier build: BASE is a commit (built in a temporary git worktree) or an
# earlier results folder; STUDY another study. Writes results/.diff/<study>/ (diff.md, diff.html, ...).
# Page images need poppler-utils' pdftoppm, installed here with the other system packages.
diff: SYSTEM_PACKAGES += poppler-utils
diff: system $(STAMP)
	@test -n "$(BASE)" || { echo "usage: make diff BASE=<commit or results folder> [STUDY=<study>]"; exit 2; }
	$(BIN)/snakemake --cores $(CORES) $(if $(STUDY),--config study=$(STUDY))
	$(BIN)/surveyreport diff "$(BASE)" $(if $(STUDY),--study $(STUDY)) --cores $(CORES)

# Snakemake's provenance report: every result with its caption, code and parameters.
provenance: report
	$(BIN)/snakemake --report results/provenance.html

# Median wall time and peak memory: cold build, no-op, edits, each stage at 10k/100k/1M respondents, DuckDB.
benchmark: system $(STAMP)
	$(BIN)/python bench/benchmark.py

clean:
	rm -rf results .snakemake
