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


def test_not_ready_latest_goes_back_to_the_previous_ready_one_through_a_forced_etag_conflict(
    emulator, gate, tmp_path: Path
) -> None:
    """Two deploys that never got ready; another writer changes each service right after the gate
    reads it: once for mobius-chat-api (retried once, applied), twice for mobius-rag (reported)."""
    emu = emulator("staging")
    previous, failed = _deploy_revision(emu, "mobius-chat-api", ready=False)
    rag_previous, _ = _deploy_revision(emu, "mobius-rag", ready=False)
    fix = f"gcloud run services update-traffic mobius-chat-api --to-revisions={previous}=100"
    ready = verdicts(emu.url)[("SVC-READY", "mobius-chat-api")]
    assert ready.status == "fail" and fix in ready.fix and "<previous-revision>" not in ready.fix
    emu.change_after_reads(run_model.service_name(PROD, REGION, "mobius-chat-api"), times=1)
    emu.change_after_reads(run_model.service_name(PROD, REGION, "mobius-rag"), times=2)

    audit = tmp_path / "audit.jsonl"
    args = ("--remediate=apply", "--yes", f"--audit-log={audit}")
    run = gate(emu.url, *args)
    assert "[applied] run.traffic mobius-chat-api  (SVC-READY mobius-chat-api)" in run.output, run.output[-3000:]
    assert "<previous-revision>" not in run.output and fix in run.remediation()
    retried, reported = audit_lines(audit)
    assert retried["resource"] == "run/mobius-chat-api" and retried["result"] == "applied"
    assert retried["diff"] == [{"field": "traffic", "before": ["LATEST=100%"], "after": [f"{previous}=100%"]}]
    (conflict,) = retried["conflicts"]
    assert conflict.startswith("traffic of mobius-chat-api: 409 ") and "retried once after a concurrent change" in (
        run.output
    )
    assert reported["resource"] == "run/mobius-rag" and len(reported["conflicts"]) == 2
    why = "failed: UpdateConflict: traffic of mobius-rag: changed concurrently again after one retry (409 Conflict"
    assert reported["result"].startswith(why) and "etag" in reported["result"]
    assert "[FAILED] run.traffic mobius-rag" in run.output
    statuses = [(w["path"].rsplit("/", 1)[-1], w["status"]) for w in journal(emu.url)]
    assert statuses == [("mobius-chat-api", 409), ("mobius-chat-api", 200), ("mobius-rag", 409), ("mobius-rag", 409)]
    assert _traffic(emu, "mobius-chat-api") == [(previous, 100)]
    assert (failed, False) in [(r.name, r.ready) for r in _revisions(emu, "mobius-chat-api")]  # never deleted

    again = gate(emu.url, *args)  # nobody interferes now: the reported one goes through, the other is as wanted
    assert "[unchanged] run.traffic mobius-chat-api" in again.output
    assert "[applied] run.traffic mobius-rag" in again.output and len(audit_lines(audit)) == 3
    assert _traffic(emu, "mobius-rag") == [(rag_previous, 100)]
