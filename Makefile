# Nurture developer entry points. `make test` is what CI runs; `make demo` runs the local runtime.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export AWS_DEFAULT_REGION ?= us-east-1
export TZ := UTC

.PHONY: help venv node lint types unit asl templates test bench demo clean

help:
	@echo "make test   - lint, type check, tests, template and state machine checks"
	@echo "make demo   - run the bundled scenario on the local runtime (no AWS account)"
	@echo "make bench  - benchmarks (figures as 'name: value unit')"

$(STAMP): pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(STAMP)
node: $(NODE_STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest

asl: $(NODE_STAMP)
	scripts/validate-asl

# cfn-lint on template.yaml and on the SAM translator's output (translated offline).
templates: $(STAMP)
	PYTHON=$(PY) scripts/check-templates

test: lint types asl templates unit

bench: $(STAMP)
	$(PY) bench/sfn_executor.py
	$(PY) bench/coldstart.py
	$(PY) bench/local_dynamodb.py
	$(PY) bench/local_runtime.py
	$(PY) bench/scoring.py

demo: $(STAMP)
	$(VENV)/bin/nurture demo --outbox outbox

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
