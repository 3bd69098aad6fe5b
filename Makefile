# Consentry: `make run` to try it, `make test` to prove it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CONSENTRY_DATABASE_URL ?= sqlite:///./var/consentry.db

.PHONY: run install install-dev migrate demo test fuzz lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"

migrate: install
	mkdir -p var
	$(BIN)/consentry db upgrade

demo: migrate
	$(BIN)/consentry demo

## run: fresh venv, migrated SQLite in ./var, demo data, server on http://127.0.0.1:8000
run: demo
	$(BIN)/consentry serve --host 127.0.0.1 --port 8000 --workers 1

## test: lint and types, then installs PostgreSQL, Chromium and npm peers when missing and runs the whole suite
test: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## fuzz: the attack suite's fuzzers (tests/security, marker fuzz) with the long Hypothesis profile
fuzz: install-dev
	bash scripts/install-test-deps.sh
	CONSENTRY_FUZZ_PROFILE=long $(BIN)/python -m pytest -q -n 2 --dist loadfile -m fuzz tests/security

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
