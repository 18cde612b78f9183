# Quick start: `make run` then `make test`. Everything installs into .venv/ from PyPI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect-home

.PHONY: setup run test test-fast lint bench clean-demo

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

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/backfill.py

clean-demo:
	rm -rf demo warehouse/_manifest.json warehouse/views.sql warehouse/dispatches \
	  warehouse/mentions warehouse/quotes warehouse/taggings warehouse/quarantine warehouse/runs \
	  warehouse/ingested_files warehouse/_staging warehouse/_pending warehouse/_commits warehouse/.lock
