# Clockroom: `make demo` runs the dashboard on the embedded default, `make test` runs the checks.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: demo test test-browser lint migrate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

var:
	@mkdir -p var

migrate: $(VENV)/.runtime | var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --database=sandbox --noinput
	$(PY) manage.py createcachetable

# The dashboard, a django-q2 cluster and the WebWork sandbox, on SQLite. Safe to run again.
demo: export DJANGO_DEBUG ?= 1
demo: migrate
	$(PY) manage.py sandbox_prepare
	$(PY) manage.py rundemo

# Lint, migrations in step with the models, and the whole suite (browser tests included).
test: export DJANGO_SETTINGS_MODULE = config.settings.test
test: $(VENV)/.dev | var
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Only the browser tests (Debian's chromium: `apt-get install chromium`).
test-browser: export DJANGO_SETTINGS_MODULE = config.settings.test
test-browser: $(VENV)/.dev | var
	$(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var
