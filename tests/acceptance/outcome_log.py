"""A tiny pytest plugin that records each check's outcome and its ``mobius_verdict`` user property.

In-process, an :class:`OutcomeLog` instance is passed to ``pytest.main(plugins=[...])``;
in a subprocess, ``-p tests.acceptance.outcome_log --outcome-log=FILE`` writes the same
record as JSON when the session ends (on the xdist controller, which sees every report).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


class OutcomeLog:
    """{node id: outcome} (passed/failed/error/skipped/xfailed) and {node id: verdict dict}."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.outcomes: dict[str, str] = {}
        self.verdicts: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == "mobius_verdict":
                self.verdicts[report.nodeid] = json.loads(value)
        if report.when == "call" or report.outcome != "passed":
            if report.when != "call" and report.failed:
                outcome = "error"
            elif hasattr(report, "wasxfail"):
                outcome = "xfailed"
            else:
                outcome = report.outcome
            self.outcomes.setdefault(report.nodeid, outcome)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.path is not None and not hasattr(session.config, "workerinput"):
            self.path.write_text(json.dumps({"outcomes": self.outcomes, "verdicts": self.verdicts}, indent=1))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--outcome-log", default=None, help="write {outcomes, verdicts} as JSON to this file")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--outcome-log")
    if path:
        config.pluginmanager.register(OutcomeLog(Path(path)), "acceptance-outcome-log")
