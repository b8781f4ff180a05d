"""Phase 4 §4.2 Services Health: every service with a health path answers 200.

Judges the probes the health collector made once; a failure names the likely
cause the other checks found (``mobius_gate/diagnose.py``).
"""

from __future__ import annotations

from mobius_gate.manual_fixes import inspect_service, read_logs
from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import Deployed, services
from mobius_gate.verdict import Verdict


@check("VER-HEALTH", services(lambda svc: bool(svc.health_path)), section="4.2 Services Health")
def test_health_endpoint(it: Deployed, judge: Judge) -> Verdict:
    """§4.2 Services Health: the service's health path answers 200.

    > # Health checks
    > curl https://mobius-chat-api-xxx.run.app/health
    > curl https://mobius-skills-scraper-xxx.run.app/health
    > curl https://mobius-rag-xxx.run.app/health
    """
    inv, name, path = judge.inv, it.name, it.spec.health_path
    if not inv.health.ok:
        return judge.errored(f"health endpoints were not probed: {inv.health.cause}")
    probe = inv.health_probe(name)
    if probe is None:
        return judge.errored(f"no health probe was recorded for {name}")
    expected = f"GET {path} → 200"
    if probe.error is not None and probe.incomplete:
        # No answer came back: that says nothing about the service (no cause to name, nothing to fix).
        return judge.errored(f"cannot confirm: {path} could not be probed: {probe.error}")
    if probe.error is not None:
        fix = judge.then(inspect_service(judge.requirement, name, name, judge.where))
        reason = f"{path} could not be probed: {probe.error}"
        return judge.failed(reason, expected=expected, actual=probe.error, fix=fix)
    if probe.status_code is None:
        return judge.errored(f"the probe of {probe.url} recorded neither a status nor an error")
    latency = f" in {probe.latency_ms:.0f} ms" if probe.latency_ms is not None else ""
    details = {"latency_ms": str(probe.latency_ms)}
    if probe.status_code != 200:
        tries = f" (after {probe.attempts} attempts)" if probe.attempts > 1 else ""
        return judge.failed(
            f"{probe.url} answered {probe.status_code}{tries}",
            expected=expected,
            actual=f"{probe.status_code}{latency}",
            fix=judge.then(read_logs(judge.requirement, name, [name], judge.where)),
            details=details,
        )
    return judge.passed(f"{probe.url} answered 200{latency}", details=details)
