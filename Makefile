# Expertteam: `make run` (the app with demo data) and `make test` (the whole suite).
# Everything is installed into .venv by these targets; nothing else is needed on the machine.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app expertteam
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL
# Playwright (browser tests) uses Debian's Chromium; it never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

.PHONY: install run test test-browser test-sqlite test-postgres translations extract-messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Compile the gettext catalogues (the .mo files are committed too; this keeps them fresh).
translations: install
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -D messages

## Re-extract the English source strings and merge them into the Dutch catalogue.
extract-messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs=.venv --ignore-dirs=tests --ignore-dirs=migrations --ignore-dirs=build -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching

## The app with demo data on http://127.0.0.1:5000 (web server, scheduler and a mail sink; Ctrl-C stops all).
run: translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	VENV=$(VENV) scripts/dev-run

## The whole suite on SQLite, then on PostgreSQL (see scripts/test). The browser tests run in
## the SQLite pass when /usr/bin/chromium exists; otherwise the run says they were skipped.
test: translations
	VENV=$(VENV) scripts/test

## Only the browser tests (tests/e2e); screenshots land in var/screenshots/.
test-browser: translations
	$(PY) -m pytest tests/e2e

clean:
	rm -rf $(VENV) instance *.egg-info
