# Skarp: the two commands a newcomer needs are `make demo` and `make test`; both install what they
# need first (a Python venv, the npm test runtime, Debian's chromium) and are safe to re-run.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo build test lint benchmark clean

setup: $(VENV)/.installed node_modules/.installed /usr/bin/chromium

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

/usr/bin/chromium:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

build: $(VENV)/.installed
	$(PY) -m scorm_builder build -o dist
	$(PY) -m scorm_builder build --multi-sco -o dist

demo: setup build
	$(PY) -m scorm_builder preview dist

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: setup lint
	$(PY) -m pytest

benchmark: $(VENV)/.installed
	$(PY) benchmarks/build_benchmark.py

clean:
	rm -rf dist .pytest_cache .ruff_cache benchmarks/results
