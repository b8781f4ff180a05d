"""Knobs over HTTP, the 501 for unmodelled methods, and the Knative view derived from v2."""

from __future__ import annotations

import time

import httpx
import pytest
from google.api_core import exceptions as gexc
from google.cloud import run_v2
from google.iam.v1 import iam_policy_pb2
from mobius_gate.fixtures.emulator import Emulator

from tests.emulator.conftest import PROD, REGION, STAGING, make_client

pytestmark = pytest.mark.servers
KNATIVE = "/apis/serving.knative.dev/v1/namespaces/{project}/services"


def test_config_stats_and_reset_over_http(emulator: Emulator) -> None:
    http = httpx.Client(base_url=emulator.url)
    assert http.post("/_emulator/config", json={"latency_ms": 120}).json()["latency_ms"] == 120
    http.post("/_emulator/reset-stats")
    started = time.monotonic()
    assert http.get(f"/v2/projects/{PROD}/locations/{REGION}/services").status_code == 200
    assert time.monotonic() - started >= 0.12
    http.patch(f"/v1/projects/{PROD}/instances/mobius-platform-db", json={"settings": {"userLabels": {"a": "b"}}})
    stats = http.get("/_emulator/stats").json()
    assert stats["total"] == 2 and stats["writes"] == 1  # /_emulator calls are not counted
    assert stats["by_route"] == {
        "GET /v2/projects/{project}/locations/{location}/services": 1,
        "PATCH /v1/projects/{project}/instances/{instance}": 1,
    }
    bad = http.post("/_emulator/config", json={"fault_rate": 2})
    assert bad.status_code == 400 and "fault_rate" in bad.json()["error"]["message"]
    assert http.post("/_emulator/config", json={"colour": 1}).status_code == 400
    assert http.post("/_emulator/reset-stats").json()["total"] == 0
    assert emulator.configure(latency_ms=0)["latency_ms"] == 0


def test_unmodelled_methods_answer_501(shared_emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, shared_emulator)
    name = f"projects/{STAGING}/locations/{REGION}/services/mobius-os"
    with pytest.raises(gexc.MethodNotImplemented) as info:
        client.test_iam_permissions(
            request=iam_policy_pb2.TestIamPermissionsRequest(resource=name, permissions=["run.services.get"])
        )
    assert info.value.reason == "NOT_IMPLEMENTED"
    resp = httpx.get(f"{shared_emulator.url}/v1/projects/{STAGING}/zones")
    assert resp.status_code == 501 and resp.json()["error"]["status"] == "UNIMPLEMENTED"


def test_unknown_resources_and_projects(shared_emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, shared_emulator)
    with pytest.raises(gexc.NotFound):
        client.get_service(name=f"projects/{STAGING}/locations/{REGION}/services/ghost")
    with pytest.raises(gexc.Forbidden) as info:
        client.get_service(name=f"projects/nobody/locations/{REGION}/services/x")
    assert info.value.reason == "CONSUMER_INVALID"


def test_knative_view_of_a_worker_and_an_api(shared_emulator: Emulator) -> None:
    http = httpx.Client(base_url=shared_emulator.url)
    worker = http.get(KNATIVE.format(project=STAGING) + "/mobius-chat-worker").json()
    assert (worker["apiVersion"], worker["kind"]) == ("serving.knative.dev/v1", "Service")
    assert worker["metadata"]["annotations"]["run.googleapis.com/ingress"] == "all"
    ann = worker["spec"]["template"]["metadata"]["annotations"]
    assert ann == {
        "autoscaling.knative.dev/minScale": "1",
        "autoscaling.knative.dev/maxScale": "1",
        "run.googleapis.com/cpu-throttling": "false",
        "run.googleapis.com/vpc-access-connector": "mobius-redis-connector",
        "run.googleapis.com/vpc-access-egress": "private-ranges-only",
        "run.googleapis.com/cloudsql-instances": f"{STAGING}:{REGION}:mobius-platform-db",
    }
    spec = worker["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == f"mobius-platform@{STAGING}.iam.gserviceaccount.com"
    assert spec["timeoutSeconds"] == 3600
    container = spec["containers"][0]
    assert container["command"] == ["python"] and container["args"][2] == "app.worker_server:app"
    env = {e["name"]: e for e in container["env"]}
    assert env["JWT_SECRET"] == {
        "name": "JWT_SECRET",
        "valueFrom": {"secretKeyRef": {"name": "jwt-secret", "key": "latest"}},
    }
    assert env["REDIS_URL"]["value"] == "redis://10.64.0.3:6379/0"
    assert worker["status"]["url"] == f"{shared_emulator.url}/_svc/mobius-chat-worker"
    assert worker["status"]["conditions"][0] == {**worker["status"]["conditions"][0], "type": "Ready", "status": "True"}
    assert worker["status"]["latestReadyRevisionName"].startswith("mobius-chat-worker-00001-")

    listed = http.get(KNATIVE.format(project=PROD)).json()
    assert listed["kind"] == "ServiceList" and len(listed["items"]) == 2
    os_ann = next(i for i in listed["items"] if i["metadata"]["name"] == "mobius-os")["spec"]["template"]["metadata"]
    assert os_ann["annotations"]["run.googleapis.com/cpu-throttling"] == "true"
    assert "run.googleapis.com/vpc-access-connector" not in os_ann["annotations"]
    paged = http.get(KNATIVE.format(project=STAGING), params={"limit": 4}).json()
    assert len(paged["items"]) == 4 and paged["metadata"]["continue"]


def test_knative_view_follows_v2_updates(emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, emulator)
    svc = client.get_service(name=f"projects/{STAGING}/locations/{REGION}/services/mobius-chat-worker")
    svc.template.containers[0].resources.cpu_idle = True
    client.update_service(service=svc).result(timeout=5)
    view = httpx.get(f"{emulator.url}{KNATIVE.format(project=STAGING)}/mobius-chat-worker").json()
    assert view["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/cpu-throttling"] == "true"
    assert view["metadata"]["generation"] == 2


def test_update_without_template_change_keeps_the_revision(emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, emulator)
    svc = client.get_service(name=f"projects/{STAGING}/locations/{REGION}/services/mobius-os")
    svc.labels["team"] = "platform"
    updated = client.update_service(service=svc).result(timeout=5)
    assert updated.labels["team"] == "platform" and updated.generation == 2
    assert updated.latest_created_revision == svc.latest_created_revision
    assert len(list(make_client(run_v2.RevisionsClient, emulator).list_revisions(parent=svc.name))) == 1
