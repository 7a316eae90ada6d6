# ledgerhound: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-test
DEMO   := build/demo

.PHONY: demo test lint bench accuracy clean install

$(STAMP): pyproject.toml $(wildcard setup.py) $(wildcard src/ledgerhound/*/*.c)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c "import ledgerhound" && touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

demo: $(STAMP)
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/ledgerhound --store $(DEMO)/store ingest blocks tests/data/bitcoin/block413567.raw
	$(BIN)/ledgerhound --store $(DEMO)/store stats
	$(BIN)/ledgerhound --store $(DEMO)/store tx 10a6223202532fc0a1f92005e6554d7892f11e4acf04bac3b57a853172491f1d
	$(BIN)/ledgerhound --store $(DEMO)/store address 37fg2WxH8PNun92ZDmrjFX8J8qdZw2bqx3
	$(BIN)/ledgerhound --store $(DEMO)/store export addresses --out $(DEMO)/addresses.csv

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]' 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python benchmarks/run_all.py

accuracy: $(STAMP)
	$(BIN)/python -m ledgerhound.sim.accuracy --out docs/accuracy.md

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
