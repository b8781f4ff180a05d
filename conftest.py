"""Loads the mobius-gate pytest plugin, its Redis/Postgres fixtures, and pytester for the framework's tests."""

pytest_plugins = ["fixtures.plugin", "fixtures.server_fixtures", "pytester"]
