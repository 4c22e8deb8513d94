# `make demo` and `make test` each do all of their own set-up on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: demo test ui bench install browser postgres clean

demo: install
	$(BIN)/mixtape demo

test: install browser postgres
	$(BIN)/python -m pytest

ui: install
	$(BIN)/mixtape ui

bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "mixtape needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

browser:
	@bash scripts/install-chromium.sh

postgres:
	@sh scripts/install-postgres.sh

clean:
	rm -rf $(VENV) data .dagster_home test-artifacts
