"""VER-HEALTH: a probe that got no answer is an error (INCOMPLETE), never a failure with a guessed cause.

Cloud Run's front end accepts every connection to a service URL, so a connect
error, a DNS failure, a timeout or a spent collection budget says something
about the gate's network, not the service. Only an answer other than 200 — or
a service that is not there to answer (not deployed, no URI) — is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect.health import LATE, collect_health
from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import HealthProbe, Inventory, Section, Service
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict
from tests.acceptance.gate import CHECKS_DIR, run_inprocess
from tests.checks.factory import CHECKS as phase4
from tests.checks.factory import conformant, resolved_spec

API = "mobius-chat-api"


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return resolved_spec()


def judged(spec: Checklist, probe: HealthProbe) -> tuple[Verdict, Inventory]:
    inv = conformant(spec)
    others = [p for p in (inv.health.items or []) if p.service != probe.service]
    inv = inv.model_copy(update={"health": Section[HealthProbe](items=[*others, probe])})
    bound = phase4.test_health_endpoint.mobius_rule  # type: ignore[attr-defined]
    return bound.judge(dict(bound.subjects(spec))[probe.service], spec, inv), inv


@pytest.mark.parametrize(
    "error",
    [LATE, "ConnectError: [Errno 111] Connection refused", "ConnectError: [Errno -2] Name or service not known"],
)
def test_a_probe_without_an_answer_is_an_error_without_a_cause(spec: Checklist, error: str) -> None:
    probe = HealthProbe(service=API, url="https://api.run.app/health", error=error, incomplete=True)
    verdict, inv = judged(spec, probe)
    assert verdict.status == "error", verdict.message()
    assert verdict.reason == f"cannot confirm: /health could not be probed: {error}"
    assert (verdict.fix or "").startswith("no gcloud change until it can be judged"), verdict.fix
    assert diagnose(verdict, spec, inv) is None


def test_an_absent_service_still_fails(spec: Checklist) -> None:
    verdict, _ = judged(spec, HealthProbe(service=API, url="/health", error="service not deployed", attempts=0))
    assert verdict.status == "fail"


def test_an_answer_other_than_200_still_fails(spec: Checklist) -> None:
    verdict, _ = judged(spec, HealthProbe(service=API, url="https://api/health", status_code=503, attempts=3))
    assert verdict.status == "fail"


def test_a_refused_connection_is_recorded_as_incomplete(spec: Checklist) -> None:
    """The collector itself: nothing listens on the URL → an incomplete probe, not an answer."""
    services = Section[Service](items=[Service(name=API, uri="http://127.0.0.1:9")])
    section = collect_health(services, spec, timeout_s=1.0, attempts=1, budget_s=5.0)
    probe = next(p for p in section.items if p.service == API)
    assert probe.status_code is None and probe.incomplete and "ConnectError" in (probe.error or "")


@pytest.mark.servers
def test_gate_with_a_slow_emulator_is_incomplete_not_failed(tmp_path: Path) -> None:
    """``--collect-timeout=4`` against 3 s of latency per call: VER-HEALTH cannot judge, and says so."""
    with Emulator("staging", project="mobiusos-new", latency_ms=3000) as emu:
        run = run_inprocess(
            "--project=mobiusos-new",
            f"--emulator={emu.url}",
            "--collect-timeout=4",
            basetemp=tmp_path / "gate",
            target=CHECKS_DIR / "test_verify_health.py",
        )
    health = {node: v for node, v in run.verdicts.items() if v["requirement"] == "VER-HEALTH"}
    assert health, run.stdout[-2000:]
    assert {v["status"] for v in health.values()} == {"error"}, [v["reason"] for v in health.values()]
    assert not [v for v in health.values() if v.get("diagnosis")]
    assert "Service can't reach Redis" not in run.stdout
    assert "Likely cause" not in run.stdout
    assert run.returncode == 6, run.stdout[-2000:]
