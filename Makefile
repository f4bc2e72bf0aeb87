# The two commands a user needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AZML_VENV := .venv-azml
export SERVESIZE_AZMLINFSRV := $(CURDIR)/$(AZML_VENV)/bin/azmlinfsrv

.PHONY: demo test test-fast lint venv test-deps bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,ray]"
	touch $@

venv: $(VENV)/.installed

# azmlinfsrv, the reference server, lives in its own environment: servesize must run
# Azure-style entry scripts *without* the Azure packages, so they must not be in .venv.
$(AZML_VENV)/.installed:
	$(PYTHON) -m venv $(AZML_VENV)
	$(AZML_VENV)/bin/pip install --quiet --upgrade pip
	$(AZML_VENV)/bin/pip install --quiet "azureml-inference-server-http==1.5.1" "inference-schema>=1.7,<2" numpy "scikit-learn>=1.4,<2" joblib
	touch $@

# The real Azure ML SDK v1 and data collector beside it, so tests compare servesize's
# stand-ins for azureml.core (Model.get_model_path...) and azureml.ai.monitoring with
# the real thing. A stamp of its own, so an existing reference environment gets it too.
$(AZML_VENV)/.installed-sdk: $(AZML_VENV)/.installed
	$(AZML_VENV)/bin/pip install --quiet "azureml-core>=1.60,<2" "azureml-ai-monitoring>=1,<2"
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

# The whole suite, as CI runs it; coverage of the in-process code is printed before
# pytest's summary line (code run in subprocesses, e.g. the scoring host, is not counted).
test: test-deps lint
	$(PY) -m pytest -q --durations=25 --cov=servesize --cov-report=term

# The quick loop while editing: no real profiles or servers under load, no wall-clock
# assertions, no Ray cluster, no package index.
# Not a substitute for `make test`, which runs everything.
FAST := not slow and not timing and not ray and not network
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "$(FAST)"

bench: $(VENV)/.installed
	$(PY) bench/server.py
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) $(AZML_VENV) .servesize .pytest_cache .mypy_cache .ruff_cache
