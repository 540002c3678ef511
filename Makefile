# HọcSố: `make run` (set up and serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := wsgi
STAMP := $(VENV)/.installed

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test install translations migrate demo bench lint extract-messages clean \
	system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations

# The Debian packages in debian-packages.txt (the list `.ci/run` installs too).
system-packages:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y --no-install-recommends $$(grep -v '^#' debian-packages.txt)

# Each catalog is compiled when its .po changed (not on every `make test`: CI runs two
# `make test` side by side, which must not rewrite the .mo files the other is reading).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard learning/translations/*/LC_MESSAGES/messages.po))

translations: $(MO_FILES)

learning/translations/%/LC_MESSAGES/messages.mo: learning/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d learning/translations -l $*

migrate: install
	$(BIN)/flask db upgrade
	$(BIN)/flask courses rerender

demo: migrate
	$(BIN)/flask demo load

run: demo
	@echo "HọcSố on http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

lint: install
	$(BIN)/lint-imports

test: install
	$(BIN)/lint-imports
	HOCSO_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

bench: install
	HOCSO_ENV=test $(BIN)/python -m tests.bench

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _nl:1,2 -k lazy_ngettext:1,2 -o learning/translations/messages.pot .
	$(BIN)/pybabel update -i learning/translations/messages.pot -d learning/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance/hocso.db*
