# Quick start: `make run` then `make test`. Everything installs into .venv/ from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect-home

.PHONY: setup run test test-fast lint bench bench-commits bench-stories bench-report browser screenshot golden clean-demo eval eval-baseline

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The nightly flow over the bundled sample dispatches, then a query of the result.
run: $(STAMP)
	rm -rf demo/landing
	$(BIN)/wirehouse seed-landing demo/landing
	$(BIN)/wirehouse run --source demo/landing --warehouse warehouse
	$(BIN)/wirehouse sql --warehouse warehouse \
	  "SELECT label, text, mentions, dispatches FROM entities ORDER BY mentions DESC, text LIMIT 12"
	$(BIN)/wirehouse report --warehouse warehouse --out warehouse/report.html

# The browser test needs Debian's chromium; install it when missing (never `playwright install`:
# its download host is unreachable). The recommends are left out: they upgrade system packages.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "chromium missing: installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y --no-install-recommends chromium \
	  || { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium could not be installed"; exit 1; }

# Test files go whole to TEST_WORKERS processes (pytest-xdist, --dist loadfile: a file's
# module fixtures are built once), the longest first, in the order tests/conftest.py sets.
TEST_WORKERS ?= 2

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder \
	  --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/backfill.py

# Commit time and query latency after 1, 100 and 1,000 small commits, as ratios (a few minutes).
bench-commits: $(STAMP)
	$(BIN)/python benchmarks/commits.py

# The report's time and size over a synthetic warehouse of 20,000 dispatches.
bench-stories: $(STAMP)
	$(BIN)/python benchmarks/stories.py

bench-report: $(STAMP) browser
	$(BIN)/python benchmarks/report.py

# docs/report.png, the README's picture of the demo report, taken in the same chromium.
screenshot: browser run
	$(BIN)/python -m tests.browser screenshot warehouse/report.html docs/report.png

# Named breaks applied one at a time to a scratch copy, and which the tests catch (README
# "Mutation check"; not part of `make test`: it takes tens of minutes).
.PHONY: mutants
mutants: $(STAMP)
	$(BIN)/python -m tests.mutants.run

# Rewrite tests/golden/*.csv after a deliberate change; review the diff before committing.
golden: $(STAMP)
	$(BIN)/python -m tests.golden.regenerate

clean-demo:
	rm -rf demo warehouse/_manifest.json warehouse/views.sql warehouse/dispatches \
	  warehouse/mentions warehouse/quotes warehouse/taggings warehouse/entity_aliases \
	  warehouse/quarantine warehouse/runs warehouse/ingested_files warehouse/_staging \
	  warehouse/_pending warehouse/_commits warehouse/.lock warehouse/report.html

# Per-label P/R/F1 on our gold set, the configured pipeline beside the bare model.
eval: $(STAMP)
	$(BIN)/wirehouse evaluate tests/gold/entities.jsonl

# Rewrite tests/gold/baseline.json (the quality gate's reference) after a deliberate change;
# review the diff before committing, and never commit a lower baseline without saying why.
eval-baseline: $(STAMP)
	$(BIN)/python -m tests.gold.update_baseline
