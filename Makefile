# Two commands do all set-up: `make run` and `make test`. Every target is idempotent.
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
FACEREC := $(VENV)/bin/facerec
STAMP   := $(VENV)/.installed-dev

.PHONY: setup run test test-models lint bench bench-gpu clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the default model, the live detector (YuNet) and the 5-celebrity sample photos (each its own checksummed
# fetch, about 170 MB and under a minute on a fast line from an empty cache; nothing is fetched twice)
setup: $(STAMP)
	$(FACEREC) models fetch

run: setup
	$(PY) main.py

# every model the tests use; running the tests accepts InsightFace's non-commercial licence for arcface-mbf
test-models: setup
	$(FACEREC) models fetch facenet
	$(FACEREC) models fetch sface
	$(FACEREC) models fetch openface
	$(FACEREC) models fetch arcface-mbf --accept-license

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# two workers, a file per worker: tests that share a costly session fixture (a training run, the GUI) sit in one file
test: test-models lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n 2 --dist loadfile --durations=15 $(PYTEST_ARGS)

bench: setup
	$(FACEREC) bench embed --json
	$(FACEREC) bench detect --json
	$(FACEREC) bench pipeline --json

# on a machine with a GPU and the gpu extra (pip install -e '.[gpu]'): the gpu tests and GPU figures
bench-gpu: test-models
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m gpu -v
	$(FACEREC) bench embed --json
	$(FACEREC) bench train --backbone r50 --batch-size 256 --mixed-precision --json
	$(FACEREC) bench train --backbone mobilefacenet --batch-size 512 --mixed-precision --json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
