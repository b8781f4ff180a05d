"""A tiny pytest plugin for the acceptance tests: writes {node id: outcome} as JSON at the end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

_outcomes: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--outcome-log", default=None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or report.outcome != "passed":
        if report.when != "call" and report.failed:
            outcome = "error"
        elif hasattr(report, "wasxfail"):
            outcome = "xfailed"
        else:
            outcome = report.outcome
        _outcomes.setdefault(report.nodeid, outcome)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--outcome-log")
    if path and not hasattr(session.config, "workerinput"):
        Path(path).write_text(json.dumps(_outcomes, indent=1, sort_keys=True))
