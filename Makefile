# mobius-gate — the two quick-start commands are `make gate` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: gate test lint e2e bench emulator clean

# google-auth must never probe the GCE metadata server from here: a closed loopback port, and
# NO_GCE_CHECK=true (lowercase: google-auth ignores "True") so it does not even retry that port.
export NO_GCE_CHECK := true
export GCE_METADATA_HOST := 127.0.0.1:9
export GCE_METADATA_IP := 127.0.0.1:9
# Python caches bytecode (in __pycache__/, git-ignored) as it does by default, even where the shell
# turned that off: without the cache every worker and every gate subprocess compiles the whole
# project again and pytest rewrites every test module's asserts again (about a minute of CPU per `make test`).
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The release gate on the embedded default: the emulator seeded with production (exits 1: not conformant).
gate: $(STAMP)
	$(BIN)/pytest checks --project=mobiusos-new --emulator=prod

## The test suite: the framework's own tests, the gate on the emulator, the local end-to-end flows; ruff.
## Three xdist workers on two cores: a third of the suite's time is spent waiting on other processes
## (the reference stack, servers, gate subprocesses), which a third worker fills (about 15% faster than -n 2).
## loadfile keeps each module on one worker (the in-process gate runs of a scenario are shared within a
## module) and all of e2e/ on one (one stack); the long units start first (tests/xdist_scopes.py).
## pytest's exit 5 (no tests ran) fails the target like any other failure.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest tests e2e -n 3 --dist loadfile

## The end-to-end flows (chat, RAG, scraper, failure modes) on real Redis + Postgres; --stack=images for the images.
e2e: $(STAMP)
	$(BIN)/pytest e2e

## Benchmarks: the local stack (start-up, p50/p95 per flow, chat jobs/s with 1 and 4 workers),
## the gate (inventory collection under injected latency/faults, gate wall time serial vs -n 4)
## and the gate's start-up against a bare `import pytest` (plugin import, --collect-only, emulator run).
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.gate
	$(BIN)/python -m bench.startup

## The emulator on its own (state persists while it runs): make emulator SCENARIO=staging PORT=8089
emulator: $(STAMP)
	$(BIN)/python -m mobius_gate.fixtures.emulator --scenario $(or $(SCENARIO),prod) --port $(or $(PORT),8089)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
