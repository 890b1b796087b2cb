# Clockroom: `make demo` runs the dashboard on the embedded default, `make test` runs the checks.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

# requirements*.txt are pinned (one `name==version` a line) from the short requirements*.in by pip-tools.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make requirements" $(VENV)/bin/pip-compile --quiet \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: demo test test-browser lint migrate requirements upgrade clean

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

# Settings read .env (git-ignored) for whatever the environment does not set, so that
# `.venv/bin/python manage.py ...` runs locally as it is. Written only when there is none.
.env:
	@printf '%s\n' \
		'# Written by `make demo` for local runs (git-ignored); .env.example lists every variable.' \
		'# Variables set in the environment win over this file. Never use it for a deployment.' \
		'DJANGO_DEBUG=1' \
		'# The port `make demo` serves on (default 8000); the public URL, the OAuth redirect and' \
		'# the webhooks follow it. Set it here to keep local commands on another port.' \
		'# PORT=8000' > $@
	@echo "Wrote .env (DJANGO_DEBUG=1) for local manage.py commands."

# `migrate` also creates the database cache's table (config/apps.py).
migrate: $(VENV)/.runtime | var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --database=sandbox --noinput

# The dashboard, a django-q2 cluster and the WebWork sandbox, on SQLite, on PORT (default 8000).
# Creates the Django admin's demo account. Safe to run again.
demo: export DJANGO_DEBUG ?= 1
demo: .env migrate
	$(PY) manage.py sandbox_prepare
	$(PY) manage.py rundemo

# Lint, the import layers (pyproject.toml), migrations in step with the models, and the whole
# suite (browser tests included).
test: export DJANGO_SETTINGS_MODULE = config.settings.test
test: $(VENV)/.dev | var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Only the browser tests (Debian's chromium: `apt-get install chromium`).
test-browser: export DJANGO_SETTINGS_MODULE = config.settings.test
test-browser: $(VENV)/.dev | var
	$(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Pin requirements.txt and requirements-dev.txt again from the .in files after editing them;
# every pin that still fits is kept (nothing is upgraded).
requirements: $(VENV)/.dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# Move the pins to the newest releases the .in files allow; `make upgrade PACKAGE=django`
# moves only that one (and what it needs). Review the diff, then run `make test`.
upgrade: $(VENV)/.dev
	$(PIP_COMPILE) $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade) \
		--output-file requirements.txt requirements.in
	$(PIP_COMPILE) $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade) \
		--output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) var
