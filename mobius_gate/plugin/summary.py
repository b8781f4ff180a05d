"""The gate's conformance summary and its exit code: the release verdict of :mod:`mobius_gate.release`.

In this process the verdicts are the objects stashed on the items; from xdist workers
they arrive serialized in the reports' ``user_properties``. At session finish the
verdicts become :class:`~mobius_gate.release.Outcome` s, the release verdict is decided
(PASS only when every blocking requirement was judged and held) and the exit code set;
the terminal summary then says it, with counts equal to pytest's own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import fields
from typing import Any

import pytest

from mobius_gate.options import Settings
from mobius_gate.plugin.state import VERDICT
from mobius_gate.release import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_PASS, Outcome, Release, decide
from mobius_gate.verdict import Verdict

_FIELDS = {f.name for f in fields(Verdict)}
#: The user property the remediation plugin sets on a check that holds after ``--remediate=apply``.
REPAIRED = "mobius_repaired"
#: pytest exit statuses the release verdict may replace (anything else — interrupted, usage — stands).
_REPLACEABLE = {pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED}


class ConformanceSummary:
    """Gathers every verdict, decides the release verdict and prints the gate's summary."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.results: dict[str, Verdict] = {}
        #: Node ids of the checks that hold because ``--remediate=apply`` repaired them.
        self.repaired: set[str] = set()
        self.release: Release | None = None
        self.partial = False

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        if VERDICT in item.stash:
            self.results[item.nodeid] = item.stash[VERDICT]
        if any(key == REPAIRED for key, _ in item.user_properties):
            self.repaired.add(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "node", None) is None:
            return  # judged in this process: the stashed verdict is taken at teardown
        for key, value in report.user_properties:
            if key == "mobius_verdict":
                data = json.loads(value)
                self.results[report.nodeid] = Verdict(**{k: v for k, v in data.items() if k in _FIELDS})
            elif key == REPAIRED:
                self.repaired.add(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.results:
            return
        outcomes = [self.outcome(v, repaired=node in self.repaired) for node, v in self.results.items()]
        self.partial = self._partial(session.config)
        services = [service.name for service in self.settings.spec.services]
        self.release = decide(outcomes, partial=self.partial, services=services)
        if session.exitstatus in _REPLACEABLE:
            session.exitstatus = self.release.exit_code

    def outcome(self, verdict: Verdict, *, repaired: bool = False) -> Outcome:
        """The check as the release verdict reads it (waivers, not judged, live-only, advisories blocking)."""
        details = verdict.details
        live_only = "unjudged" in details and self._live_only(details["unjudged"])
        return Outcome(
            verdict.requirement,
            verdict.resource,
            verdict.status,
            verdict.reason,
            unjudged="unjudged" in details and not live_only,
            supply=details.get("unjudged"),
            waived=details.get("waived"),
            expired=details.get("waiver_expired"),
            advisories_block=self.settings.strict,
            repaired=repaired,
            live_only=live_only,
        )

    def _live_only(self, cause: str) -> bool:
        """On a snapshot (the pre-deploy gate) what only a live project can show is out of scope, not missing."""
        return self.settings.snapshot_dir is not None and cause.startswith("not in snapshot")

    def _partial(self, config: pytest.Config) -> bool:
        """Narrowed by -k, -m, --requirement or a path: fewer checks ran than the checklist has."""
        from mobius_gate.engine import load_rules

        if self.settings.requirements is not None or config.option.keyword or config.option.markexpr:
            return True
        expected = Counter(b.requirement.id for b in load_rules() for _ in b.subjects(self.settings.spec))
        judged = Counter(v.requirement for v in self.results.values())
        return any(judged[rid] < n for rid, n in expected.items())

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        release = self.release
        if release is None:
            return
        tr = terminalreporter
        tr.write_sep("=", "mobius-gate conformance")
        tr.write_line(f"project {self.settings.project} · {self.settings.source_label}: {_counts(release)}")
        self._write_failing(tr, release)
        self._write_unknown(tr, release)
        self._write_accepted(tr, release)
        diagnoses = Counter(v.diagnosis for v in self.results.values() if v.diagnosis)
        if diagnoses:
            tr.write_line("likely causes (Common Issues & Fixes):")
            for text, n in diagnoses.most_common():
                tr.write_line(f"  {n} check(s): {text}")
        headline = release.headline()
        if self.settings.snapshot_dir is not None and release.verdict is not None:
            headline = f"pre-deploy gate (snapshot): {release.verdict}"
        colour = {EXIT_PASS: "green", EXIT_FAIL: "red", EXIT_INCOMPLETE: "yellow"}.get(release.exit_code, "yellow")
        tr.write_line(f"{headline} (exit {release.exit_code})", bold=True, **{colour: True})

    def _write_failing(self, tr: Any, release: Release) -> None:
        if not release.failing:
            return
        tr.write_line("failing requirements, in the order to fix them:")
        for rid, n in release.failing_requirements():
            first = next(o for o in release.failing if o.requirement == rid)
            verdict = next(v for v in self.results.values() if v.requirement == rid and v.resource == first.resource)
            if n == 1:
                tr.write_line(f"  {rid} {first.resource}" + (f" — fix: {verdict.fix}" if verdict.fix else ""))
            else:
                names = [o.resource for o in release.failing if o.requirement == rid]
                tr.write_line(f"  {rid} x{n}: {', '.join(names)}")

    def _write_unknown(self, tr: Any, release: Release) -> None:
        if release.errors:
            tr.write_line(f"{len(release.errors)} check(s) could not judge (errors, not passes):", yellow=True)
            for cause, n in Counter(o.reason for o in release.errors).most_common(5):
                tr.write_line(f"  {n} x {cause}")
        if release.unjudged:
            tr.write_line(f"{len(release.unjudged)} blocking check(s) not judged for lack of input:", yellow=True)
            by_supply: dict[str, list[str]] = {}
            for rid, supply, _ in release.not_judged():
                by_supply.setdefault(supply, []).append(rid)
            for supply, ids in by_supply.items():
                tr.write_line(f"  {', '.join(ids)} — {supply}")
        live_only = Counter(v.details["unjudged"] for v in self.results.values() if self.outcome(v).kind == "live_only")
        for cause, n in live_only.items():
            tr.write_line(f"{n} check(s) need the live project ({cause}): the release gate judges them")

    def _write_accepted(self, tr: Any, release: Release) -> None:
        if release.advisories:
            count = len(release.advisories)
            tr.write_line(f"advisory findings ({count}, not blocking; --block-advisories makes them blocking):")
            for o in release.advisories:
                tr.write_line(f"  [{o.requirement}] {o.resource}: {o.reason}")
        if release.waived:
            tr.write_line(f"waived ({len(release.waived)}, accepted by --waivers, not passes):")
            for label, n in Counter(o.waived for o in release.waived).most_common():
                tr.write_line(f"  {n} x {label}")
        for label, n in Counter(o.expired for o in release.expired).most_common():
            tr.write_line(f"expired waiver no longer applies ({n} check(s)): {label}", red=True)
        checks = [(v.requirement, v.resource) for v in self.results.values()]
        for waiver in self.settings.waivers.unused(checks, partial=self.partial):
            tr.write_line(f"waiver matches nothing: {waiver.label()} (typo? or already fixed)", yellow=True)


def _counts(release: Release) -> str:
    """The same numbers pytest prints: passed, repaired, failed, errors, xfailed (advisory + waived), skipped
    (not judged + not applicable + live-only); repaired and live-only only when there are any."""
    c = release.counts
    parts = [
        f"{c['pass']} pass",
        *([f"{c['repaired']} repaired"] if c["repaired"] else []),
        f"{c['fail']} fail",
        f"{c['error']} error",
        f"{c['advisory']} advisory",
        f"{c['waived']} waived",
        f"{c['unjudged']} not judged",
        f"{c['na']} not applicable",
        *([f"{c['live_only']} live-only"] if c["live_only"] else []),
    ]
    return ", ".join(parts)
