# mobius-gate — the two quick-start commands are `make gate` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: gate test lint e2e bench emulator clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The release gate on the embedded default: the emulator seeded with production (exits 1: not conformant).
gate: $(STAMP)
	$(BIN)/pytest checks --project=mobiusos-new --emulator=prod

## The test suite: the framework's own tests, the checks on the emulator, the local end-to-end flows.
test: $(STAMP)
	$(BIN)/pytest tests

## The end-to-end flows (chat, RAG, scraper, failure modes) on real Redis + Postgres; --stack=images for the images.
e2e: $(STAMP)
	$(BIN)/pytest e2e

## Benchmark of the local stack: start-up time, p50/p95 per flow, chat jobs/s with 1 and 4 workers.
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
