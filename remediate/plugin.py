"""``--remediate`` / ``--rollback`` in the pytest run (registered by the gate's plugin when asked).

The controller plans (and applies) once, where the inventory is acquired; the checks then
judge the repaired inventory. A failing check shows its changes in a "remediation" report
section; a check that passes after an applied change is *repaired*: ``R`` in the progress
line, "repaired" in the counts, and ``user_properties["mobius_repaired"]``. Under xdist the
controller hands its result to the workers as a JSON file (``workerinput``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mobius_gate.acquire import InventorySource
from mobius_gate.options import Settings
from mobius_gate.plugin.state import VERDICT, inventory

WORKERINPUT_KEY = "mobius_remediation_path"
REPAIRED = "mobius_repaired"


class RemediationPlugin:
    """Controller and workers alike: the per-check section, the repaired mark; the summary on the controller."""

    def __init__(self, config: pytest.Config, settings: Settings, source: InventorySource) -> None:
        self.config = config
        self.settings = settings
        self.remediator: Any = None
        self._shared: dict[str, Any] | None = None
        self.shared_path: Path | None = None
        if not hasattr(config, "workerinput"):
            from mobius_gate.remediate.runner import Remediator

            self.remediator = Remediator(settings, audit_explicit=config.getoption("mobius_audit_log") is not None)
            source.after_acquire = self.remediator

    # --- what the controller found, as every process reads it -------------------------------------
    def shared(self) -> dict[str, Any]:
        if self._shared is None:
            inventory(self.config)  # the remediation runs where the inventory is acquired
            if self.remediator is not None:
                self._shared = _to_shared(self.remediator.result)
            else:
                path = getattr(self.config, "workerinput", {}).get(WORKERINPUT_KEY)
                self._shared = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
        return self._shared

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.shared_path is None:
            fd, name = tempfile.mkstemp(prefix="mobius-remediation-", suffix=".json")
            os.close(fd)
            self.shared_path = Path(name)
            self.shared_path.write_text(json.dumps(self.shared()), encoding="utf-8")
        node.workerinput[WORKERINPUT_KEY] = str(self.shared_path)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        verdict = item.stash.get(VERDICT, None)
        if verdict is None or report.when != "call":
            return report
        key = f"{verdict.requirement}|{verdict.resource}"
        shared = self.shared()
        if verdict.status == "pass" and key in shared.get("repaired", ()):
            item.user_properties.append(
                (REPAIRED, json.dumps({"requirement": verdict.requirement, "resource": verdict.resource}))
            )
            report.user_properties = list(item.user_properties)
        elif verdict.status == "fail" and key in shared.get("checks", {}):
            report.sections.append(("mobius-gate remediation", shared["checks"][key]))
        return report

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
        if report.when == "call" and report.passed and any(k == REPAIRED for k, _ in report.user_properties):
            return "repaired", "R", "REPAIRED"
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        result = self.remediator.result if self.remediator is not None else None
        if result is None:
            return
        from mobius_gate.remediate.render import summary_lines

        terminalreporter.write_sep("=", "mobius-gate remediation")
        for line in summary_lines(result):
            terminalreporter.write_line(line)

    def pytest_unconfigure(self) -> None:
        if self.shared_path is not None:
            self.shared_path.unlink(missing_ok=True)


def _to_shared(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    from mobius_gate.remediate.render import check_text

    checks = {check for c in result.plan.changes for check in c.checks}
    checks |= {check for item in result.plan.manual for check in item.checks}
    texts = {f"{r}|{s}": check_text(result.plan, result.mode, (r, s)) for r, s in checks}
    return {
        "mode": result.mode,
        "repaired": sorted(f"{r}|{s}" for r, s in result.repaired),
        "checks": {k: v for k, v in texts.items() if v},
    }


def register(config: pytest.Config, settings: Settings, source: InventorySource) -> None:
    """Called from the gate's ``pytest_configure`` when ``--remediate`` or ``--rollback`` is given."""
    config.pluginmanager.register(RemediationPlugin(config, settings, source), "mobius-gate-remediation")
