"""collect_inventory over real HTTP: the official clients against the GCP emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.inventory import SECTIONS, Inventory
from mobius_gate.spec import REDIS_URL_TOKEN, load_checklist

pytestmark = pytest.mark.servers

PROJECT, REGION = "mobiusos-new", "us-central1"
#: The sections this package's own collectors fill (other helpers own the rest).
GCP_SECTIONS = {"apis", "services", "redis_instances", "connectors", "secrets", "sql_instances"}
FAST_RETRIES = CollectOptions(timeout_s=60, retry_attempts=10, retry_initial_s=0.01, retry_max_s=0.05)
#: The emulator counts requests per route template.
LIST_ROUTES = {
    "apis": "GET /v1/projects/{project}/services",
    "services": "GET /v2/projects/{project}/locations/{location}/services",
    "knative": "GET /apis/serving.knative.dev/v1/namespaces/{project}/services",
    # every service's revisions at once (services/-), for the Rollback Plan's previous ready revision
    "revisions": "GET /v2/projects/{project}/locations/{location}/services/{service}/revisions",
    "redis_instances": "GET /v1/projects/{project}/locations/{location}/instances",
    "connectors": "GET /v1/projects/{project}/locations/{location}/connectors",
    "secrets": "GET /v1/projects/{project}/secrets",
    "sql_instances": "GET /v1/projects/{project}/instances",
}
PER_ITEM_ROUTES = {
    "GET /v2/projects/{project}/locations/{location}/services/{service}:getIamPolicy": 10,
    "GET /v1/projects/{project}/secrets/{secret}:getIamPolicy": 2,
    "GET /v1/projects/{project}/secrets/{secret}/versions": 2,
}


def collect(emu: Emulator, options: CollectOptions = FAST_RETRIES, sections: set[str] = GCP_SECTIONS) -> Inventory:
    return collect_inventory(Target(PROJECT, REGION, endpoint=emu.url), options, sections)


def comparable(inv: Inventory) -> dict[str, Any]:
    return inv.model_dump(exclude={"collected_at"})


@pytest.fixture(scope="module")
def staging() -> Iterator[Emulator]:
    with Emulator("staging", project=PROJECT) as emu:
        yield emu


@pytest.fixture(scope="module")
def staging_inventory(staging: Emulator) -> Inventory:
    return collect(staging)


def test_staging_every_section_ok(staging_inventory: Inventory, staging: Emulator) -> None:
    inv = staging_inventory
    assert inv.source == f"emulator:{staging.url}"
    assert (inv.project, inv.region) == (PROJECT, REGION)
    for name in GCP_SECTIONS:
        assert inv.section(name).status == "ok", (name, inv.section(name).cause)
        assert inv.section(name).cause is None
    for name in set(SECTIONS) - GCP_SECTIONS:
        assert inv.section(name).status == "not_collected"


def test_staging_services_match_the_checklist(staging_inventory: Inventory) -> None:
    spec = load_checklist().resolve(PROJECT, REGION)
    inv = staging_inventory
    assert sorted(s.name for s in inv.services.items) == sorted(s.name for s in spec.services)
    for want in spec.services:
        got = inv.service(want.name)
        assert got is not None
        assert (got.image, got.service_account) == (want.image, want.service_account), want.name
        assert got.ready is True and got.region == REGION, want.name
        if want.cpu_always_allocated:
            # v2 omits cpuIdle:false; only the v1 view can say "always allocated"
            assert got.cpu_always_allocated is True, want.name
        if want.role == "worker":
            assert (got.min_instances, got.max_instances, got.timeout_seconds) == (1, 1, 3600), want.name
        if want.uses_redis:
            assert (got.vpc_connector, got.vpc_egress) == ("mobius-redis-connector", "private-ranges-only")
            assert got.env_value("REDIS_URL") is not None
            assert want.env["REDIS_URL"] == REDIS_URL_TOKEN
        for key in want.secrets:
            var = got.env_value(key)
            assert var is not None and var.secret_ref is not None
            assert var.secret_ref.secret == want.secret_ref(key)[0]
        if want.public is not None:
            assert ("allUsers" in (got.invoker_members or [])) is want.public, want.name
    assert inv.service("mobius-chat-api").cpu_always_allocated is False  # an API left on request-based CPU


def test_staging_infrastructure_values(staging_inventory: Inventory) -> None:
    inv = staging_inventory
    redis = inv.redis_instance("mobius-redis")
    assert redis is not None
    assert (redis.state, redis.tier, redis.memory_size_gb, redis.redis_version) == ("READY", "BASIC", 1, "REDIS_7_0")
    assert (redis.connect_mode, redis.authorized_network, redis.host, redis.port) == (
        "PRIVATE_SERVICE_ACCESS",
        "default",
        "10.64.0.3",
        6379,
    )
    conn = inv.connector("mobius-redis-connector")
    assert conn is not None
    assert (conn.state, conn.network, conn.ip_cidr_range, conn.min_instances, conn.max_instances) == (
        "READY",
        "default",
        "10.8.0.0/28",
        2,
        10,
    )
    for name in ("jwt-secret", "db-password-mobius-rag"):
        secret = inv.secret(name)
        assert secret is not None and secret.has_enabled_version is True
        assert secret.accessors == [f"serviceAccount:mobius-platform@{PROJECT}.iam.gserviceaccount.com"]
    sql = inv.sql_instance("mobius-platform-db")
    assert sql is not None
    assert (sql.state, sql.public_ip, sql.private_network) == ("RUNNABLE", False, "default")
    assert sql.connection_name == f"{PROJECT}:{REGION}:mobius-platform-db"
    assert set(load_checklist().apis.required) <= set(inv.apis.items)


def test_secret_values_are_never_read(staging: Emulator, staging_inventory: Inventory) -> None:
    assert "not-real" not in staging_inventory.model_dump_json()
    assert not any(":access" in route for route in staging.stats()["by_route"])


def test_one_list_per_resource_type_and_no_writes() -> None:
    with Emulator("staging", project=PROJECT) as emu:
        collect(emu)
        stats = emu.stats()
    assert stats["by_route"] == {**{route: 1 for route in LIST_ROUTES.values()}, **PER_ITEM_ROUTES}
    assert stats["writes"] == 0


def test_pagination_collects_every_service(staging_inventory: Inventory) -> None:
    with Emulator("staging", project=PROJECT, max_page_size=2) as emu:
        paged = collect(emu)
        routes = emu.stats()["by_route"]
    assert len(paged.services.items) == 10
    assert routes[LIST_ROUTES["services"]] == 5
    assert routes[LIST_ROUTES["knative"]] == 5
    expected = comparable(staging_inventory)
    got = comparable(paged)
    for section in GCP_SECTIONS - {"services"}:
        assert got[section] == expected[section], section
    assert _without_instance_facts(got["services"]["items"]) == _without_instance_facts(expected["services"]["items"])


def _without_instance_facts(services: list[dict]) -> list[dict]:
    """Services as two emulator instances agree on them: not their URLs, nor when their revisions were created."""
    out = []
    for service in services:
        kept = {k: v for k, v in service.items() if k != "uri"}
        kept["revisions"] = [{k: v for k, v in r.items() if k != "create_time"} for r in service.get("revisions") or []]
        out.append(kept)
    return out


def test_injected_faults_are_retried_to_the_same_inventory(staging: Emulator, staging_inventory: Inventory) -> None:
    staging.configure(fault_rate=0.3, seed=7)
    staging.reset_stats()
    try:
        faulty = collect(staging)
        faults = staging.stats()["faults"]
    finally:
        staging.configure(fault_rate=0.0)
    assert faults > 0
    assert comparable(faulty) == comparable(staging_inventory)


def test_faults_outliving_the_retries_make_sections_unavailable(staging: Emulator) -> None:
    options = CollectOptions(timeout_s=30, retry_attempts=3, retry_initial_s=0.01, retry_max_s=0.02)
    staging.configure(fault_rate=1.0)
    staging.reset_stats()
    try:
        inv = collect(staging, options, {"redis_instances", "apis"})
        routes = staging.stats()["by_route"]
    finally:
        staging.configure(fault_rate=0.0)
    section = inv.redis_instances
    assert section.status == "unavailable"
    assert section.cause is not None
    assert section.cause.startswith("listing Redis instances failed: gave up after 3 attempts; last error: ")
    assert ("429 TooManyRequests" in section.cause) or ("503 ServiceUnavailable" in section.cause)
    assert routes[LIST_ROUTES["redis_instances"]] == 3
    assert inv.apis.status == "unavailable"
    assert inv.services.status == "not_collected"


def test_time_budget_bounds_the_collection(staging: Emulator) -> None:
    options = CollectOptions(timeout_s=1.0, retry_attempts=5, retry_initial_s=0.01, retry_max_s=0.05)
    staging.configure(latency_ms=3000)
    try:
        started = time.monotonic()
        inv = collect(staging, options, {"connectors"})
        elapsed = time.monotonic() - started
    finally:
        staging.configure(latency_ms=0)
    assert elapsed < 3.0
    assert inv.connectors.status == "unavailable"
    assert inv.connectors.cause is not None
    assert inv.connectors.cause.startswith("listing VPC Access connectors failed: time budget of 1 s spent")
    assert "ReadTimeout: no answer in time" in inv.connectors.cause


def test_prod_disabled_apis_make_sections_disabled() -> None:
    with Emulator("prod", project=PROJECT) as emu:
        inv = collect(emu)
    assert inv.redis_instances.status == "disabled"
    assert inv.redis_instances.cause == f"redis.googleapis.com is disabled in project {PROJECT}"
    assert inv.connectors.status == "disabled"
    assert inv.connectors.cause == f"vpcaccess.googleapis.com is disabled in project {PROJECT}"
    assert sorted(s.name for s in inv.services.items) == ["mobius-os", "mobius-rag"]
    assert [s.name for s in inv.secrets.items] == ["db-password-mobius-rag"]
    sql = inv.sql_instance("mobius-platform-db")
    assert sql is not None and sql.public_ip is True
    assert "redis.googleapis.com" not in inv.apis.items and "run.googleapis.com" in inv.apis.items
    rag = inv.service("mobius-rag")
    assert rag is not None and rag.cpu_always_allocated is False and rag.vpc_connector is None


def test_forbidden_api_is_unavailable_permission_denied() -> None:
    with Emulator("staging", project=PROJECT) as emu:
        emu.project(PROJECT).forbidden.add("redis.googleapis.com")
        inv = collect(emu)
    assert inv.redis_instances.status == "unavailable"
    assert inv.redis_instances.cause is not None
    assert inv.redis_instances.cause == (
        "permission denied listing Redis instances: Permission denied on resource project "
        f"{PROJECT} for redis.googleapis.com (or it may not exist). The caller does not have permission."
    )
    assert inv.connectors.status == "ok"


def test_cpu_throttled_worker_is_seen_through_the_v1_view() -> None:
    with Emulator("worker-cpu-throttled", project=PROJECT) as emu:
        inv = collect(emu, sections={"services"})
    worker = inv.service("mobius-chat-worker")
    assert worker is not None and worker.cpu_always_allocated is False
    scraper = inv.service("mobius-skills-scraper-worker")
    assert scraper is not None and scraper.cpu_always_allocated is True


def test_subset_of_sections_calls_only_their_apis() -> None:
    with Emulator("staging", project=PROJECT) as emu:
        inv = collect(emu, sections={"connectors"})
        routes = emu.stats()["by_route"]
    assert inv.connectors.status == "ok"
    assert inv.services.status == "not_collected" and inv.services.cause == "not requested"
    assert routes == {LIST_ROUTES["connectors"]: 1}
