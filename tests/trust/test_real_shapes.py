"""Real API shapes the gate used to misread, end to end: emulator scenario → official clients → verdicts.

Each bundled scenario below reproduces one recorded real shape
(``tests/collect/data/real/README.md``); the inventory is collected from the in-process
emulator with the real collectors and judged with :func:`mobius_gate.engine.judge_all`.
"""

from __future__ import annotations

from functools import cache

import httpx
import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.normalize import service_from_knative
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.engine import judge_all
from mobius_gate.inventory import Inventory
from mobius_gate.spec import Checklist, load_checklist
from mobius_gate.verdict import Verdict

pytestmark = pytest.mark.servers

PROJECT, REGION = "mobiusos-new", "us-central1"
OPTIONS = CollectOptions(timeout_s=60, retry_attempts=3, retry_initial_s=0.01, retry_max_s=0.05)


@cache
def spec() -> Checklist:
    return load_checklist().resolve(PROJECT, REGION)


@cache
def collected(scenario: str) -> Inventory:
    with Emulator(scenario, project=PROJECT) as emu:
        return collect_inventory(Target(PROJECT, REGION, emu.url), OPTIONS)


@cache
def judged(scenario: str) -> dict[tuple[str, str], Verdict]:
    return {(v.requirement, v.resource): v for v in judge_all(spec(), collected(scenario))}


def not_passing(scenario: str) -> dict[tuple[str, str], str]:
    return {key: v.status for key, v in judged(scenario).items() if v.status not in ("pass", "na", "advisory")}


def test_staging_has_no_red_and_no_rollout() -> None:
    assert not_passing("staging") == {}
    inv = collected("staging")
    assert {s.reconciling for s in inv.services.items} == {False}
    assert all(c.network == "default" and c.subnet is None for c in inv.connectors.items)


def test_subnet_connector_fails_on_its_shape_and_is_never_read_as_a_network() -> None:
    connector = collected("connector-subnet").connector("mobius-redis-connector")
    assert connector is not None
    assert (connector.network, connector.ip_cidr_range) == (None, None)
    assert (connector.subnet, connector.subnet_project) == ("mobius-connector-subnet", PROJECT)
    assert not_passing("connector-subnet") == {("INF-VPC", "mobius-redis-connector"): "fail"}
    verdict = judged("connector-subnet")[("INF-VPC", "mobius-redis-connector")]
    assert verdict.reason.startswith(
        "connector created with --subnet=mobius-connector-subnet, not the checklist's "
        "--network=default --range=10.8.0.0/28"
    )
    assert "network=mobius-connector-subnet" not in verdict.message()
    assert "cannot confirm the Redis network" in verdict.reason
    assert verdict.fix is not None
    assert "connectors delete mobius-redis-connector" in verdict.fix
    assert "--network=default --range=10.8.0.0/28" in verdict.fix
    assert "recreate" in verdict.fix


def test_direct_vpc_service_is_named_as_such_not_as_without_vpc_access() -> None:
    svc = collected("direct-vpc-egress").service("mobius-chat-api")
    assert svc is not None
    assert (svc.vpc_connector, svc.vpc_network, svc.vpc_subnetwork, svc.vpc_egress) == (
        None,
        "default",
        "default",
        "private-ranges-only",
    )
    assert not_passing("direct-vpc-egress") == {("SVC-VPC-CONNECTOR", "mobius-chat-api"): "fail"}
    verdict = judged("direct-vpc-egress")[("SVC-VPC-CONNECTOR", "mobius-chat-api")]
    assert verdict.reason == (
        "uses Direct VPC egress (network default, subnet default) instead of the checklist's connector "
        "mobius-redis-connector"
    )
    assert "no VPC" not in verdict.message()
    assert verdict.fix is not None
    assert "--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only" in verdict.fix
    assert "--clear-network" in verdict.fix


def test_direct_vpc_reads_alike_in_the_knative_view() -> None:
    """The v1 view carries Direct VPC as the run.googleapis.com/network-interfaces annotation."""
    with Emulator("direct-vpc-egress", project=PROJECT) as emu:
        doc = httpx.get(f"{emu.url}/apis/serving.knative.dev/v1/namespaces/{PROJECT}/services/mobius-chat-api").json()
    annotations = doc["spec"]["template"]["metadata"]["annotations"]
    assert "run.googleapis.com/vpc-access-connector" not in annotations
    svc = service_from_knative(doc, project=PROJECT)
    assert (svc.vpc_network, svc.vpc_subnetwork, svc.vpc_egress) == ("default", "default", "private-ranges-only")


def test_rollout_in_progress_is_an_error_saying_so_not_not_ready() -> None:
    inv = collected("rollout-in-progress")
    updating, creating = inv.service("mobius-os"), inv.service("module-hub")
    assert updating is not None and creating is not None
    assert (updating.ready, updating.reconciling) == (None, True)
    assert updating.latest_created_revision == "mobius-os-00002-rlg"
    assert updating.latest_ready_revision != updating.latest_created_revision
    assert (creating.ready, creating.reconciling, creating.latest_ready_revision) == (None, True, None)
    assert not_passing("rollout-in-progress") == {
        ("SVC-READY", "mobius-os"): "error",
        ("SVC-READY", "module-hub"): "error",
    }
    for name in ("mobius-os", "module-hub"):
        verdict = judged("rollout-in-progress")[("SVC-READY", name)]
        assert verdict.reason.startswith("rollout in progress: Cloud Run is still rolling out")
        assert "not ready" not in verdict.reason.replace("readiness is not settled", "")
        assert verdict.fix is not None and "re-run" in verdict.fix
        assert verdict.diagnosis is None
    updating_reason = judged("rollout-in-progress")[("SVC-READY", "mobius-os")].reason
    assert f"{updating.latest_ready_revision} serves meanwhile" in updating_reason
    assert "nothing serves yet" in judged("rollout-in-progress")[("SVC-READY", "module-hub")].reason


def test_request_log_evidence_is_the_request_never_an_empty_line() -> None:
    entries = collected("worker-request-errors").logs_of("mobius-chat-worker")
    request_logs = [e for e in entries if e.request]
    assert request_logs and all(e.text == "" and e.severity == "ERROR" for e in request_logs)
    assert not_passing("worker-request-errors") == {("VER-LOGS", "mobius-chat-worker"): "fail"}
    verdict = judged("worker-request-errors")[("VER-LOGS", "mobius-chat-worker")]
    url = "https://mobius-chat-worker-418277465010.us-central1.run.app/health"
    assert f"it logged 'GET {url} → 500 in 0.004s'" in verdict.reason
    assert "it logged ''" not in verdict.reason
