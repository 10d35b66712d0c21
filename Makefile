# `make run` and `make test` each set themselves up on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean messages

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/golive serve

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

# One worker per core, each with its own SQLite files and PostgreSQL database; worksteal
# keeps every worker busy while a long end-to-end test runs on one of them.
test: lint
	$(BIN)/pytest -n auto --dist worksteal

# Needs PostgreSQL on 127.0.0.1:5432 (user postgres); prints a table, see BENCHMARKS.md.
bench: $(BIN)/.installed
	$(BIN)/python -m tests.bench

# Extract every user-facing string into the translators' template.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract --no-location --sort-output -k _ -o bot/locale/golive.pot \
		--project golive --version 0.1.0 bot adapters

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
