"""Rollback to the previous ready revision; the same end state under 20 % faults and with -n 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud import run_v2
from mobius_gate.fixtures.emulator import Emulator, run_model

from tests.emulator.conftest import make_client
from tests.remediate.conftest import PROD, REGION, end_state

pytestmark = pytest.mark.servers
SERVICE = "mobius-chat-api"


def _break_latest_revision(emu: Emulator, service: str) -> tuple[str, str]:
    """Deploy a revision that never gets ready on top of a ready one: (previous ready, failed latest)."""
    store = emu.store
    name = run_model.service_name(PROD, REGION, service)
    previous = store.find(name)
    user = {k: v for k, v in previous.items() if k in run_model.USER_FIELDS}
    user["template"] = {**user["template"], "labels": {"attempt": "2"}}
    svc, revision = run_model.materialize(store, emu.project(PROD), REGION, service, user, previous, ready=False)
    store.put(svc["name"], svc)
    store.put(revision["name"], revision)
    return previous["latestReadyRevision"].rsplit("/", 1)[-1], revision["name"].rsplit("/", 1)[-1]


@pytest.fixture
def staging_with_bad_revision() -> Iterator[tuple[Emulator, str, str]]:
    with Emulator("staging", PROD) as emu:
        yield emu, *_break_latest_revision(emu, SERVICE)


def test_not_ready_latest_revision_gets_traffic_back_on_the_previous_ready_one(
    staging_with_bad_revision, gate, tmp_path: Path
) -> None:
    emu, previous, failed = staging_with_bad_revision
    plan = gate(emu, f"--rollback={SERVICE}", "--remediate=plan")
    remediation = plan.stdout.split("mobius-gate remediation ===")[-1]
    assert f"--to-revisions={previous}=100" in remediation and "<previous-revision>" not in remediation
    assert "(SVC-READY mobius-chat-api, VER-HEALTH mobius-chat-api)" in remediation
    assert emu.stats()["writes"] == 0

    audit = tmp_path / "audit.jsonl"
    run = gate(emu, "--remediate=apply", "--yes", f"--audit-log={audit}")
    assert "[applied] run.traffic mobius-chat-api" in run.stdout, run.stdout[-3000:]
    (line,) = run.audit(audit)
    assert line["operation"] == "run.traffic" and line["diff"][0]["after"] == [f"{previous}=100%"]
    client = make_client(run_v2.ServicesClient, emu)
    svc = client.get_service(name=run_model.service_name(PROD, REGION, SERVICE))
    assert [(t.revision, t.percent) for t in svc.traffic_statuses] == [(previous, 100)]
    assert svc.latest_created_revision.endswith(failed)  # never deleted: the failed revision stays


def _apply_and_read(emu: Emulator, gate, tmp_path: Path, *args: str) -> dict:
    audit = tmp_path / f"audit{len(list(tmp_path.iterdir()))}.jsonl"
    run = gate(emu, "--remediate=apply", "--yes", "--max-changes=20", f"--audit-log={audit}", *args)
    assert "failed" not in run.stdout.split("mobius-gate remediation ===")[-1].split("audit:")[0].split(", ")[2], (
        run.stdout
    )
    emu.configure(fault_rate=0.0)
    return end_state(emu)


def test_same_end_state_with_faults_and_workers(prod, gate, tmp_path: Path) -> None:
    serial = _apply_and_read(prod, gate, tmp_path)
    with Emulator("prod", PROD, fault_rate=0.2, seed=7) as faulty:
        parallel = _apply_and_read(faulty, gate, tmp_path, "-n", "2")
        assert faulty.stats()["faults"] > 0
    assert parallel == serial
    assert serial[("INF-REDIS", "mobius-redis")] == "pass" and serial[("SVC-DEPLOYED", "mobius-dbt-ui")] == "pass"
