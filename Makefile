# Back Office Portal — `make run` starts everything, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MO     := portal/translations/pt_BR/LC_MESSAGES/messages.mo
PO     := portal/translations/pt_BR/LC_MESSAGES/messages.po

.PHONY: help install run test test-fast test-slow test-pg lint fmt translations extract bench bench-mail bench-frontdesk bench-supplies bench-cv bench-search bench-inbox bench-equipment bench-reports bench-people bench-retention soak clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(MO) ## Create the virtualenv and install the portal

$(MO): $(PO) $(STAMP)
	$(VENV)/bin/pybabel compile -d portal/translations
	touch $(MO)

translations: $(MO) ## Compile the translation catalogues

extract: $(STAMP) ## Extract strings, update the catalogue, fill it from translations/fragments
	$(VENV)/bin/pybabel extract --ignore-dirs=".*" -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 -o portal/translations/messages.pot .
	$(VENV)/bin/pybabel update -N -i portal/translations/messages.pot -d portal/translations
	$(PY) tools/po_merge.py

run: install ## Set up everything and start web + worker + scheduler (Ctrl-C stops all)
	$(PY) -m portal.devrun

# The suite in two steps: everything but the fault-injection tests on $(TEST_WORKERS) parallel
# workers (each with its own database and Redis database), then the slow fault-injection tests
# (real worker processes killed and restarted) alone.  Exit code 5 = "no test selected" (a
# PYTEST_ARGS that picks no slow test) is not a failure.
TEST_WORKERS ?= auto

test: install ## Run the whole test suite (SQLite; DATABASE_URL=postgresql://... for PostgreSQL)
	@echo "== tests: all but slow, $(TEST_WORKERS) workers"
	$(PY) -m pytest -q -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	@echo "== tests: slow (fault injection, real processes)"
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-fast: install ## The suite without the slow fault-injection tests
	$(PY) -m pytest -q -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

test-slow: install ## Only the slow fault-injection tests
	$(PY) -m pytest -q -m slow $(PYTEST_ARGS)

test-pg: ## Run the suite on PostgreSQL (127.0.0.1:5432, database test)
	DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test $(MAKE) test

lint: install ## ruff check + format check
	$(VENV)/bin/ruff check portal worker tests bench
	$(VENV)/bin/ruff format --check portal worker tests bench

fmt: install ## Format the code
	$(VENV)/bin/ruff check --fix portal worker tests bench
	$(VENV)/bin/ruff format portal worker tests bench

bench: bench-mail bench-frontdesk bench-supplies bench-cv bench-search bench-inbox bench-equipment bench-reports bench-people bench-retention ## Run every benchmark (needs wrk)

bench-mail: install ## Outbox → SMTP sink throughput vs plain RQ + smtplib ceiling
	$(PY) -m bench.mail

bench-frontdesk: install ## Console and My messages vs a bare Flask + SQLite list page
	$(PY) -m bench.frontdesk

bench-supplies: install ## Approval queue, items, suggestions vs the bare list page
	$(PY) -m bench.supplies

bench-cv: install ## CV ingestion vs raw extraction; ranked list vs the bare list page
	$(PY) -m bench.recruiting

bench-search: install ## Header search over 1M indexed rows (SQLite FTS5) vs the bare list page
	$(PY) -m bench.search

bench-inbox: install ## Shared-inbox fetch job vs a bare imapclient fetch-and-parse loop (private dovecot)
	$(PY) -m bench.inbox

bench-equipment: install ## Register, a machine's page, cost per page (5k assets, 200k readings) vs the bare list page
	$(PY) -m bench.equipment

bench-reports: install ## The five report pages (200k calls, 1M movements, 20k orders, 10k applications) vs the bare list page
	$(PY) -m bench.reports

bench-people: install ## Directory and HR's employee list (10k employees) vs the bare list page
	$(PY) -m bench.people

bench-retention: install ## LGPD anonymisation of 10k candidates on PostgreSQL: longest lock wait a page meets
	$(PY) -m bench.retention --compare 10000

soak: install ## Soak test: 2 web, 2 workers, 2 schedulers on PostgreSQL + Redis under load with faults (~10 min)
	$(PY) -m bench.soak

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) instance
