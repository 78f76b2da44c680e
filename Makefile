# KeyDesk: `make run` starts the product on SQLite with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test bench clean

# Reinstall only when the packaging files change.
$(INSTALLED): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/python run.py serve

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/notifications.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
