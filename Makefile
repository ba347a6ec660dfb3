# Campusdesk: `make run` serves the demo institute, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k accounts"`.
PYTEST_ARGS ?=
ONLY ?=

.PHONY: help venv run serve test lint format bench worker clean

help:
	@echo "make run    - set up, migrate, load the demo institute and serve http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite on PostgreSQL and on SQLite"
	@echo "make lint   - ruff check, ruff format --check, makemigrations --check"
	@echo "make bench  - benchmarks (make bench ONLY=<name-prefix>)"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Campusdesk needs Python 3.11 or newer")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Starting the task worker (manage.py db_worker) and the web server on http://$(HOST):$(PORT)/"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker & \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: $(STAMP)
	$(PY) manage.py db_worker

test: $(STAMP)
	$(PY) -m tools.run_tests $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=website.settings.test $(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m benchmarks.run $(if $(ONLY),--only $(ONLY),)

clean:
	rm -rf $(VENV) var/static
