"""The gate's conformance summary at the end of the terminal report."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import fields
from typing import Any

import pytest

from mobius_gate.options import Settings
from mobius_gate.plugin.state import VERDICT
from mobius_gate.requirements import CATALOGUE
from mobius_gate.verdict import Verdict

_FIELDS = {f.name for f in fields(Verdict)}


class ConformanceSummary:
    """Gathers every verdict and prints the gate's summary.

    In this process the verdicts are the objects stashed on the items; from
    xdist workers they arrive serialized in the reports' ``user_properties``.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.results: dict[str, Verdict] = {}

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        if VERDICT in item.stash:
            self.results[item.nodeid] = item.stash[VERDICT]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "node", None) is None:
            return  # judged in this process: the stashed verdict is taken at teardown
        for key, value in report.user_properties:
            if key == "mobius_verdict":
                data = json.loads(value)
                self.results[report.nodeid] = Verdict(**{k: v for k, v in data.items() if k in _FIELDS})

    def _blocking(self, verdict: Verdict) -> bool:
        return CATALOGUE[verdict.requirement].severity == "blocking" or self.settings.strict

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if not self.results:
            return
        results = list(self.results.values())
        tr = terminalreporter
        tr.write_sep("=", "mobius-gate conformance")
        by_status = Counter(o.status for o in results)
        tr.write_line(
            f"project {self.settings.project} · {self.settings.source_label}: "
            f"{by_status['pass']} pass, {by_status['fail']} fail, {by_status['error']} error, "
            f"{by_status['na']} not applicable"
        )
        failing = [o for o in results if o.status == "fail"]
        blocking = [o for o in failing if self._blocking(o)]
        advisory = [o for o in failing if not self._blocking(o)]
        errors = [o for o in results if o.status == "error"]
        per_req = Counter(o.requirement for o in blocking)
        if per_req:
            tr.write_line("failing requirements: " + ", ".join(f"{r} x{n}" for r, n in sorted(per_req.items())))
        if errors:
            tr.write_line(f"{len(errors)} check(s) could not judge (errors, not passes):", yellow=True)
            for cause, n in Counter(o.reason for o in errors).most_common(5):
                tr.write_line(f"  {n} x {cause}")
        not_collected = Counter(o.reason for o in results if o.reason.startswith("not collected:"))
        if not_collected:
            tr.write_line(f"{sum(not_collected.values())} check(s) not judged because their data was not collected:")
            for cause, n in not_collected.most_common():
                tr.write_line(f"  {n} x {cause}")
        if advisory:
            tr.write_line(f"advisory findings ({len(advisory)}, not blocking; --block-advisories makes them blocking):")
            for o in advisory:
                tr.write_line(f"  [{o.requirement}] {o.resource}: {o.reason}")
        diagnoses = Counter(o.diagnosis for o in results if o.diagnosis)
        if diagnoses:
            tr.write_line("likely causes (Common Issues & Fixes):")
            for text, n in diagnoses.most_common():
                tr.write_line(f"  {n} check(s): {text}")
        verdict = "FAIL" if blocking or errors else "PASS"
        tr.write_line(f"release gate: {verdict}", red=verdict == "FAIL", green=verdict == "PASS", bold=True)
