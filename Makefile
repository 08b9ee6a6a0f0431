# Two commands do all set-up: `make run` and `make test`. Every target is idempotent.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: setup run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(VENV)/bin/facerec models fetch

run: setup
	$(PY) main.py

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/facerec bench embed --json
	$(VENV)/bin/facerec bench detect --json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
