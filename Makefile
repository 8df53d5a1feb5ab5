# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-function.txt requirements.txt requirements-dev.txt | md5sum | cut -c1-12)

.PHONY: run test lint test-reliability serve bench report-screenshot deploy venv bqemulator checkov tfschema peer clean

$(STAMP):
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(STAMP)

## make run: simulator -> sync -> DuckDB -> report, on this machine, no cloud account needed
run: venv
	$(BIN)/python -m strava demo

## make test: lint, then the whole suite (bqemulator, checkov and the provider schemas get virtualenvs of their own)
test: venv bqemulator checkov tfschema lint
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

lint: venv
	$(BIN)/ruff check .
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive terraform; \
	 else echo "terraform not installed: skipping terraform fmt -check"; fi

bqemulator:
	scripts/setup-bqemulator.sh

checkov:
	scripts/setup-checkov.sh

tfschema:
	scripts/setup-tfschema.sh

## make peer: strava-offline, which `make bench` compares against, in a virtualenv of its own
peer:
	scripts/setup-peer.sh

test-reliability: venv bqemulator
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider tests/reliability

## make serve: the Cloud Function locally on the embedded default (DuckDB + simulator)
serve: venv
	scripts/serve.sh

bench: venv bqemulator peer
	$(BIN)/python -m bench.schedule
	$(BIN)/python bench/run.py

report-screenshot: venv
	scripts/report-screenshot.sh

deploy: venv
	scripts/deploy.sh

clean:
	rm -rf $(VENV) .venv-bqemulator .venv-checkov .venv-tfschema .venv-peer .strava
