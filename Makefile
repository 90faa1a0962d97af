# Yiwen (译文) — the two set-up commands are `make run` and `make test` (see README.md).
# Both create .venv with python3 and install the project into it on first use (and again
# whenever pyproject.toml changes). Without DATABASE_URL they use an embedded PostgreSQL.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test lint check

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_actors --keep-existing fixtures/actors.jsonl
	$(PY) manage.py import_articles --keep-existing fixtures/seed.jsonl
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(INSTALLED)
	$(PY) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: $(INSTALLED)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
