# The two commands a new user runs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start Parley on the embedded default: SQLite file, local OIDC issuer, 127.0.0.1:11311.
serve: $(STAMP)
	$(BIN)/parley serve

## Run the whole test suite on PostgreSQL and on SQLite.
test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/test

lint: $(STAMP)
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/ruff check src tests migrations bench

## Regenerate the committed OpenAPI document (openapi/openapi.json).
openapi: $(STAMP)
	$(BIN)/parley openapi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
