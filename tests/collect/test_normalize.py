"""Wire → model: Cloud Run v2 JSON/messages, Knative v1 YAML, and the other resources."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import redis_v1, run_v2

from mobius_gate.collect.normalize import (
    WireError,
    connector_from_wire,
    redis_from_wire,
    role_members,
    secret_from_wire,
    service_from_knative,
    service_from_v2,
    short_name,
    sql_from_wire,
    to_wire,
    with_knative_cpu,
)

DATA = Path(__file__).parent / "data"
WIRE = DATA / "wire"
STATUS_FIELDS = {"uri", "ready", "ready_message", "reconciling", "latest_created_revision", "latest_ready_revision"}


def v2_worker() -> dict[str, Any]:
    return json.loads((WIRE / "mobius-chat-worker.v2.json").read_text())


def v1_worker() -> dict[str, Any]:
    return json.loads((WIRE / "mobius-chat-worker.v1.json").read_text())


def export_worker() -> dict[str, Any]:
    return yaml.safe_load((DATA / "snapshot-staging" / "chat-worker.yaml").read_text())


def minimal_v2(**template: Any) -> dict[str, Any]:
    return {
        "name": "projects/p/locations/us-central1/services/svc",
        "template": {"containers": [{"image": "gcr.io/p/svc:latest"}], **template},
    }


def minimal_knative(template_annotations: dict[str, str] | None = None, **service_annotations: str) -> dict:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "svc", "annotations": dict(service_annotations)},
        "spec": {
            "template": {
                "metadata": {"annotations": dict(template_annotations or {})},
                "spec": {"containers": [{"image": "gcr.io/p/svc:latest"}]},
            }
        },
    }


# --------------------------------------------------------------------------- v1 and v2 agree


def test_v1_api_and_v2_json_of_the_same_service_are_equal_models() -> None:
    from_v2 = with_knative_cpu(service_from_v2(v2_worker()), v1_worker())
    from_v1 = service_from_knative(v1_worker(), project="mobiusos-new")
    assert from_v2 == from_v1
    assert from_v1.cpu_always_allocated is True
    assert from_v1.min_instances == 1 and from_v1.max_instances == 1
    assert from_v1.vpc_connector == "mobius-redis-connector"
    assert from_v1.vpc_connector_path == "projects/mobiusos-new/locations/us-central1/connectors/mobius-redis-connector"
    jwt = from_v1.env_value("JWT_SECRET")
    assert jwt is not None and jwt.secret_ref is not None and jwt.secret_ref.secret == "jwt-secret"
    assert from_v1.traffic[0].revision == "mobius-chat-worker-00003-pz8" and from_v1.traffic[0].latest


def test_export_yaml_equals_v2_json_except_status() -> None:
    """`gcloud ... --format=export` strips status; everything else matches the API's v2 JSON."""
    from_export = service_from_knative(export_worker(), project="mobiusos-new")
    from_v2 = with_knative_cpu(service_from_v2(v2_worker()), export_worker())
    assert from_export.model_dump(exclude=STATUS_FIELDS | {"traffic"}) == from_v2.model_dump(
        exclude=STATUS_FIELDS | {"traffic"}
    )
    assert from_export.ready is None and from_export.uri is None  # unknown, not assumed ready


def test_v2_proto_message_and_json_dict_normalize_the_same() -> None:
    message = run_v2.Service.from_json(json.dumps(v2_worker()), ignore_unknown_fields=True)
    assert service_from_v2(message) == service_from_v2(v2_worker())


# --------------------------------------------------------------------------- v2 absence rules


def test_v2_omitted_cpu_idle_is_unknown_not_always_allocated() -> None:
    assert service_from_v2(v2_worker()).cpu_always_allocated is None


def test_v2_cpu_idle_false_is_still_unknown() -> None:
    data = minimal_v2()
    data["template"]["containers"][0]["resources"] = {"cpuIdle": False}
    assert service_from_v2(data).cpu_always_allocated is None


def test_v2_cpu_idle_true_means_throttled() -> None:
    data = minimal_v2()
    data["template"]["containers"][0]["resources"] = {"cpuIdle": True}
    assert service_from_v2(data).cpu_always_allocated is False


def test_v2_proto_message_cpu_idle_default_is_unknown() -> None:
    message = run_v2.Service(name="projects/p/locations/r/services/s")
    message.template.containers.append(run_v2.Container(image="i", resources=run_v2.ResourceRequirements()))
    assert service_from_v2(message).cpu_always_allocated is None


def test_v2_absent_scaling_and_timeout_take_platform_defaults() -> None:
    svc = service_from_v2(minimal_v2())
    assert svc.min_instances == 0
    assert svc.max_instances is None
    assert svc.timeout_seconds == 300
    assert svc.vpc_connector is None and svc.vpc_egress is None
    assert svc.ready is None and svc.ingress is None
    assert svc.region == "us-central1"


def test_v2_service_level_min_instances_counts() -> None:
    data = minimal_v2(scaling={"maxInstanceCount": 3})
    data["scaling"] = {"minInstanceCount": 2}
    svc = service_from_v2(data)
    assert (svc.min_instances, svc.max_instances) == (2, 3)


def test_v2_connector_without_egress_defaults_to_private_ranges_only() -> None:
    data = minimal_v2(vpcAccess={"connector": "projects/p/locations/us-central1/connectors/c1"})
    svc = service_from_v2(data)
    assert (svc.vpc_connector, svc.vpc_egress) == ("c1", "private-ranges-only")


@pytest.mark.parametrize(
    ("wire", "model"),
    [
        ("INGRESS_TRAFFIC_ALL", "all"),
        ("INGRESS_TRAFFIC_INTERNAL_ONLY", "internal"),
        ("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "internal-and-cloud-load-balancing"),
    ],
)
def test_v2_ingress_names(wire: str, model: str) -> None:
    assert service_from_v2({**minimal_v2(), "ingress": wire}).ingress == model


def test_v2_terminal_condition_failed_is_not_ready_with_message() -> None:
    data = {
        **minimal_v2(),
        "terminalCondition": {"type": "Ready", "state": "CONDITION_FAILED", "message": "Revision failed"},
    }
    svc = service_from_v2(data)
    assert svc.ready is False and svc.ready_message == "Revision failed"


def test_v2_sidecar_first_still_reads_the_serving_container() -> None:
    data = minimal_v2()
    data["template"]["containers"] = [
        {"image": "gcr.io/p/proxy:1", "name": "proxy"},
        {"image": "gcr.io/p/app:1", "ports": [{"containerPort": 8080}]},
    ]
    assert service_from_v2(data).image == "gcr.io/p/app:1"


def test_v2_without_name_is_a_wire_error() -> None:
    with pytest.raises(WireError, match="no 'name'"):
        service_from_v2({"template": {}})


# --------------------------------------------------------------------------- Knative absence rules


def test_knative_absent_annotations_take_platform_defaults() -> None:
    svc = service_from_knative(minimal_knative())
    assert svc.cpu_always_allocated is False  # cpu-throttling absent = throttled
    assert svc.min_instances == 0
    assert svc.max_instances is None  # platform default (100), not a configured value
    assert svc.timeout_seconds == 300
    assert svc.ingress == "all"
    assert svc.vpc_connector is None and svc.vpc_egress is None
    assert svc.invoker_members is None and svc.ready is None


def test_knative_connector_without_egress_is_private_ranges_only() -> None:
    svc = service_from_knative(minimal_knative({"run.googleapis.com/vpc-access-connector": "c1"}))
    assert (svc.vpc_connector, svc.vpc_egress) == ("c1", "private-ranges-only")
    assert svc.vpc_connector_path is None  # no project or region known to build the path from


def test_knative_full_connector_path_is_kept_and_shortened() -> None:
    path = "projects/p/locations/us-central1/connectors/c1"
    svc = service_from_knative(minimal_knative({"run.googleapis.com/vpc-access-connector": path}))
    assert (svc.vpc_connector, svc.vpc_connector_path) == ("c1", path)


def test_knative_service_level_min_scale_on_service_metadata() -> None:
    doc = minimal_knative(**{"run.googleapis.com/minScale": "2"})
    assert service_from_knative(doc).min_instances == 2


def test_knative_revision_min_scale_on_template() -> None:
    doc = minimal_knative({"autoscaling.knative.dev/minScale": "1", "autoscaling.knative.dev/maxScale": "1"})
    svc = service_from_knative(doc)
    assert (svc.min_instances, svc.max_instances) == (1, 1)


def test_knative_cpu_always_allocated_annotation_only_counts_on_the_template() -> None:
    """On the service's own metadata it is ignored by Cloud Run, so it must not read as 'always on'."""
    doc = minimal_knative(**{"run.googleapis.com/cpu-throttling": "false"})
    assert service_from_knative(doc).cpu_always_allocated is False
    doc = minimal_knative({"run.googleapis.com/cpu-throttling": "false"})
    assert service_from_knative(doc).cpu_always_allocated is True


def test_knative_cloudsql_instances_comma_list() -> None:
    doc = minimal_knative({"run.googleapis.com/cloudsql-instances": "p:r:a, p:r:b"})
    assert service_from_knative(doc).cloudsql_instances == ["p:r:a", "p:r:b"]


def test_knative_secret_alias_resolves_to_the_real_secret() -> None:
    doc = minimal_knative({"run.googleapis.com/secrets": "jwt-alias:projects/123/secrets/jwt-secret"})
    doc["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "JWT_SECRET", "valueFrom": {"secretKeyRef": {"name": "jwt-alias", "key": "2"}}}
    ]
    ref = service_from_knative(doc).env[0].secret_ref
    assert ref is not None and (ref.secret, ref.version) == ("jwt-secret", "2")


def test_knative_bad_annotation_value_is_a_wire_error() -> None:
    with pytest.raises(WireError, match="integer"):
        service_from_knative(minimal_knative({"autoscaling.knative.dev/minScale": "one"}))


def test_not_a_knative_service_is_a_wire_error() -> None:
    doc = minimal_knative()
    doc["kind"] = "Job"
    with pytest.raises(WireError, match="not a Knative service"):
        service_from_knative(doc)


def test_with_knative_cpu_without_v1_view_keeps_unknown() -> None:
    svc = service_from_v2(v2_worker())
    assert with_knative_cpu(svc, None).cpu_always_allocated is None
    v1 = copy.deepcopy(v1_worker())
    del v1["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/cpu-throttling"]
    assert with_knative_cpu(svc, v1).cpu_always_allocated is False


# --------------------------------------------------------------------------- other resources


def test_short_names_from_full_paths() -> None:
    assert short_name("projects/p/locations/r/connectors/mobius-redis-connector") == "mobius-redis-connector"
    assert short_name("projects/123/secrets/jwt-secret") == "jwt-secret"
    assert short_name("jwt-secret") == "jwt-secret"
    assert short_name(None) is None


def test_redis_instance_from_message() -> None:
    message = redis_v1.Instance(
        name="projects/p/locations/us-central1/instances/mobius-redis",
        tier=redis_v1.Instance.Tier.BASIC,
        memory_size_gb=1,
        redis_version="REDIS_7_0",
        connect_mode=redis_v1.Instance.ConnectMode.PRIVATE_SERVICE_ACCESS,
        authorized_network="projects/p/global/networks/default",
        host="10.64.0.3",
        port=6379,
        state=redis_v1.Instance.State.READY,
    )
    inst = redis_from_wire(message)
    assert inst.model_dump() == {
        "name": "mobius-redis",
        "region": "us-central1",
        "state": "READY",
        "tier": "BASIC",
        "memory_size_gb": 1,
        "redis_version": "REDIS_7_0",
        "connect_mode": "PRIVATE_SERVICE_ACCESS",
        "authorized_network": "default",
        "authorized_network_project": "p",
        "auth_enabled": False,
        "host": "10.64.0.3",
        "port": 6379,
        "transit_encryption_mode": None,
    }


def test_connector_from_json() -> None:
    conn = connector_from_wire(
        {
            "name": "projects/p/locations/us-central1/connectors/mobius-redis-connector",
            "network": "default",
            "ipCidrRange": "10.8.0.0/28",
            "state": "READY",
            "minInstances": 2,
            "maxInstances": 10,
        }
    )
    assert (conn.name, conn.network, conn.ip_cidr_range, conn.min_instances, conn.max_instances) == (
        "mobius-redis-connector",
        "default",
        "10.8.0.0/28",
        2,
        10,
    )


def test_secret_with_versions_and_accessors() -> None:
    secret = secret_from_wire(
        {"name": "projects/123/secrets/jwt-secret"},
        versions=[
            {"name": "projects/123/secrets/jwt-secret/versions/1", "state": "DESTROYED"},
            {"name": "projects/123/secrets/jwt-secret/versions/2", "state": "ENABLED"},
        ],
        accessors=["serviceAccount:mobius-platform@p.iam.gserviceaccount.com"],
    )
    assert secret.name == "jwt-secret"
    assert [v.name for v in secret.versions or []] == ["1", "2"]
    assert secret.has_enabled_version is True
    assert secret_from_wire({"name": "projects/1/secrets/x"}).has_enabled_version is None


def test_role_members_from_policy() -> None:
    policy = {
        "bindings": [
            {"role": "roles/run.invoker", "members": ["allUsers"]},
            {"role": "roles/run.admin", "members": ["user:a@example.com"]},
        ]
    }
    assert role_members(policy) == ["allUsers"]
    assert role_members({}) == []


@pytest.mark.parametrize(
    ("settings", "addresses", "public"),
    [
        ({"ipConfiguration": {"ipv4Enabled": True}}, [{"type": "PRIMARY", "ipAddress": "34.1.2.3"}], True),
        (
            {"ipConfiguration": {"ipv4Enabled": False, "privateNetwork": "projects/p/global/networks/default"}},
            [{"type": "PRIVATE", "ipAddress": "10.1.0.3"}],
            False,
        ),
        ({}, [{"type": "PRIMARY", "ipAddress": "34.1.2.3"}], True),
    ],
)
def test_sql_public_ip(settings: dict, addresses: list, public: bool) -> None:
    inst = sql_from_wire(
        {
            "name": "mobius-platform-db",
            "connectionName": "p:us-central1:mobius-platform-db",
            "state": "RUNNABLE",
            "settings": settings,
            "ipAddresses": addresses,
        }
    )
    assert inst.public_ip is public
    assert inst.ip_addresses == [a["ipAddress"] for a in addresses]


def test_to_wire_rejects_other_types() -> None:
    with pytest.raises(WireError):
        to_wire(42)
