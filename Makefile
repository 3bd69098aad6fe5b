# Consentry: `make run` to try it, `make test` to prove it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CONSENTRY_DATABASE_URL ?= sqlite:///./var/consentry.db
# Every pip install of the project's dependencies takes the pinned versions (make constraints refreshes them).
CONSTRAINTS := -c constraints.txt
LOCK_VENV := /tmp/consentry-constraints-venv

.PHONY: run install install-dev constraints migrate demo test fuzz lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e . $(CONSTRAINTS)

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]" $(CONSTRAINTS)

## constraints: re-resolve the dependencies, dev extras and bench/requirements.txt to their newest releases in a
## throwaway venv and pin them all in constraints.txt (deliberately, then `make test` before committing it)
constraints:
	rm -rf $(LOCK_VENV)
	$(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e ".[dev]" -r bench/requirements.txt
	{ sed -n '/^#/p' constraints.txt; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable | grep -viE '^(pip|setuptools|wheel|distribute)=='; \
	} > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

migrate: install
	mkdir -p var
	$(BIN)/consentry db upgrade

demo: migrate
	$(BIN)/consentry demo

## run: fresh venv, migrated SQLite in ./var, demo data, server on http://127.0.0.1:8000
run: demo
	$(BIN)/consentry serve --host 127.0.0.1 --port 8000 --workers 1

## test: lint and types, then installs PostgreSQL, Chromium and npm peers when missing and runs the whole suite
## (writing bytecode even where PYTHONDONTWRITEBYTECODE is set: each server and CLI process the suite starts
## would otherwise compile consentry's modules again, ~0.35 s of CPU each)
test: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	bash scripts/install-test-deps.sh
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n 2 --dist loadfile

## fuzz: the attack suite's fuzzers (tests/security, marker fuzz) with the long Hypothesis profile
fuzz: install-dev
	bash scripts/install-test-deps.sh
	CONSENTRY_FUZZ_PROFILE=long $(BIN)/python -m pytest -q -n 2 --dist loadfile -m fuzz tests/security

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
