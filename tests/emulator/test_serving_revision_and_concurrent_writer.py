"""The emulator's services answer as the revision serving their traffic; a concurrent writer makes etags stale."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from google.api_core import exceptions as gexc
from google.cloud import run_v2
from mobius_gate.fixtures.emulator import Emulator, health, run_model

from tests.emulator.conftest import make_client

pytestmark = pytest.mark.servers
PROJECT, REGION, SERVICE = "mobiusos-new", "us-central1", "mobius-rag"
NAME = run_model.service_name(PROJECT, REGION, SERVICE)


@pytest.fixture
def staging() -> Iterator[Emulator]:
    with Emulator("staging", PROJECT) as emu:
        yield emu


def _new_revision(emu: Emulator, *, ready: bool) -> str:
    previous = emu.store.find(NAME)
    assert previous is not None
    user = {k: v for k, v in previous.items() if k in run_model.USER_FIELDS}
    user["template"] = {**user["template"], "labels": {"attempt": previous["generation"]}}
    svc, revision = run_model.materialize(emu.store, emu.project(PROJECT), REGION, SERVICE, user, previous, ready=ready)
    assert revision is not None
    emu.store.put(NAME, svc)
    emu.store.put(revision["name"], revision)
    return revision["name"].rsplit("/", 1)[-1]


def _health(emu: Emulator) -> int:
    return httpx.get(f"{emu.url}/_svc/{SERVICE}/health", timeout=5).status_code


def _pin(emu: Emulator, revision: str) -> None:
    client = make_client(run_v2.ServicesClient, emu)
    svc = client.get_service(name=NAME)
    svc.traffic = [
        run_v2.TrafficTarget(
            type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
            revision=revision,
            percent=100,
        )
    ]
    client.update_service(service=svc).result()


def test_health_follows_the_revision_serving_traffic(staging: Emulator) -> None:
    first = staging.store.find(NAME)["latestReadyRevision"].rsplit("/", 1)[-1]
    _new_revision(staging, ready=False)
    assert _health(staging) == 200  # LATEST is the latest *ready* revision: the first one still answers
    broken = _new_revision(staging, ready=True)
    health.seed_override(staging.store, staging.project(PROJECT), SERVICE, {"status": 503, "revision": broken}, {})
    assert _health(staging) == 503  # the new revision serves, and its image answers 503
    _pin(staging, first)
    assert _health(staging) == 200  # rolled back: the service answers as the first revision again


def test_a_concurrent_writer_makes_the_next_update_stale(staging: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, staging)
    staging.change_after_reads(NAME, times=1)
    stale = client.get_service(name=NAME)  # someone else writes right after this read
    with pytest.raises(gexc.Conflict):
        client.update_service(service=stale)
    fresh = client.get_service(name=NAME)  # disarmed after one read
    assert fresh.last_modifier == "someone-else@mobius-gate.emulator" and fresh.etag != stale.etag
    client.update_service(service=fresh).result()

    staging.change_after_reads(f"{NAME}:getIamPolicy", times=1)
    policy = client.get_iam_policy(request={"resource": NAME})
    with pytest.raises(gexc.Conflict):
        client.set_iam_policy(request={"resource": NAME, "policy": policy})
    assert staging.change_after_reads(NAME, times=0) == {}
    assert [w["status"] for w in staging.writes()] == [409, 200, 409]
