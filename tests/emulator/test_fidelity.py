"""Every route the emulator implements, every response validated against Google's discovery schema.

The official clients drop unknown fields silently, so this test is the guard that the
emulator's JSON is exactly what the real APIs send. It also proves coverage: the set of
validated routes must equal the set of registered routes of the modules listed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.app import api_routes

from tests.emulator.conftest import PROD, REGION, STAGING
from tests.emulator.discovery import SchemaValidator, response_schema

#: API module → discovery document its routes are validated against.
MODULE_DOCS = {
    "run_v2": "run.v2",
    "run_v1": "run.v1",
    "redis_v1": "redis.v1",
    "vpcaccess_v1": "vpcaccess.v1",
    "secretmanager_v1": "secretmanager.v1",
    "resourcemanager_v3": "cloudresourcemanager.v3",
    "serviceusage_v1": "serviceusage.v1",
    "sqladmin_v1": "sqladmin.v1",
    "operations": "redis.v1",
    "logging_v2": "logging.v2",
    "aiplatform_v1": "aiplatform.v1",
}
#: Modules serving only /_svc (exempt from discovery validation).
TESTED_ELSEWHERE = {"service_health"}
VECTOR_SCENARIO = """
extends: {staging}
resources:
  indexes:
    rag-index: {{displayName: rag, metadata: {{config: {{dimensions: 2}}}}, emulator: {{datapoint_count: 3}}}}
  index_endpoints:
    rag-endpoint:
      displayName: rag
      deployedIndexes: [{{id: mobius_rag_v1, index: "projects/${{PROJECT}}/locations/${{REGION}}/indexes/rag-index"}}]
"""
INT_ENUMS = {"$alt": "json;enum-encoding=int"}


class Driver:
    """Calls the emulator, finds the route template from its stats, validates the body."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.http = httpx.Client(base_url=emu.url, timeout=10)
        self.validated: set[tuple[str, str]] = set()
        self.failures: list[str] = []

    def _doc(self, template: str) -> str:
        owner = self.emu.app.state.route_owner[self._key]
        if template.startswith("/sql/v1beta4/"):
            return "sqladmin.v1beta4"
        if owner == "operations" and template.startswith("/v2/"):
            return "run.v2"
        return MODULE_DOCS[owner]

    def call(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        for ints in (False, True) if method == "GET" else (False,):
            params = {**kwargs.pop("params", {}), **(INT_ENUMS if ints else {})}
            self.emu.reset_stats()
            resp = self.http.request(method, path, params=params, **kwargs)
            routes = list(self.emu.stats()["by_route"])
            assert len(routes) == 1, routes
            self._key = tuple(routes[0].split(" ", 1))
            method_, template = self._key
            assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
            body = resp.json()
            if status >= 400:
                self._check_error(body, status, f"{method} {path}")
            else:
                doc = self._doc(template)
                schema = response_schema(doc, method_, template)
                assert schema, f"{doc} has no response schema for {method_} {template}"
                errs = SchemaValidator(doc, int_enums=ints).validate(body, schema)
                self.failures.extend(f"{method} {path}{' (int enums)' if ints else ''}: {e}" for e in errs)
            self.validated.add(self._key)
            kwargs["params"] = {k: v for k, v in params.items() if k != "$alt"}
        return body

    @staticmethod
    def _check_error(body: Any, status: int, where: str) -> None:
        error = body["error"]
        assert error["code"] == status, where
        assert isinstance(error["message"], str) and error["message"], where
        assert error["status"].isupper(), where
        for detail in error.get("details", []):
            assert detail["@type"] == "type.googleapis.com/google.rpc.ErrorInfo", where
            assert set(detail) <= {"@type", "reason", "domain", "metadata"}, where


def _drive_run(d: Driver) -> None:
    base = f"/v2/projects/{STAGING}/locations/{REGION}"
    d.call("GET", f"{base}/services")
    svc = d.call("GET", f"{base}/services/mobius-chat-api")
    d.call("GET", f"{base}/services/mobius-chat-api:getIamPolicy")
    policy = {"policy": {"bindings": [{"role": "roles/run.invoker", "members": ["allUsers"]}]}}
    d.call("POST", f"{base}/services/mobius-chat-api:setIamPolicy", json=policy)
    d.call("GET", f"{base}/services/mobius-chat-api/revisions")
    d.call("GET", f"/v2/{svc['latestReadyRevision']}")
    new = {"template": {"containers": [{"image": "gcr.io/x/new:latest"}]}, "ingress": "INGRESS_TRAFFIC_ALL"}
    op = d.call("POST", f"{base}/services", params={"serviceId": "new-svc"}, json=new)
    assert op["done"] is True
    new["template"]["scaling"] = {"minInstanceCount": 1}
    d.call("PATCH", f"{base}/services/new-svc", json=new)
    d.call("GET", f"{base}/operations")
    d.call("GET", f"/v2/{op['name']}")
    d.call("DELETE", f"{base}/services/new-svc")
    d.call("GET", f"{base}/services/new-svc", status=404)
    knative = f"/apis/serving.knative.dev/v1/namespaces/{STAGING}/services"
    d.call("GET", knative)
    d.call("GET", f"{knative}/mobius-chat-worker")


def _drive_redis_vpc(d: Driver) -> None:
    base = f"/v1/projects/{STAGING}/locations/{REGION}"
    d.call("GET", f"{base}/instances")
    d.call("GET", f"{base}/instances/mobius-redis")
    body = {"tier": "BASIC", "memorySizeGb": 1, "redisVersion": "REDIS_7_0"}
    op = d.call("POST", f"{base}/instances", params={"instanceId": "r2"}, json=body)
    d.call("PATCH", f"{base}/instances/r2", params={"updateMask": "memorySizeGb"}, json={"memorySizeGb": 2})
    d.call("GET", f"/v1/{op['name']}")
    d.call("GET", f"{base}/operations")
    d.call("DELETE", f"{base}/instances/r2")
    d.call("GET", f"{base}/connectors")
    d.call("GET", f"{base}/connectors/mobius-redis-connector")
    conn = {"network": "default", "ipCidrRange": "10.9.0.0/28"}
    d.call("POST", f"{base}/connectors", params={"connectorId": "c2"}, json=conn)
    d.call("DELETE", f"{base}/connectors/c2")
    d.call("GET", f"/v1/projects/{PROD}/locations/{REGION}/instances", status=403)


def _drive_secrets(d: Driver) -> None:
    base = f"/v1/projects/{STAGING}/secrets"
    d.call("GET", base)
    d.call("POST", base, params={"secretId": "s2"}, json={"replication": {"automatic": {}}})
    d.call("GET", f"{base}/s2")
    d.call("POST", f"{base}/s2:addVersion", json={"payload": {"data": "c2VjcmV0"}})
    d.call("GET", f"{base}/s2/versions")
    d.call("GET", f"{base}/s2/versions/latest")
    d.call("GET", f"{base}/s2:getIamPolicy")
    d.call("POST", f"{base}/s2:setIamPolicy", json={"policy": {"bindings": []}})
    version = d.call("POST", f"{base}/s2/versions/1:disable", json={})
    d.call("POST", f"{base}/s2/versions/1:enable", json={"etag": version["etag"]})
    d.call("POST", f"{base}/s2/versions/1:disable", json={"etag": version["etag"]}, status=409)
    d.call("GET", f"{base}/s2/versions/1:access", status=501)


def _drive_resource_manager(d: Driver) -> None:
    base = f"/v3/projects/{STAGING}"
    d.call("POST", f"{base}:getIamPolicy", json={})
    policy = {"policy": {"bindings": [{"role": "roles/secretmanager.secretAccessor", "members": ["user:a@b.c"]}]}}
    d.call("POST", f"{base}:setIamPolicy", json=policy)
    got = d.call("POST", f"{base}:getIamPolicy", json={"options": {"requestedPolicyVersion": 3}})
    assert got["bindings"] == policy["policy"]["bindings"]
    d.call("POST", f"/v3/projects/{PROD}:getIamPolicy", json={"options": {"requestedPolicyVersion": "x"}}, status=400)


def _drive_service_usage(d: Driver) -> None:
    base = f"/v1/projects/{PROD}/services"
    d.call("GET", base, params={"filter": "state:ENABLED"})
    d.call("GET", f"{base}/run.googleapis.com")
    d.call("GET", f"{base}:batchGet", params={"names": [f"projects/{PROD}/services/redis.googleapis.com"]})
    op = d.call("POST", f"{base}/redis.googleapis.com:enable", json={})
    d.call("POST", f"{base}/redis.googleapis.com:disable", json={})
    d.call("POST", f"{base}:batchEnable", json={"serviceIds": ["redis.googleapis.com", "vpcaccess.googleapis.com"]})
    d.call("POST", f"{base}/nope.googleapis.com:enable", json={}, status=403)
    d.call("GET", f"/v1/{op['name']}")


def _drive_sql(d: Driver) -> None:
    for prefix in ("/v1", "/sql/v1beta4"):
        base = f"{prefix}/projects/{PROD}"
        d.call("GET", f"{base}/instances")
        d.call("GET", f"{base}/instances/mobius-platform-db")
        patch = {"settings": {"ipConfiguration": {"privateNetwork": f"projects/{PROD}/global/networks/default"}}}
        op = d.call("PATCH", f"{base}/instances/mobius-platform-db", json=patch)
        d.call("GET", f"{base}/operations/{op['name']}")


def _drive_logs_and_vectors(d: Driver) -> None:
    body = {"resourceNames": [f"projects/{STAGING}"], "pageSize": 5, "orderBy": "timestamp desc"}
    d.call("POST", "/v2/entries:list", json=body)
    base = f"/v1/projects/{VECTORS}/locations/{REGION}"
    d.call("GET", f"{base}/indexes/rag-index")
    d.call("GET", f"{base}/indexEndpoints/rag-endpoint")
    query = {"deployedIndexId": "mobius_rag_v1", "queries": [{"datapoint": {"featureVector": [0.1, 0.2]}}]}
    d.call("POST", f"{base}/indexEndpoints/rag-endpoint:findNeighbors", json=query)


VECTORS = "mobiusos-vectors"


@pytest.mark.servers
def test_every_route_matches_the_discovery_schema(emulator: Emulator, tmp_path: Path) -> None:
    staging = Path(__file__).resolve().parents[2] / "fixtures/emulator/scenarios/staging.yaml"
    (tmp_path / "vectors.yaml").write_text(VECTOR_SCENARIO.format(staging=staging), encoding="utf-8")
    emulator.load(tmp_path / "vectors.yaml", VECTORS, number="555")
    driver = Driver(emulator)
    drives = (
        _drive_run,
        _drive_redis_vpc,
        _drive_secrets,
        _drive_resource_manager,
        _drive_service_usage,
        _drive_sql,
        _drive_logs_and_vectors,
    )
    for drive in drives:
        drive(driver)
    assert not driver.failures, "\n".join(driver.failures)
    owners = emulator.app.state.route_owner
    unknown = {owners[r] for r in api_routes(emulator.app)} - set(MODULE_DOCS) - TESTED_ELSEWHERE
    assert not unknown, f"API modules without a fidelity test: {unknown}"
    mine = {r for r in api_routes(emulator.app) if owners[r] in MODULE_DOCS}
    assert mine - driver.validated == set(), "routes never validated"


def test_validator_rejects_unknown_fields_types_and_enums() -> None:
    v = SchemaValidator("redis.v1")
    good = {"name": "n", "tier": "BASIC", "memorySizeGb": 1, "host": "10.0.0.3", "createTime": "2026-02-04T09:00:00Z"}
    assert v.validate(good, "Instance") == []
    assert any("unknown field 'colour'" in e for e in v.validate({**good, "colour": "red"}, "Instance"))
    assert any("expected integer" in e for e in v.validate({**good, "memorySizeGb": "1"}, "Instance"))
    assert any("not one of" in e for e in v.validate({**good, "tier": "GOLD"}, "Instance"))
    assert any("RFC 3339" in e for e in v.validate({**good, "createTime": "yesterday"}, "Instance"))
    run = SchemaValidator("run.v2")
    assert any("expected string" in e for e in run.validate({"generation": 3}, "GoogleCloudRunV2Service"))
    assert any("int64 string" in e for e in run.validate({"generation": "3a"}, "GoogleCloudRunV2Service"))
    assert any("duration" in e for e in run.validate({"timeout": "3600"}, "GoogleCloudRunV2RevisionTemplate"))
    assert SchemaValidator("redis.v1", int_enums=True).validate({"tier": 1}, "Instance") == []
