VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo test lab bench js screenshot system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,dev]"
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

demo: venv
	$(PY) scripts/demo.py

test: venv system-deps
	@git status --porcelain > $(VENV)/.status-before-tests 2>/dev/null || true
	$(PY) -m pytest -q
	@git status --porcelain 2>/dev/null | diff $(VENV)/.status-before-tests - || (echo "the tests changed the checkout (above): tests must write only to temporary folders"; exit 1)

lab: venv
	$(VENV)/bin/jupyter lab notebooks

bench: venv
	$(PY) -m benchmarks.run

screenshot: venv system-deps
	LINEAGE_NB_TEST_ARTIFACTS=build/screenshots $(PY) -m pytest -q tests/test_browser.py -k jupyterlab
	cp build/screenshots/02-expanded-workload-panel.png docs/screenshot.png

js:
	cd js && npm install --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache
