# `make run` serves Hearth; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT HOST
# A local instance is a development one (generated secret, cookies without Secure)
# unless the environment says otherwise.
export HEARTH_ENV ?= development

.PHONY: run test lint install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed node_modules/.package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# axe-core, the accessibility engine the browser tests inject into every page
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --quiet

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/flask --app app db upgrade
	exec $(BIN)/gunicorn --config gunicorn.conf.py app:app

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	node --test tests/js/
	$(BIN)/python -m pytest $(PYTEST_ARGS)
