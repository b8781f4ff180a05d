"""The official google-cloud-* clients (REST transport) against the emulator, unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.api_core import exceptions as gexc
from google.cloud import redis_v1, run_v2, secretmanager_v1, service_usage_v1, vpcaccess_v1
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2
from mobius_gate.fixtures.emulator import Emulator

from tests.emulator.conftest import PROD, REGION, STAGING, make_client

pytestmark = pytest.mark.servers
STAGING_LOC = f"projects/{STAGING}/locations/{REGION}"
PROD_LOC = f"projects/{PROD}/locations/{REGION}"


def test_http_endpoint_stays_http(shared_emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, shared_emulator)
    assert client._transport._host == shared_emulator.url  # not upgraded to https
    before = shared_emulator.stats()["total"]
    client.get_service(name=f"{PROD_LOC}/services/mobius-os")
    assert shared_emulator.stats()["total"] == before + 1


def test_run_list_pages_and_renders_like_the_real_api(emulator: Emulator) -> None:
    emulator.configure(max_page_size=3)
    client = make_client(run_v2.ServicesClient, emulator)
    emulator.reset_stats()
    services = list(client.list_services(parent=STAGING_LOC))
    assert len(services) == 10
    assert emulator.stats()["by_route"]["GET /v2/projects/{project}/locations/{location}/services"] == 4
    worker = next(s for s in services if s.name.endswith("/mobius-chat-worker"))
    container = worker.template.containers[0]
    assert container.resources.cpu_idle is False
    assert worker.template.scaling.min_instance_count == 1
    assert worker.template.scaling.max_instance_count == 1
    assert worker.template.timeout.total_seconds() == 3600
    assert worker.template.vpc_access.connector == f"{STAGING_LOC}/connectors/mobius-redis-connector"
    assert worker.template.vpc_access.egress == run_v2.VpcAccess.VpcEgress.PRIVATE_RANGES_ONLY
    assert worker.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL
    assert worker.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    assert worker.latest_ready_revision == worker.latest_created_revision
    assert worker.uri == f"{emulator.url}/_svc/mobius-chat-worker"
    assert worker.traffic_statuses[0].percent == 100
    jwt = next(e for e in container.env if e.name == "JWT_SECRET")
    assert jwt.value_source.secret_key_ref.secret == "jwt-secret"
    api = next(s for s in services if s.name.endswith("/mobius-chat-api"))
    assert api.template.containers[0].resources.cpu_idle is True


def test_run_create_update_delete_with_done_operations(emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, emulator)
    emulator.reset_stats()
    op = client.create_service(
        parent=PROD_LOC,
        service_id="mobius-chat-api",
        service=run_v2.Service(
            template=run_v2.RevisionTemplate(
                containers=[run_v2.Container(image=f"gcr.io/{PROD}/mobius-chat-api:latest")],
                scaling=run_v2.RevisionScaling(min_instance_count=1),
            )
        ),
    )
    assert op.done()
    created = op.result(timeout=5)
    assert created.generation == 1 and created.uri.endswith("/_svc/mobius-chat-api")
    assert created.template.containers[0].resources.cpu_idle is True  # the default: throttled
    assert not any(k.startswith("GET") and "operations" in k for k in emulator.stats()["by_route"])
    raw = client.get_operation(operations_pb2.GetOperationRequest(name=op.operation.name))
    assert raw.done and raw.response.type_url == "type.googleapis.com/google.cloud.run.v2.Service"

    created.template.containers[0].resources = run_v2.ResourceRequirements(
        limits={"cpu": "1", "memory": "1Gi"}, cpu_idle=False
    )
    updated = client.update_service(service=created).result(timeout=5)
    assert updated.generation == 2 and updated.template.containers[0].resources.cpu_idle is False
    assert updated.latest_ready_revision != created.latest_ready_revision
    revisions = make_client(run_v2.RevisionsClient, emulator).list_revisions(parent=created.name)
    assert len(list(revisions)) == 2

    client.delete_service(name=created.name).result(timeout=5)
    with pytest.raises(gexc.NotFound):
        client.get_service(name=created.name)


def test_run_iam_policy_round_trip(emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, emulator)
    name = f"{STAGING_LOC}/services/mobius-dbt-ui"
    policy = client.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=name))
    assert [m for b in policy.bindings for m in b.members] == ["group:platform-eng@mobius.example"]
    policy.bindings.append(policy_pb2.Binding(role="roles/run.invoker", members=["allUsers"]))
    client.set_iam_policy(request=iam_policy_pb2.SetIamPolicyRequest(resource=name, policy=policy))
    again = client.get_iam_policy(request=iam_policy_pb2.GetIamPolicyRequest(resource=name))
    assert "allUsers" in {m for b in again.bindings for m in b.members}


def test_disabled_redis_answers_service_disabled_until_enabled(emulator: Emulator) -> None:
    redis = make_client(redis_v1.CloudRedisClient, emulator)
    with pytest.raises(gexc.Forbidden) as info:
        list(redis.list_instances(parent=PROD_LOC))
    err = info.value
    assert err.reason == "SERVICE_DISABLED" and err.domain == "googleapis.com"
    assert err.metadata["service"] == "redis.googleapis.com"
    assert err.metadata["consumer"] == "projects/902374518826"
    assert "Google Cloud Memorystore for Redis API has not been used in project 902374518826" in err.message

    usage = make_client(service_usage_v1.ServiceUsageClient, emulator)
    enabled = usage.enable_service(request={"name": f"projects/{PROD}/services/redis.googleapis.com"}).result(timeout=5)
    assert enabled.service.state == service_usage_v1.State.ENABLED
    assert list(redis.list_instances(parent=PROD_LOC)) == []
    instance = redis_v1.Instance(
        tier=redis_v1.Instance.Tier.BASIC,
        memory_size_gb=1,
        redis_version="REDIS_7_0",
        connect_mode=redis_v1.Instance.ConnectMode.PRIVATE_SERVICE_ACCESS,
    )
    created = redis.create_instance(parent=PROD_LOC, instance_id="mobius-redis", instance=instance).result(timeout=5)
    assert created.state == redis_v1.Instance.State.READY and created.port == 6379 and created.host
    created.memory_size_gb = 2
    mask = field_mask_pb2.FieldMask(paths=["memory_size_gb"])
    assert redis.update_instance(update_mask=mask, instance=created).result(timeout=5).memory_size_gb == 2
    got = redis.get_instance(name=f"{PROD_LOC}/instances/mobius-redis")
    assert got.memory_size_gb == 2 and got.tier == redis_v1.Instance.Tier.BASIC


def test_staging_redis_and_connector(shared_emulator: Emulator) -> None:
    redis = make_client(redis_v1.CloudRedisClient, shared_emulator)
    inst = redis.get_instance(name=f"{STAGING_LOC}/instances/mobius-redis")
    assert (inst.host, inst.port, inst.redis_version) == ("10.64.0.3", 6379, "REDIS_7_0")
    assert inst.connect_mode == redis_v1.Instance.ConnectMode.PRIVATE_SERVICE_ACCESS
    vpc = make_client(vpcaccess_v1.VpcAccessServiceClient, shared_emulator)
    (conn,) = list(vpc.list_connectors(parent=STAGING_LOC))
    assert conn.name.endswith("/connectors/mobius-redis-connector")
    assert (conn.network, conn.ip_cidr_range, conn.min_instances, conn.max_instances) == (
        "default",
        "10.8.0.0/28",
        2,
        10,
    )
    assert conn.state == vpcaccess_v1.Connector.State.READY


def test_vpc_connector_create(emulator: Emulator) -> None:
    vpc = make_client(vpcaccess_v1.VpcAccessServiceClient, emulator)
    conn = vpcaccess_v1.Connector(network="default", ip_cidr_range="10.8.0.16/28", min_instances=2, max_instances=10)
    created = vpc.create_connector(parent=STAGING_LOC, connector_id="c2", connector=conn).result(timeout=5)
    assert created.state == vpcaccess_v1.Connector.State.READY and created.max_throughput == 1000
    assert vpc.get_connector(name=created.name).ip_cidr_range == "10.8.0.16/28"


def test_secret_manager_versions_iam_and_no_access(emulator: Emulator) -> None:
    sm = make_client(secretmanager_v1.SecretManagerServiceClient, emulator)
    names = [s.name for s in sm.list_secrets(parent=f"projects/{PROD}")]
    assert names == ["projects/902374518826/secrets/db-password-mobius-rag"]
    secret = sm.create_secret(
        parent=f"projects/{PROD}",
        secret_id="jwt-secret",
        secret=secretmanager_v1.Secret(replication={"automatic": {}}),
    )
    version = sm.add_secret_version(parent=secret.name, payload={"data": b"s3cr3t"})
    assert version.state == secretmanager_v1.SecretVersion.State.ENABLED
    assert not version.name.endswith("s3cr3t") and version.name.endswith("/versions/1")
    assert [v.name for v in sm.list_secret_versions(parent=secret.name)] == [version.name]
    policy = sm.get_iam_policy(request={"resource": "projects/mobiusos-new/secrets/db-password-mobius-rag"})
    assert policy.bindings[0].role == "roles/secretmanager.secretAccessor"
    with pytest.raises(gexc.MethodNotImplemented):
        sm.access_secret_version(name=version.name)


def test_service_usage_filter_by_project_number(shared_emulator: Emulator) -> None:
    usage = make_client(service_usage_v1.ServiceUsageClient, shared_emulator)
    listed = usage.list_services(request={"parent": "projects/902374518826", "filter": "state:ENABLED"})
    enabled = {s.config.name for s in listed}
    assert "run.googleapis.com" in enabled and "redis.googleapis.com" not in enabled
    assert all(s.state == service_usage_v1.State.ENABLED for s in listed)


def test_forbidden_api_is_iam_permission_denied(tmp_path: Path) -> None:
    scenario = tmp_path / "locked.yaml"
    staging = Path(__file__).resolve().parents[2] / "fixtures/emulator/scenarios/staging.yaml"
    scenario.write_text(f"extends: {staging}\napis: {{forbidden: [secretmanager.googleapis.com]}}\n")
    with Emulator(scenario, STAGING) as emu:
        sm = make_client(secretmanager_v1.SecretManagerServiceClient, emu)
        with pytest.raises(gexc.Forbidden) as info:
            list(sm.list_secrets(parent=f"projects/{STAGING}"))
        assert info.value.reason == "IAM_PERMISSION_DENIED"


def test_injected_faults_surface_as_429_and_503_and_are_counted(emulator: Emulator) -> None:
    client = make_client(run_v2.ServicesClient, emulator)
    emulator.configure(fault_rate=0.5, seed=7)
    emulator.reset_stats()
    outcomes: list[str] = []
    for _ in range(40):
        try:
            client.get_service(name=f"{PROD_LOC}/services/mobius-os", retry=None)
            outcomes.append("ok")
        except gexc.ServiceUnavailable:
            outcomes.append("503")
        except gexc.TooManyRequests:
            outcomes.append("429")
    stats = emulator.stats()
    assert {"ok", "503", "429"} <= set(outcomes)
    assert stats["total"] == 40 and stats["faults"] == outcomes.count("503") + outcomes.count("429")
    assert stats["writes"] == 0
    emulator.configure(fault_rate=0.0)
    client.get_service(name=f"{PROD_LOC}/services/mobius-os", retry=None)
