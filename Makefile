# The two commands of the README's Quick start, and the developer tasks CI runs unchanged.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make demo: install, then make a short guided-meditation video offline
demo: $(STAMP)
	$(VENV)/bin/archibald produce --topic "Evening calm after a long day" --minutes 2 --out demo-output --seed 7

## make test: install with the test dependencies, then run the suite
test: $(STAMP)
	PY=$(PY) bash scripts/test.sh

bench: $(STAMP)
	$(PY) benchmarks/bench_router.py

clean:
	rm -rf $(VENV) demo-output .pg .pytest_cache
