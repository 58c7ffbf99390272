# The project's commands. Settings come from the environment (see scripts/lib.sh).
PYTHON ?= python3
export PYTHON

.PHONY: help deps demo test lint bench pins test-neighbours
help:
	@echo "make demo   - PostgreSQL, FlexNet simulator and Odoo with all addons and demo data on 127.0.0.1:8069"
	@echo "make test   - fresh database, every addon's tests (tours included), pytest suites, one summary line"
	@echo "make lint   - ruff and pylint-odoo (OCA mandatory checks)"
	@echo "make bench  - run the benchmarks and print their ratios"
	@echo "make pins   - pure-Python suites with Odoo's pinned versions (per Python) and current releases"
	@echo "make test-neighbours - the test suites of the Odoo apps the addons extend, with the addons installed"

deps:
	@bash scripts/deps.sh

demo: deps
	@bash scripts/demo.sh

test: deps
	@bash scripts/test.sh

lint: deps
	@bash scripts/lint.sh

bench: deps
	@bash scripts/bench.sh

pins: deps
	@bash scripts/pins.sh

test-neighbours: deps
	@bash scripts/neighbours.sh
