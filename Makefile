# The two commands of the README's Quick start, and the developer tasks CI runs unchanged.
# `pip install archibald` is the slim core (router, ledger, budgets, memory, CLI); each target
# installs the extras it needs: the demo makes a video ([video]), the tests cover everything.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo demo-podcast demo-short test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[video]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

## make demo: install with the media extra, then make a short guided-meditation video offline
demo: $(VENV)/.installed-demo
	$(VENV)/bin/archibald produce --topic "Evening calm after a long day" --minutes 2 --out demo-output --seed 7

## make demo-podcast / demo-short: the other shipped pipelines, offline
demo-podcast: $(VENV)/.installed-demo
	$(VENV)/bin/archibald run podcast --set topic="The history of coffee" --set minutes=3 --out demo-podcast --seed 7

demo-short: $(VENV)/.installed-demo
	$(VENV)/bin/archibald run short --set topic="Calm before a job interview" --out demo-short --seed 7

## make test: install with every extra and the test tools, then run the suite
test: $(VENV)/.installed-test
	PY=$(PY) bash scripts/test.sh

bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_router.py

clean:
	rm -rf $(VENV) demo-output demo-podcast demo-short .pg .pytest_cache
