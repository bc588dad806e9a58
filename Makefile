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
	$(PY) -m pytest -q

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
