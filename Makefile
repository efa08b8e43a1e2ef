# Two commands for a newcomer: `make run` and `make test`. Both build .venv from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-intake bench-held chaos clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/nurture dev

# Two test processes (each its own Temporal dev server): the suite mostly waits on servers
# and timers, so two halve its time even on two cores. TEST_PROCESSES=0 runs it in one.
TEST_PROCESSES ?= 2
test: $(STAMP)
	tests/ensure-services.sh
	$(BIN)/pytest -q -n $(TEST_PROCESSES) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# Lead intake against a minimal reference workflow: make bench-intake INTAKE="--quick"
INTAKE ?=
bench-intake: $(STAMP)
	$(BIN)/python bench/intake.py $(INTAKE)

# Sleeping leads held in steps, their memory and disk: make bench-held HELD="--steps 1000,5000"
HELD ?=
bench-held: $(STAMP)
	$(BIN)/python bench/held.py $(HELD)

# The fault suite, on demand (not part of `make test`): make chaos CHAOS="kill-worker --leads 300"
CHAOS ?=
chaos: $(STAMP)
	$(BIN)/python -m tests.chaos $(CHAOS)

clean:
	rm -rf $(VENV) .nurture
