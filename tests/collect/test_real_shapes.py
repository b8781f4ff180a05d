"""The normalizers on real recorded answers (tests/collect/data/real/README.md names each source).

A connector created with a subnet, a Run v2 service mid-rollout, a payload-less request
log; and Direct VPC egress in the field names Google's discovery documents give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud.logging_v2._helpers import entry_from_resource

from mobius_gate.collect.logs import LogReader, to_log_entry
from mobius_gate.collect.normalize import (
    WireError,
    connector_from_wire,
    log_entry_from_wire,
    request_summary,
    service_from_knative,
    service_from_v2,
)

REAL = Path(__file__).parent / "data" / "real"
DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def real(name: str) -> dict[str, Any]:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def discovery(name: str) -> dict[str, Any]:
    return json.loads((DISCOVERY / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- VPC Access: --subnet


def test_real_subnet_connector_has_no_network_and_the_subnet_is_not_read_as_one() -> None:
    data = real("vpcaccess-connector-subnet.json")
    assert "network" not in data and "ipCidrRange" not in data  # the recorded shape itself
    conn = connector_from_wire(data)
    assert conn.network is None
    assert conn.ip_cidr_range is None
    assert conn.subnet == "computesubnetwork-${uniqueId}"
    assert conn.subnet_project == "example-project-02"
    assert (conn.state, conn.min_instances, conn.max_instances) == ("READY", 2, 3)


def test_network_connector_keeps_its_network_and_has_no_subnet() -> None:
    conn = connector_from_wire(
        {"name": "projects/p/locations/r/connectors/c", "network": "default", "ipCidrRange": "10.8.0.0/28"}
    )
    assert (conn.network, conn.ip_cidr_range, conn.subnet, conn.subnet_project) == (
        "default",
        "10.8.0.0/28",
        None,
        None,
    )


def test_subnet_field_matches_the_discovery_document() -> None:
    schemas = discovery("vpcaccess.v1.json")["schemas"]
    assert set(schemas["Subnet"]["properties"]) == {"name", "projectId"}
    assert "subnet" in schemas["Connector"]["properties"]


# --------------------------------------------------------------------------- Run v2: rollout in progress


def test_real_pending_service_is_reconciling_not_unready() -> None:
    svc = service_from_v2(real("run-v2-service-pending.json"))
    assert svc.reconciling is True
    assert svc.ready is None  # never "not ready" while Cloud Run is still rolling it out
    assert svc.latest_created_revision is None and svc.latest_ready_revision is None


def test_real_pending_service_with_revisions_keeps_them() -> None:
    svc = service_from_v2(real("run-v2-service-pending-served.json"))
    assert (svc.ready, svc.reconciling) == (None, True)
    assert svc.latest_created_revision == svc.latest_ready_revision == "runservice-1-2ubz1ejdpwb22-00001-5r2"
    assert svc.traffic and svc.traffic[0].latest and svc.traffic[0].percent == 100


@pytest.mark.parametrize(
    ("state", "reconciling_field", "expected"),
    [
        ("CONDITION_RECONCILING", None, (None, True)),
        ("CONDITION_PENDING", None, (None, True)),
        ("CONDITION_SUCCEEDED", True, (None, True)),  # reconciling wins: the state is transient
        ("CONDITION_SUCCEEDED", None, (True, False)),
        ("CONDITION_FAILED", False, (False, False)),
    ],
)
def test_v2_condition_states(state: str, reconciling_field: bool | None, expected: tuple[Any, Any]) -> None:
    data = real("run-v2-service-pending-served.json")
    data["terminalCondition"] = {"type": "Ready", "state": state}
    data.pop("reconciling")
    if reconciling_field is not None:
        data["reconciling"] = reconciling_field
    svc = service_from_v2(data)
    assert (svc.ready, svc.reconciling) == expected


def test_condition_states_are_the_discovery_documents() -> None:
    schemas = discovery("run.v2.json")["schemas"]
    states = set(schemas["GoogleCloudRunV2Condition"]["properties"]["state"]["enum"])
    assert {"CONDITION_PENDING", "CONDITION_RECONCILING", "CONDITION_SUCCEEDED", "CONDITION_FAILED"} <= states
    assert schemas["GoogleCloudRunV2Service"]["properties"]["reconciling"]["type"] == "boolean"


def test_knative_ready_unknown_is_a_rollout() -> None:
    doc = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "svc"},
        "spec": {"template": {"spec": {"containers": [{"image": "gcr.io/p/svc"}]}}},
        "status": {"conditions": [{"type": "Ready", "status": "Unknown", "reason": "Deploying"}]},
    }
    svc = service_from_knative(doc)
    assert (svc.ready, svc.reconciling) == (None, True)


# --------------------------------------------------------------------------- Run: Direct VPC egress


def _direct(interfaces: list[dict[str, Any]], egress: str | None = "PRIVATE_RANGES_ONLY") -> dict[str, Any]:
    data = real("run-v2-service-pending-served.json")
    data["template"]["vpcAccess"] = {"networkInterfaces": interfaces, **({"egress": egress} if egress else {})}
    return data


def test_direct_vpc_fields_are_the_discovery_documents() -> None:
    schemas = discovery("run.v2.json")["schemas"]
    assert "networkInterfaces" in schemas["GoogleCloudRunV2VpcAccess"]["properties"]
    assert set(schemas["GoogleCloudRunV2NetworkInterface"]["properties"]) == {"network", "subnetwork", "tags"}
    assert "run.googleapis.com/network-interfaces" in json.dumps(discovery("run.v1.json"))


def test_v2_direct_vpc_is_vpc_access_without_a_connector() -> None:
    svc = service_from_v2(
        _direct([{"network": "projects/p/global/networks/default", "subnetwork": "default", "tags": ["a"]}])
    )
    assert (svc.vpc_connector, svc.vpc_network, svc.vpc_subnetwork) == (None, "default", "default")
    assert svc.vpc_egress == "private-ranges-only"


def test_direct_vpc_documented_defaults() -> None:
    only_network = service_from_v2(_direct([{"network": "shared"}], egress=None))
    assert (only_network.vpc_network, only_network.vpc_subnetwork) == ("shared", "shared")  # same-named subnet
    assert only_network.vpc_egress == "private-ranges-only"
    only_subnet = service_from_v2(_direct([{"subnetwork": "sub-a"}]))
    assert (only_subnet.vpc_network, only_subnet.vpc_subnetwork) == (None, "sub-a")  # network: Compute only


def test_knative_network_interfaces_annotation() -> None:
    doc = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "svc"},
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {
                        "run.googleapis.com/network-interfaces": '[{"network":"my-vpc","subnetwork":"my-subnet"}]',
                        "run.googleapis.com/vpc-access-egress": "all-traffic",
                    }
                },
                "spec": {"containers": [{"image": "gcr.io/p/svc"}]},
            }
        },
    }
    svc = service_from_knative(doc)
    assert (svc.vpc_connector, svc.vpc_network, svc.vpc_subnetwork, svc.vpc_egress) == (
        None,
        "my-vpc",
        "my-subnet",
        "all-traffic",
    )
    doc["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/network-interfaces"] = "not json"
    with pytest.raises(WireError, match="network-interfaces"):
        service_from_knative(doc)


# --------------------------------------------------------------------------- Logging: request logs


def test_real_request_log_reads_as_the_request_never_an_empty_line() -> None:
    data = real("logging-request-log-error.json")
    assert "textPayload" not in data and "jsonPayload" not in data and data["severity"] == "ERROR"
    entry = log_entry_from_wire(data)
    assert entry.text == ""
    assert entry.request == (
        "POST https://amilia-booker-638146343962.northamerica-northeast1.run.app/book → 502 in 60.369s"
    )
    assert entry.evidence == entry.request
    assert (entry.service, entry.revision, entry.severity) == ("amilia-booker", "amilia-booker-00067-c4g", "ERROR")


def test_real_request_log_through_the_official_client_parser() -> None:
    """The google-cloud-logging client builds a payload-less entry from it; the collector reads its request."""
    reader = LogReader(project="p", credentials=AnonymousCredentials(), _use_grpc=False)
    parsed = entry_from_resource(real("logging-request-log-error.json"), reader, {})
    assert parsed.payload is None
    entry = to_log_entry(parsed)
    assert entry.text == "" and entry.request is not None and entry.request.endswith("→ 502 in 60.369s")


def test_request_summary_edges() -> None:
    assert request_summary(None) is None
    assert request_summary({"requestMethod": "GET", "requestUrl": "https://x/health", "status": 500}) == (
        "GET https://x/health → 500"
    )
    assert "(no status)" in (request_summary({"requestUrl": "https://x/"}) or "")
    payload_less = log_entry_from_wire({"severity": "ERROR", "resource": {"labels": {"service_name": "s"}}})
    assert payload_less.evidence == "an entry at ERROR without a payload"
