# The two commands a new user types: `make run` and `make test`.
# Both create .venv on first use; nothing but Python 3.11 is needed.
# `make run PORT=8090 EMULATOR_PORT=8091 SEED=my-jira.yaml` chooses the ports and seeds the emulator.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck layers pytest emulator bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ticketbridge dev $(if $(PORT),--port $(PORT)) \
		$(if $(EMULATOR_PORT),--emulator-port $(EMULATOR_PORT)) $(if $(SEED),--seed $(SEED))

test: lint typecheck layers pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

emulator: $(STAMP)
	$(BIN)/ticketbridge emulator --port $(or $(EMULATOR_PORT),8081) $(if $(SEED),--seed $(SEED))

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
