# The two commands of the README, and the helpers behind them.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint format locale bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the terminal demo on SQLite with the example company's data
	$(VENV)/bin/salesbot demo

test: $(STAMP)  ## every test (PostgreSQL too when SALESBOT_TEST_DATABASE_URL is set)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

locale: $(STAMP)  ## extract messages and merge them into the three catalogs
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		-o locale/messages.pot bot
	for lang in zh_CN zh_TW en; do \
		$(VENV)/bin/pybabel update -i locale/messages.pot -d locale -l $$lang \
			--no-fuzzy-matching --ignore-obsolete; \
	done
