# hallq: `make run` serves the demo hall, `make test` runs every suite. Both build their own virtualenv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -U pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/hallq init
	$(BIN)/hallq demo
	$(BIN)/hallq serve --host $(HOST) --port $(PORT)

system-deps:
	bash deploy/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint
	$(BIN)/pytest

bench: $(STAMP) system-deps
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
