# ledgerhound: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
DEMO   := build/demo

.PHONY: demo test lint bench accuracy clean install

$(STAMP): pyproject.toml $(wildcard setup.py) $(wildcard src/ledgerhound/*/*.c src/ledgerhound/*/*/*.c)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c "import ledgerhound" && touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

demo: $(STAMP)
	bash scripts/demo.sh $(DEMO)

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]' 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python benchmarks/run_all.py

accuracy: $(STAMP)
	$(BIN)/python -m ledgerhound.sim.accuracy --out docs/accuracy.md
	$(BIN)/python -m ledgerhound.report.accuracy docs/accuracy.md src/ledgerhound/report/data/accuracy.json

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
