"""Review "trust" false passes in Phase 1 and §4.3, on crafted inventories.

Each case: the deviation, the requirement and resource that must fail (or error when the
gate honestly cannot tell), and the fix naming the deviating resource.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mobius_gate.collect.normalize import connector_from_wire, redis_from_wire, role_members
from mobius_gate.fixes import Fix
from mobius_gate.inventory import Inventory, LogEntry, Section
from mobius_gate.rules.values import parse_redis_url
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as checks
from tests.checks.factory import REDIS_HOST, judge, with_connector, with_env, with_redis, with_secret

SA = "serviceAccount:mobius-platform@mobiusos-new.iam.gserviceaccount.com"
HOST_NETWORK = "projects/shared-vpc-host/global/networks/default"
WORKER = "mobius-chat-worker"


def operations(verdict: Verdict) -> list[str]:
    return [s.operation for s in Fix.from_json(verdict.details["fix"]).steps]


# --------------------------------------------------------------------------- F4: the network's project


def test_wire_keeps_the_network_project() -> None:
    redis = redis_from_wire({"name": "projects/p/locations/r/instances/x", "authorizedNetwork": HOST_NETWORK})
    assert (redis.authorized_network, redis.authorized_network_project) == ("default", "shared-vpc-host")
    connector = connector_from_wire({"name": "projects/p/locations/r/connectors/c", "network": "default"})
    assert (connector.network, connector.network_project) == ("default", None)


def test_redis_on_a_shared_vpc_host_network_fails_with_a_manual_recreate(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, authorized_network_project="shared-vpc-host")
    verdict = judge(checks.test_redis_instance, spec.redis.name, spec, inv)
    assert verdict.status == "fail" and verdict.resource == spec.redis.name, verdict.message()
    assert f"{HOST_NETWORK} (another project)" in (verdict.actual or "")
    assert "projects/mobiusos-new/global/networks/default" in (verdict.expected or "")
    assert operations(verdict) == ["redis.describe"]  # never an automatic delete
    assert "recreate it by hand" in (verdict.fix or "")
    # The connector, on this project's default, is not on Redis' network either.
    vpc = judge(checks.test_vpc_connector, spec.vpc_connector.name, spec, inv)
    assert vpc.status == "fail" and "redis_network" in vpc.message(), vpc.message()


def test_connector_on_a_shared_vpc_host_network_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_connector(inv, network_project="shared-vpc-host")
    verdict = judge(checks.test_vpc_connector, spec.vpc_connector.name, spec, inv)
    assert verdict.status == "fail", verdict.message()
    assert "network_project" in verdict.message() and "redis_network" in verdict.message()
    assert operations(verdict) == ["vpcaccess.describe"]
    assert "recreate it by hand" in (verdict.fix or "")


def test_this_projects_full_network_path_passes(spec: Checklist, inv: Inventory) -> None:
    inv = with_connector(with_redis(inv, authorized_network_project="mobiusos-new"), network_project="mobiusos-new")
    assert judge(checks.test_redis_instance, spec.redis.name, spec, inv).status == "pass"
    assert judge(checks.test_vpc_connector, spec.vpc_connector.name, spec, inv).status == "pass"


def test_a_project_number_cannot_be_told_from_the_project_id(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, authorized_network_project="123456789012")
    verdict = judge(checks.test_redis_instance, spec.redis.name, spec, inv)
    assert verdict.status == "error" and "project number" in verdict.message(), verdict.message()


# --------------------------------------------------------------------------- F7: Redis AUTH


def test_auth_enabled_with_passwordless_urls_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, auth_enabled=True)
    verdict = judge(checks.test_redis_instance, spec.redis.name, spec, inv)
    assert verdict.status == "fail" and "auth_enabled" in verdict.message(), verdict.message()
    assert "NOAUTH" in (verdict.actual or "") and WORKER in (verdict.actual or "")
    assert f"gcloud redis instances update {spec.redis.name}" in (verdict.fix or "")
    assert "--no-enable-auth" in (verdict.fix or "")


def test_auth_enabled_with_the_auth_string_in_every_url_passes(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, auth_enabled=True)
    for svc in spec.services:
        if svc.uses_redis and inv.service(svc.name) is not None:
            inv = with_env(inv, svc.name, "REDIS_URL", f"redis://:s3cr3t-auth-string@{REDIS_HOST}:6379/0")
    assert judge(checks.test_redis_instance, spec.redis.name, spec, inv).status == "pass"


# --------------------------------------------------------------------------- F8: worker start lines


def logs(inv: Inventory, service: str, *lines: tuple[str, str]) -> Inventory:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    revision = inv.service(service).latest_created_revision  # type: ignore[union-attr]
    entries = [
        LogEntry(service=service, revision=revision, timestamp=start + timedelta(seconds=i), severity=sev, text=text)
        for i, (sev, text) in enumerate(lines)
    ]
    others = [e for e in inv.log_entries.items if e.service != service]
    return inv.model_copy(update={"log_entries": Section[LogEntry](items=others + entries)})


def started(spec: Checklist, service: str) -> list[tuple[str, str]]:
    return [("INFO", line) for line in spec.service(service).log_lines]


STOPS = ["Shutting down", "INFO:     Application shutdown complete.", "Finished server process"]


@pytest.mark.parametrize("stop", STOPS)
def test_a_stop_after_the_start_lines_fails(spec: Checklist, inv: Inventory, stop: str) -> None:
    inv = logs(inv, WORKER, *started(spec, WORKER), ("INFO", stop))
    verdict = judge(checks.test_worker_start_lines, WORKER, spec, inv)
    assert verdict.status == "fail" and verdict.resource == WORKER, verdict.message()
    assert "Worker starts then shuts down" in verdict.message() and "--no-cpu-throttling" in (verdict.fix or "")


def test_an_error_after_the_start_lines_fails(spec: Checklist, inv: Inventory) -> None:
    inv = logs(inv, WORKER, *started(spec, WORKER), ("ERROR", "Traceback: redis.exceptions.ConnectionError"))
    verdict = judge(checks.test_worker_start_lines, WORKER, spec, inv)
    assert verdict.status == "fail" and "then ERROR" in verdict.message(), verdict.message()


def test_a_start_line_prefixing_a_failure_is_no_start(spec: Checklist, inv: Inventory) -> None:
    worker = "mobius-rag-chunking-worker"
    inv = logs(inv, worker, ("ERROR", "Starting chunking worker... failed: Redis connection refused"))
    verdict = judge(checks.test_worker_start_lines, worker, spec, inv)
    assert verdict.status == "fail" and "missing 'Starting chunking worker...'" in verdict.message()


def test_a_restart_after_a_stop_and_a_logger_prefix_pass(spec: Checklist, inv: Inventory) -> None:
    lines = started(spec, WORKER)
    prefixed = [(sev, f"INFO:app.worker:{text}") for sev, text in lines]
    inv = logs(inv, WORKER, *lines, ("INFO", "Shutting down"), *prefixed)
    assert judge(checks.test_worker_start_lines, WORKER, spec, inv).status == "pass"


# --------------------------------------------------------------------------- F13: conditional secret grants


def test_a_conditional_binding_is_no_plain_member() -> None:
    policy: dict[str, Any] = {
        "bindings": [
            {"role": "roles/secretmanager.secretAccessor", "members": [SA], "condition": {"expression": "false"}}
        ]
    }
    assert role_members(policy, "roles/secretmanager.secretAccessor", conditional=False) == []
    assert role_members(policy, "roles/secretmanager.secretAccessor", conditional=True) == [SA]
    assert role_members(policy, "roles/secretmanager.secretAccessor") == [SA]  # every binding (run invoker)


def test_only_a_conditional_grant_on_the_secret_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "jwt-secret", accessors=[], conditional_accessors=[SA])
    verdict = judge(checks.test_secret_ready, "jwt-secret", spec, inv)
    assert verdict.status == "error", verdict.message()
    assert "only a conditional grant on the secret's IAM policy" in verdict.message()


# --------------------------------------------------------------------------- /00: one database parser


@pytest.mark.parametrize(("url", "db"), [("/00", 0), ("/0", 0), ("", 0), ("/", 0), ("/01", 1), ("/0?db=2", 2)])
def test_database_index_as_redis_py_reads_it(url: str, db: int) -> None:
    parsed = parse_redis_url(f"redis://{REDIS_HOST}:6379{url}", 6379)
    assert parsed is not None and parsed.db == db
    assert parsed == parse_redis_url(f"redis://{REDIS_HOST}:6379/{db}", 6379)


def test_slash_00_passes_both_url_requirements(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "REDIS_URL", f"redis://{REDIS_HOST}:6379/00")
    assert judge(checks.test_redis_url_points_at_instance, "mobius-chat-api", spec, inv).status == "pass"
    shared = judge(checks.test_redis_shared, ("mobius-chat-api", WORKER), spec, inv)
    assert shared.status == "pass", shared.message()
