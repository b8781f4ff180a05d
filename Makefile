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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
