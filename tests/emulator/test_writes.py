"""Writes as the real APIs answer them: operations that run, etags, and refused requests.

The official clients over REST drive each case; ``operation.result()`` polls the emulator
as it would poll Google. Most tests poll fast (``FAST``); one keeps the clients' default
polling, as the remediation will.
"""

from __future__ import annotations

import time

import httpx
import pytest
from google.api_core import exceptions as gexc
from google.api_core.future import polling
from google.cloud import redis_v1, run_v2, secretmanager_v1, service_usage_v1, vpcaccess_v1
from google.longrunning import operations_pb2
from mobius_gate.fixtures.emulator import Emulator

from tests.emulator.conftest import PROD, REGION, STAGING, make_client

pytestmark = pytest.mark.servers
LOC = f"projects/{PROD}/locations/{REGION}"
STAGING_LOC = f"projects/{STAGING}/locations/{REGION}"
FAST = polling.DEFAULT_POLLING.with_delay(initial=0.01, maximum=0.05, multiplier=1.5)
NAME = f"{LOC}/instances/mobius-redis"
OP_ROUTE = "GET /v1/projects/{project}/locations/{location}/operations/{operation}"


def _enable(emu: Emulator, *services: str) -> None:
    usage = make_client(service_usage_v1.ServiceUsageClient, emu)
    request = {"parent": f"projects/{PROD}", "service_ids": list(services)}
    usage.batch_enable_services(request=request).result(polling=FAST)


def test_memorystore_create_is_creating_for_the_configured_polls(emulator: Emulator) -> None:
    emulator.configure(lro_polls=2)
    _enable(emulator, "redis.googleapis.com")
    redis = make_client(redis_v1.CloudRedisClient, emulator)
    instance = redis_v1.Instance(tier=redis_v1.Instance.Tier.BASIC, memory_size_gb=1)
    emulator.reset_stats()
    op = redis.create_instance(parent=LOC, instance_id="mobius-redis", instance=instance)
    assert not op.operation.done and op.metadata.verb == "create" and not op.metadata.end_time
    assert redis.get_instance(name=NAME).state == redis_v1.Instance.State.CREATING
    with pytest.raises(gexc.BadRequest, match="operation in progress"):
        redis.update_instance(update_mask={"paths": ["memory_size_gb"]}, instance={"name": NAME, "memory_size_gb": 2})
    created = op.result(polling=FAST)
    assert created.state == redis_v1.Instance.State.READY and created.host
    assert emulator.stats()["by_route"][OP_ROUTE] == 3  # two answered done: false, the third done
    assert redis.get_instance(name=created.name).state == redis_v1.Instance.State.READY
    raw = redis.get_operation(operations_pb2.GetOperationRequest(name=op.operation.name))
    assert raw.done and raw.response.type_url == "type.googleapis.com/google.cloud.redis.v1.Instance"
    assert op.metadata.end_time
    delete = redis.delete_instance(name=created.name)
    assert redis.get_instance(name=created.name).state == redis_v1.Instance.State.DELETING
    delete.result(polling=FAST)
    with pytest.raises(gexc.NotFound):
        redis.get_instance(name=created.name)


def test_run_service_reconciles_until_its_operation_is_done_with_default_polling(emulator: Emulator) -> None:
    emulator.configure(lro_polls=1)
    run = make_client(run_v2.ServicesClient, emulator)
    name = f"{STAGING_LOC}/services/mobius-chat-worker"
    before = run.get_service(name=name)
    before.template.containers[0].image = f"gcr.io/{STAGING}/mobius-chat-worker:v2"
    op = run.update_service(service=before)
    during = run.get_service(name=name)
    assert during.reconciling and during.terminal_condition.state == run_v2.Condition.State.CONDITION_RECONCILING
    assert during.latest_ready_revision == before.latest_ready_revision != during.latest_created_revision
    assert op.metadata.reconciling  # Run v2 operations carry the service as metadata
    started = time.monotonic()
    updated = op.result(timeout=30)  # the clients' own polling: one done:false answer costs ~1 s
    assert time.monotonic() - started < 10
    assert not updated.reconciling and updated.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert updated.latest_ready_revision == updated.latest_created_revision != before.latest_ready_revision
    assert run.get_service(name=name) == updated


def test_connector_creating_then_ready_and_an_overlapping_range_fails_its_operation(emulator: Emulator) -> None:
    emulator.configure(lro_polls=1)
    _enable(emulator, "vpcaccess.googleapis.com")
    vpc = make_client(vpcaccess_v1.VpcAccessServiceClient, emulator)
    first = vpcaccess_v1.Connector(network="default", ip_cidr_range="10.8.0.0/28", min_instances=2, max_instances=3)
    op = vpc.create_connector(parent=LOC, connector_id="mobius-redis-connector", connector=first)
    assert vpc.get_connector(name=f"{LOC}/connectors/mobius-redis-connector").state.name == "CREATING"
    assert op.result(polling=FAST).state == vpcaccess_v1.Connector.State.READY
    clash = vpcaccess_v1.Connector(network="default", ip_cidr_range="10.8.0.0/28", min_instances=2, max_instances=3)
    failing = vpc.create_connector(parent=LOC, connector_id="clash", connector=clash)
    with pytest.raises(gexc.BadRequest, match="conflicts with an existing subnetwork"):
        failing.result(polling=FAST)
    assert vpc.get_connector(name=f"{LOC}/connectors/clash").state == vpcaccess_v1.Connector.State.ERROR
    other_net = vpcaccess_v1.Connector(network="other", ip_cidr_range="10.8.0.0/28", max_instances=3)
    vpc.create_connector(parent=LOC, connector_id="elsewhere", connector=other_net).result(polling=FAST)
    with pytest.raises(gexc.BadRequest, match="not a /28"):
        vpc.create_connector(parent=LOC, connector_id="wide", connector=_conn("10.9.0.0/24"))
    with pytest.raises(gexc.BadRequest, match="connector id"):
        vpc.create_connector(parent=LOC, connector_id="Bad_Name", connector=_conn("10.9.0.0/28"))


def _conn(cidr: str) -> dict[str, object]:
    return {"network": "default", "ip_cidr_range": cidr, "min_instances": 2, "max_instances": 3}


def test_lro_seconds_and_the_control_endpoint(emulator: Emulator) -> None:
    http = httpx.Client(base_url=emulator.url, timeout=10)
    config = http.post("/_emulator/config", json={"lro_polls": 0, "lro_seconds": 0.3}).json()
    assert (config["lro_polls"], config["lro_seconds"]) == (0, 0.3)
    assert http.post("/_emulator/config", json={"lro_polls": -1}).status_code == 400
    op = http.post(f"/v1/projects/{PROD}/services/redis.googleapis.com:enable", json={}).json()
    assert "done" not in op and op["metadata"]["resourceNames"]
    assert http.get(f"/v1/{op['name']}").json().get("done") is None
    assert http.get(f"/v1/projects/{PROD}/services/redis.googleapis.com").json()["state"] == "DISABLED"
    time.sleep(0.35)
    done = http.get(f"/v1/{op['name']}").json()
    assert done["done"] is True and done["response"]["service"]["state"] == "ENABLED"
    assert http.get(f"/v1/projects/{PROD}/locations/{REGION}/instances").status_code == 200


def test_run_update_with_a_stale_etag_is_aborted(emulator: Emulator) -> None:
    run = make_client(run_v2.ServicesClient, emulator)
    name = f"{STAGING_LOC}/services/mobius-chat-api"
    read = run.get_service(name=name)
    mine = run_v2.Service(read)
    read.template.scaling.min_instance_count = 1
    first = run.update_service(service=read).result(polling=FAST)
    assert first.etag and first.etag != read.etag
    mine.template.scaling.max_instance_count = 3
    with pytest.raises(gexc.Conflict) as info:
        run.update_service(service=mine)
    assert info.value.response.json()["error"]["status"] == "ABORTED"
    assert run.get_service(name=name).etag == first.etag, "the refused update changed nothing"
    mine.etag = ""
    assert run.update_service(service=mine).result(polling=FAST).etag != first.etag  # no etag: last write wins


def test_iam_policy_and_secret_version_etags(emulator: Emulator) -> None:
    sm = make_client(secretmanager_v1.SecretManagerServiceClient, emulator)
    secret = f"projects/{PROD}/secrets/db-password-mobius-rag"
    policy = sm.get_iam_policy(request={"resource": secret})
    sm.set_iam_policy(request={"resource": secret, "policy": policy})
    with pytest.raises(gexc.Conflict, match="concurrent policy changes") as info:
        sm.set_iam_policy(request={"resource": secret, "policy": policy})
    assert info.value.response.json()["error"]["status"] == "ABORTED"
    policy.etag = b""
    assert sm.set_iam_policy(request={"resource": secret, "policy": policy}).etag
    version = sm.add_secret_version(parent=secret, payload={"data": b"<secret-value>"})
    disabled = sm.disable_secret_version(request={"name": version.name, "etag": version.etag})
    assert disabled.state == secretmanager_v1.SecretVersion.State.DISABLED and disabled.etag != version.etag
    with pytest.raises(gexc.Conflict):
        sm.enable_secret_version(request={"name": version.name, "etag": version.etag})
    assert sm.enable_secret_version(request={"name": version.name}).state.name == "ENABLED"


def test_refused_writes_unknown_service_and_existing_resources(emulator: Emulator) -> None:
    usage = make_client(service_usage_v1.ServiceUsageClient, emulator)
    with pytest.raises(gexc.Forbidden) as info:
        usage.enable_service(request={"name": f"projects/{PROD}/services/nope.googleapis.com"})
    assert info.value.reason == "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED"
    with pytest.raises(gexc.Forbidden, match=r"nope\.googleapis\.com"):
        _enable(emulator, "redis.googleapis.com", "nope.googleapis.com")
    assert "redis.googleapis.com" not in emulator.project(PROD).enabled, "a refused batch enables nothing"
    run = make_client(run_v2.ServicesClient, emulator)
    with pytest.raises(gexc.Conflict):
        run.create_service(parent=LOC, service_id="mobius-os", service=run_v2.Service())
    sm = make_client(secretmanager_v1.SecretManagerServiceClient, emulator)
    with pytest.raises(gexc.Conflict):
        sm.create_secret(parent=f"projects/{PROD}", secret_id="db-password-mobius-rag", secret={"replication": {}})
    redis = make_client(redis_v1.CloudRedisClient, emulator)
    with pytest.raises(gexc.Conflict):
        redis.create_instance(parent=STAGING_LOC, instance_id="mobius-redis", instance={"tier": 1, "memory_size_gb": 1})
    with pytest.raises(gexc.BadRequest, match="instance_id"):
        redis.create_instance(parent=STAGING_LOC, instance_id="Redis_1", instance={"tier": 1, "memory_size_gb": 1})


def test_the_journal_keeps_what_was_written(emulator: Emulator) -> None:
    emulator.reset_stats()
    http = httpx.Client(base_url=emulator.url, timeout=10)
    http.post(f"/v1/projects/{PROD}/secrets", params={"secretId": "s"}, json={"colour": "red"})
    http.get(f"/v1/projects/{PROD}/secrets")
    (entry,) = http.get("/_emulator/writes").json()
    assert entry == {
        "method": "POST",
        "route": "/v1/projects/{project}/secrets",
        "path": f"/v1/projects/{PROD}/secrets",
        "query": {"secretId": "s"},
        "body": {"colour": "red"},
        "status": 400,
    }
    assert emulator.writes() == [entry]
    emulator.reset_stats()
    assert emulator.writes() == []
