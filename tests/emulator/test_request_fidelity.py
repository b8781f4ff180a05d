"""Every write route driven by the official clients; every body they sent validated against discovery.

The emulator keeps a journal of the write requests it receives (``Emulator.writes()``).
This test drives each write route the remediation uses through its ``google-cloud-*``
client over REST (Cloud SQL Admin, which has no such client, with the body its discovery
client would send), then checks each recorded body against the request schema of its
discovery method, and that no write route went undriven. The bodies are then replayed,
each with one unknown field, on a fresh emulator: every one is a 400, as Google's front
end refuses an unknown name before the API sees the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.cloud import (
    redis_v1,
    resourcemanager_v3,
    run_v2,
    secretmanager_v1,
    service_usage_v1,
    vpcaccess_v1,
)
from google.iam.v1 import policy_pb2
from google.protobuf import field_mask_pb2
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.app import api_routes
from mobius_gate.fixtures.emulator.control import is_write

from tests.emulator.conftest import PROD, REGION, STAGING, make_client
from tests.emulator.discovery import SchemaValidator, request_schema
from tests.emulator.test_fidelity import MODULE_DOCS

pytestmark = pytest.mark.servers
LOC = f"projects/{PROD}/locations/{REGION}"
#: Cloud SQL Admin merges its JSON body without a proto: unknown names are not refused there.
LENIENT = {"sqladmin_v1"}
POISON = "mobiusGateUnknownField"


def _doc(emu: Emulator, method: str, route: str) -> str:
    if route.startswith("/sql/v1beta4/"):
        return "sqladmin.v1beta4"
    owner = emu.app.state.route_owner[(method, route)]
    return "run.v2" if owner == "operations" and route.startswith("/v2/") else MODULE_DOCS[owner]


def _enable_and_connect(emu: Emulator) -> None:
    usage = make_client(service_usage_v1.ServiceUsageClient, emu)
    usage.batch_enable_services(
        request={"parent": f"projects/{PROD}", "service_ids": ["redis.googleapis.com", "vpcaccess.googleapis.com"]}
    ).result(timeout=5)
    usage.disable_service(request={"name": f"projects/{PROD}/services/vpcaccess.googleapis.com"}).result(timeout=5)
    usage.enable_service(request={"name": f"projects/{PROD}/services/vpcaccess.googleapis.com"}).result(timeout=5)
    vpc = make_client(vpcaccess_v1.VpcAccessServiceClient, emu)
    conn = vpcaccess_v1.Connector(network="default", ip_cidr_range="10.8.0.0/28", min_instances=2, max_instances=3)
    vpc.create_connector(parent=LOC, connector_id="mobius-redis-connector", connector=conn).result(timeout=5)
    vpc.delete_connector(name=f"{LOC}/connectors/mobius-redis-connector").result(timeout=5)


def _redis(emu: Emulator) -> None:
    redis = make_client(redis_v1.CloudRedisClient, emu)
    instance = redis_v1.Instance(tier=redis_v1.Instance.Tier.BASIC, memory_size_gb=1, redis_version="REDIS_7_0")
    created = redis.create_instance(parent=LOC, instance_id="mobius-redis", instance=instance).result(timeout=5)
    created.memory_size_gb = 2
    mask = field_mask_pb2.FieldMask(paths=["memory_size_gb"])
    redis.update_instance(update_mask=mask, instance=created).result(timeout=5)
    redis.delete_instance(name=created.name).result(timeout=5)


def _run(emu: Emulator) -> None:
    run = make_client(run_v2.ServicesClient, emu)
    template = run_v2.RevisionTemplate(containers=[run_v2.Container(image=f"gcr.io/{PROD}/svc:1")])
    svc = run.create_service(parent=LOC, service_id="svc", service=run_v2.Service(template=template)).result(timeout=5)
    svc.template.containers[0].resources = run_v2.ResourceRequirements(limits={"cpu": "1"}, cpu_idle=False)
    svc = run.update_service(service=svc).result(timeout=5)
    svc.traffic = [run_v2.TrafficTarget(revision=svc.latest_ready_revision.rsplit("/", 1)[-1], percent=100)]
    svc = run.update_service(service=svc).result(timeout=5)
    policy = run.get_iam_policy(request={"resource": svc.name})
    policy.bindings.append(policy_pb2.Binding(role="roles/run.invoker", members=["allUsers"]))
    run.set_iam_policy(request={"resource": svc.name, "policy": policy})
    run.delete_service(name=svc.name).result(timeout=5)


def _secrets_and_iam(emu: Emulator) -> None:
    sm = make_client(secretmanager_v1.SecretManagerServiceClient, emu)
    secret = sm.create_secret(
        parent=f"projects/{PROD}", secret_id="jwt-secret", secret=secretmanager_v1.Secret(replication={"automatic": {}})
    )
    version = sm.add_secret_version(parent=secret.name, payload={"data": b"<secret-value>"})
    version = sm.disable_secret_version(request={"name": version.name, "etag": version.etag})
    sm.enable_secret_version(request={"name": version.name, "etag": version.etag})
    policy = sm.get_iam_policy(request={"resource": secret.name})
    policy.bindings.append(policy_pb2.Binding(role="roles/secretmanager.secretAccessor", members=["user:a@b.c"]))
    sm.set_iam_policy(request={"resource": secret.name, "policy": policy})
    projects = make_client(resourcemanager_v3.ProjectsClient, emu)
    project_policy = projects.get_iam_policy(request={"resource": f"projects/{STAGING}"})
    project_policy.bindings.append(policy_pb2.Binding(role="roles/viewer", members=["user:a@b.c"]))
    projects.set_iam_policy(request={"resource": f"projects/{STAGING}", "policy": project_policy})


def _sql(emu: Emulator) -> None:
    patch = {"settings": {"ipConfiguration": {"privateNetwork": f"projects/{PROD}/global/networks/default"}}}
    with httpx.Client(base_url=emu.url, timeout=10) as http:
        for prefix in ("/v1", "/sql/v1beta4"):
            resp = http.patch(f"{prefix}/projects/{PROD}/instances/mobius-platform-db", json=patch)
            assert resp.status_code == 200, resp.text


@pytest.fixture(scope="module")
def journal() -> Iterator[tuple[Emulator, list[dict[str, Any]]]]:
    """One emulator driven through every write route, and the write requests it recorded."""
    with Emulator("prod", PROD) as emu:
        emu.load("staging", STAGING)
        for drive in (_enable_and_connect, _redis, _run, _secrets_and_iam, _sql):
            drive(emu)
        yield emu, emu.writes()


def test_every_write_body_matches_its_discovery_request_schema(
    journal: tuple[Emulator, list[dict[str, Any]]],
) -> None:
    emu, writes = journal
    failures = []
    for entry in writes:
        assert entry["status"] == 200, entry
        doc = _doc(emu, entry["method"], entry["route"])
        schema = request_schema(doc, entry["method"], entry["route"])
        if schema is None:
            assert not entry["body"], f"{entry['method']} {entry['path']} takes no body: {entry['body']}"
            continue
        ints = "enum-encoding=int" in entry["query"].get("$alt", "")
        errs = SchemaValidator(doc, int_enums=ints).validate(entry["body"] or {}, schema)
        failures.extend(f"{entry['method']} {entry['path']}: {e}" for e in errs)
    assert not failures, "\n".join(failures)
    owners = emu.app.state.route_owner
    writable = {r for r in api_routes(emu.app) if is_write(*r) and owners[r] in MODULE_DOCS}
    driven = {(e["method"], e["route"]) for e in writes}
    assert writable - driven == set(), "write routes no client drove"


def test_an_unknown_field_in_any_write_body_is_refused(journal: tuple[Emulator, list[dict[str, Any]]]) -> None:
    emu, writes = journal
    owners = emu.app.state.route_owner
    poisoned = [e for e in writes if isinstance(e["body"], dict) and owners[(e["method"], e["route"])] not in LENIENT]
    assert len({(e["method"], e["route"]) for e in poisoned}) >= 14
    with Emulator("prod", PROD) as fresh, httpx.Client(base_url=fresh.url, timeout=10) as http:
        fresh.load("staging", STAGING)
        fresh.project(PROD).enabled |= {"redis.googleapis.com", "vpcaccess.googleapis.com"}
        for entry in poisoned:
            body = {**entry["body"], POISON: 1}
            resp = http.request(entry["method"], entry["path"], params=entry["query"], json=body)
            error = resp.json()["error"]
            where = f"{entry['method']} {entry['path']}"
            assert (resp.status_code, error["status"]) == (400, "INVALID_ARGUMENT"), f"{where}: {resp.text}"
            assert f'Unknown name "{POISON}"' in error["message"], where
        assert fresh.stats()["writes"] == len(poisoned)
        assert not fresh.store.find(f"{LOC}/instances/mobius-redis"), "a refused write changes nothing"
