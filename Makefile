# Quick start: `make demo` and `make test` on a fresh machine with Python >= 3.11 and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: demo test lint venv install install-test bench clean notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

venv: $(BIN)/python
install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/landuse demo --out $(OUT) --overwrite

test: install-test lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

# public docstrings and statement counts (ruff), types (mypy, non-strict); the floor plan
# (cycles, private names across rooms, function length) is tests/test_layout.py
lint: install-test
	$(BIN)/ruff check landuse --select D1,PLR0915 --ignore D105,D107
	$(BIN)/python -m mypy

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/run_all.py

# the tutorial notebooks, executed in place so they are stored with their outputs (maps, charts)
notebooks: install-test
	$(BIN)/python tools/run_notebooks.py

clean:
	rm -rf $(VENV) out build *.egg-info
