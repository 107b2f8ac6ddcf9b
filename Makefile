# Two commands for a fresh machine with only Python 3.11 and make: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench load clean venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# The benchmarks (BENCHMARKS.md): a table on screen, JSON in bench-results/. BENCH_SIZE=small
# for a quick run; the data set is generated once per size and kept in bench-results/.
BENCH_SIZE ?= full
bench: $(STAMP)
	$(BIN)/python -m bench --size $(BENCH_SIZE)

# The full load test: 1,000 simulated residents send tips for 60 s to the bot running as its own
# process, over real HTTP polling (`make test` runs the same test with 40 residents for 10 s).
load: $(STAMP)
	LOAD_RESIDENTS=1000 LOAD_SECONDS=60 $(BIN)/pytest -q -s tests/hardening/test_load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
