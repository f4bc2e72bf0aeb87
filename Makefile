# The two commands a user needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AZML_VENV := .venv-azml
export SERVESIZE_AZMLINFSRV := $(CURDIR)/$(AZML_VENV)/bin/azmlinfsrv

.PHONY: demo test test-fast test-parallel lint venv test-deps bench clean

# uv (a dependency of servesize: it builds the entry scripts' environments) installs
# the rest: it fetches and unpacks wheels in parallel, 9.9 s here where pip took 80 s,
# and fills the cache that the tests' environment builds then link from. Unlike pip,
# uv compiles no bytecode unless asked: where PYTHONDONTWRITEBYTECODE is set (this
# machine, many images) every process of the suite would compile what it imports
# again (the parallel part took 372-390 s instead of 255 s so; writing the bytecode
# from the tests' own processes instead, 319 s: bench/RESULTS-suite.md).
UV := $(VENV)/bin/uv
UV_VERSION := "uv>=0.9,<0.14"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(UV_VERSION)
	$(UV) pip install --quiet --compile-bytecode --python $(PY) -e ".[test,ray]"
	touch $@

venv: $(VENV)/.installed

# azmlinfsrv, the reference server, lives in its own environment: servesize must run
# Azure-style entry scripts *without* the Azure packages, so they must not be in .venv.
$(AZML_VENV)/.installed: $(VENV)/.installed
	$(PYTHON) -m venv $(AZML_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(AZML_VENV)/bin/python "azureml-inference-server-http==1.5.1" "inference-schema>=1.7,<2" numpy "scikit-learn>=1.4,<2" joblib
	touch $@

# The real Azure ML SDK v1 and data collector beside it, so tests compare servesize's
# stand-ins for azureml.core (Model.get_model_path...) and azureml.ai.monitoring with
# the real thing. A stamp of its own, so an existing reference environment gets it too.
$(AZML_VENV)/.installed-sdk: $(AZML_VENV)/.installed
	$(UV) pip install --quiet --compile-bytecode --python $(AZML_VENV)/bin/python "azureml-core>=1.60,<2" "azureml-ai-monitoring>=1,<2"
	touch $@

# Headless Chromium renders the HTML report in its test (Debian package, root only).
test-deps: $(VENV)/.installed $(AZML_VENV)/.installed $(AZML_VENV)/.installed-sdk
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "note: chromium not installed; the report rendering test will be skipped"; }

demo: $(VENV)/.installed
	$(PY) examples/demo.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/mypy

# The whole suite, as CI runs it, in two parts (docs/development.md, "How the suite is
# split"): the tests that measure nothing, TEST_WORKERS at a time (each module on one
# worker, so its module-scoped servers start once; the slow modules first: conftest.py);
# then the `timing` tests, which measure, one at a time on an otherwise idle machine.
# Coverage of the in-process code of the first part is printed after it (the second
# runs untraced: coverage's tracer in the process that sends the load would slow what
# those tests measure; code run in subprocesses, e.g. the scoring host, is not
# counted). Both parts always run; the target fails if either did. The CLI and the
# scoring host run as hundreds of child processes: src/ is compiled once first, not in
# each of them (on machines with PYTHONDONTWRITEBYTECODE=1 they would never write their
# bytecode). The set-up (two environments, Chromium) comes first; then the lint runs
# beside the parallel part (mypy uses one core for about 20 s, which the tests' 4
# workers would otherwise wait for); `-k` runs both even when one fails.
TEST_WORKERS ?= 4
# The measuring part is given only the files that mark `timing` tests: collecting all
# 1,600 tests to select 31 took 8 s, these 10 files 1.5 s.
TIMING_FILES = $(shell grep -rlE 'mark\.timing' tests --include='test_*.py')
test:
	rm -f .coverage .coverage.*
	$(MAKE) --no-print-directory -k -j2 -O lint test-parallel; first=$$?; \
	$(PY) -m pytest -q -m timing --durations=15 $(TIMING_FILES); \
	alone=$$?; \
	[ $$first -eq 0 ] || echo "make test: the lint or the parallel part failed"; \
	[ $$first -eq 0 ] && [ $$alone -eq 0 ]

# The first part of `make test` alone (after the set-up).
test-parallel: test-deps
	$(PY) -m compileall -q src
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not timing" \
		--durations=15 --cov=servesize --cov-report=term

# The quick loop while editing: no real profiles or servers under load, no wall-clock
# assertions, no Ray cluster, no package index.
# Not a substitute for `make test`, which runs everything.
FAST := not slow and not timing and not ray and not network
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 -m "$(FAST)"

bench: $(VENV)/.installed
	$(PY) bench/server.py
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) $(AZML_VENV) .servesize .pytest_cache .mypy_cache .ruff_cache
