"""The checkout's pytest setup: the mobius-gate plugin loads through its ``pytest11`` entry point
(``pip install -e .``); this adds the Redis/Postgres server fixtures and pytester for the framework's tests."""

pytest_plugins = ["mobius_gate.fixtures.server_fixtures", "pytester"]
