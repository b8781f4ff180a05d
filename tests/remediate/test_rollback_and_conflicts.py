"""The Rollback Plan (traffic back on the previous ready revision) and forced etag conflicts, on staging.

Each test deploys a bad revision on top of a ready one in a fresh emulator: one that never
gets ready (SVC-READY fails), or one that is ready but answers 503 on /health (VER-HEALTH fails).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.cloud import run_v2
from mobius_gate.fixtures.emulator import Emulator, health, run_model

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import Target
from mobius_gate.revisions import Revision
from tests.emulator.conftest import make_client
from tests.remediate.conftest import PROD, REGION, audit_lines, journal, verdicts

pytestmark = pytest.mark.servers


def _deploy_revision(emu: Emulator, service: str, *, ready: bool) -> tuple[str, str]:
    """A new revision of ``service`` (traffic LATEST): (the previous ready revision, the new one)."""
    store = emu.store
    name = run_model.service_name(PROD, REGION, service)
    previous = store.find(name)
    assert previous is not None
    user = {k: v for k, v in previous.items() if k in run_model.USER_FIELDS}
    user["template"] = {**user["template"], "labels": {"attempt": "2"}}
    svc, revision = run_model.materialize(store, emu.project(PROD), REGION, service, user, previous, ready=ready)
    assert revision is not None
    store.put(svc["name"], svc)
    store.put(revision["name"], revision)
    return previous["latestReadyRevision"].rsplit("/", 1)[-1], revision["name"].rsplit("/", 1)[-1]


def _unhealthy(emu: Emulator, service: str, revision: str) -> None:
    """``revision`` starts (Ready) but its /health answers 503: the image is broken."""
    body = {"status": 503, "revision": revision, "body": {"status": "broken build"}}
    health.seed_override(emu.store, emu.project(PROD), service, body, {})


def _traffic(emu: Emulator, service: str) -> list[tuple[str, int]]:
    svc = make_client(run_v2.ServicesClient, emu).get_service(name=run_model.service_name(PROD, REGION, service))
    return [(t.revision or "LATEST", t.percent) for t in svc.traffic_statuses]


def _revisions(emu: Emulator, service: str) -> list[Revision]:
    """``service``'s revisions as the gate collects them (newest first)."""
    inv = collect_inventory(Target(PROD, REGION, emu.url), sections={"services"})
    svc = inv.service(service)
    assert svc is not None and svc.revisions is not None
    return svc.revisions


def test_not_ready_latest_revision_gets_traffic_back_on_the_previous_ready_one(emulator, gate, tmp_path: Path) -> None:
    emu = emulator("staging")
    previous, failed = _deploy_revision(emu, "mobius-chat-api", ready=False)

    fix = f"gcloud run services update-traffic mobius-chat-api --to-revisions={previous}=100"
    ready = verdicts(emu.url)[("SVC-READY", "mobius-chat-api")]
    assert ready.status == "fail" and fix in ready.fix and "<previous-revision>" not in ready.fix
    audit = tmp_path / "audit.jsonl"
    run = gate(emu.url, "--remediate=apply", "--yes", f"--audit-log={audit}")
    assert "[applied] run.traffic mobius-chat-api  (SVC-READY mobius-chat-api)" in run.output, run.output[-3000:]
    assert "<previous-revision>" not in run.output and fix in run.remediation()
    (line,) = audit_lines(audit)
    assert line["operation"] == "run.traffic" and line["diff"][0]["after"] == [f"{previous}=100%"]
    assert _traffic(emu, "mobius-chat-api") == [(previous, 100)]
    assert (failed, False) in [(r.name, r.ready) for r in _revisions(emu, "mobius-chat-api")]  # never deleted

    again = gate(emu.url, "--remediate=apply", "--yes", f"--audit-log={audit}")
    assert "[unchanged] run.traffic mobius-chat-api" in again.output and len(audit_lines(audit)) == 1
    assert [w["method"] for w in journal(emu.url)] == ["PATCH"]


def test_unhealthy_latest_revision_is_rolled_back_and_health_passes_again(emulator, gate, tmp_path: Path) -> None:
    emu = emulator("staging")
    previous, broken = _deploy_revision(emu, "mobius-rag", ready=True)
    _unhealthy(emu, "mobius-rag", broken)
    audit = tmp_path / "audit.jsonl"
    run = gate(emu.url, "--remediate=apply", "--yes", f"--audit-log={audit}")
    assert "[applied] run.traffic mobius-rag  (VER-HEALTH mobius-rag)" in run.output, run.output[-3000:]
    assert f"--to-revisions={previous}=100" in run.remediation()
    assert _traffic(emu, "mobius-rag") == [(previous, 100)]
    # the checks judged the state after the rollback: health passes again (the emulator serves as the
    # revision taking the traffic), SVC-READY says the release is not at the latest revision
    assert run.status("VER-HEALTH", "mobius-rag") == "pass" and "1 check(s) repaired" in run.counts()
    assert run.status("SVC-READY", "mobius-rag") == "fail"
    again = gate(emu.url, "--remediate=apply", "--yes", f"--audit-log={audit}")
    assert f"traffic is pinned to {previous} (a rollback)" in again.remediation()
    assert "0 applied" in again.counts() and len(audit_lines(audit)) == 1
    assert _traffic(emu, "mobius-rag") == [(previous, 100)]


def test_rollback_by_hand_changes_only_that_service(emulator, gate, tmp_path: Path) -> None:
    emu = emulator("staging")
    previous, latest = _deploy_revision(emu, "mobius-os", ready=True)
    _deploy_revision(emu, "mobius-chat-api", ready=False)  # failing, but not asked for

    shown = gate(emu.url, "--rollback=mobius-os", "--remediate=plan")
    assert "[would apply] run.traffic mobius-os  (ROLLBACK mobius-os)" in shown.remediation()
    assert f"--to-revisions={previous}=100" in shown.remediation() and journal(emu.url) == []

    audit = tmp_path / "audit.jsonl"
    refused = gate(emu.url, "--rollback=mobius-os", f"--audit-log={audit}")
    assert refused.returncode == 4 and journal(emu.url) == []
    run = gate(emu.url, "--rollback=mobius-os", "--yes", f"--audit-log={audit}")
    (line,) = audit_lines(audit)
    assert line["checks"] == ["ROLLBACK mobius-os"] and line["diff"][0]["after"] == [f"{previous}=100%"]
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in journal(emu.url)] == [("PATCH", "mobius-os")]
    assert _traffic(emu, "mobius-os") == [(previous, 100)], run.output[-2000:]
    assert latest != previous


def test_a_forced_etag_conflict_is_retried_once_then_reported(emulator, gate, tmp_path: Path) -> None:
    """Another writer changes the service between the gate's read and its write: once, then every time."""
    emu = emulator("staging")
    once, _ = _deploy_revision(emu, "mobius-chat-api", ready=False)
    _deploy_revision(emu, "mobius-rag", ready=False)
    emu.change_after_reads(run_model.service_name(PROD, REGION, "mobius-chat-api"), times=1)
    emu.change_after_reads(run_model.service_name(PROD, REGION, "mobius-rag"), times=2)

    audit = tmp_path / "audit.jsonl"
    run = gate(emu.url, "--remediate=apply", "--yes", f"--audit-log={audit}")
    by_service = {e["resource"]: e for e in audit_lines(audit)}
    retried, reported = by_service["run/mobius-chat-api"], by_service["run/mobius-rag"]
    assert retried["result"] == "applied" and len(retried["conflicts"]) == 1
    assert "409" in retried["conflicts"][0] or "ABORTED" in retried["conflicts"][0].upper()
    assert (
        reported["result"].startswith("failed: ") and "changed concurrently again after one retry" in reported["result"]
    )
    assert len(reported["conflicts"]) == 2
    assert "[FAILED] run.traffic mobius-rag" in run.output and "retried once after a concurrent change" in run.output
    statuses = [(w["path"].rsplit("/", 1)[-1], w["status"]) for w in journal(emu.url)]
    assert statuses == [("mobius-chat-api", 409), ("mobius-chat-api", 200), ("mobius-rag", 409), ("mobius-rag", 409)]
    assert _traffic(emu, "mobius-chat-api") == [(once, 100)]
