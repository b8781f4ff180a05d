"""Loads the mobius-gate pytest plugin (and pytester, for the framework's own tests)."""

pytest_plugins = ["fixtures.plugin", "pytester"]
