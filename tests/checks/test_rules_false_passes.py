"""Issue 9 §1: real GCP shapes that used to pass wrongly, on crafted inventories.

Each case states the deviation, asserts the gate fails on the right requirement and
resource, and that the fix's structured steps name the deviating resource and the
right values (what remediation would apply).
"""

from __future__ import annotations

from typing import Any

import pytest

from mobius_gate.collect.normalize import service_from_knative, service_from_v2, sql_from_wire
from mobius_gate.fixes import MANUAL, Fix
from mobius_gate.inventory import Inventory, Secret, SecretVersion
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as checks
from tests.checks.factory import (
    REDIS_HOST,
    judge,
    with_env,
    with_items,
    with_redis,
    with_secret,
    with_section,
    with_service,
    with_sql,
    without,
)

SA = "mobius-platform@mobiusos-new.iam.gserviceaccount.com"
TAIL = "--region=us-central1 --project=mobiusos-new"
API, WORKER = "mobius-chat-api", "mobius-chat-worker"
DB = "mobius-platform-db"


def steps(verdict: Verdict) -> list[dict[str, Any]]:
    """The fix's structured steps (what remediation applies)."""
    return [s.to_dict() for s in Fix.from_json(verdict.details["fix"]).steps]


def versions(*states: str) -> list[SecretVersion]:
    return [SecretVersion(name=str(n), state=state) for n, state in enumerate(states, start=1)]


# --------------------------------------------------------------------------- `latest` of a secret


def test_latest_newest_disabled_fails_both_requirements_with_enable(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "jwt-secret", versions=versions("ENABLED", "DISABLED"))
    infra = judge(checks.test_secret_ready, "jwt-secret", spec, inv)
    assert infra.status == "fail", infra.message()
    assert "version 2 DISABLED (ENABLED: 1)" in (infra.actual or "")
    assert f"{API}, {WORKER} can start" in (infra.actual or "")
    assert infra.fix == "gcloud secrets versions enable 2 --secret=jwt-secret --project=mobiusos-new"
    for service in (API, WORKER):
        ref = judge(checks.test_secret_reference, (service, "JWT_SECRET"), spec, inv)
        assert ref.status == "fail" and ref.resource == service, ref.message()
        assert "jwt-secret:latest (version 2) is DISABLED" in ref.reason
        assert steps(ref) == [
            {
                "operation": "secrets.versions.enable",
                "target": "jwt-secret",
                "project": "mobiusos-new",
                "region": None,
                "params": {"version": "2"},
            }
        ]
    repaired = with_secret(inv, "jwt-secret", versions=versions("ENABLED", "ENABLED"))
    assert judge(checks.test_secret_ready, "jwt-secret", spec, repaired).status == "pass"
    assert judge(checks.test_secret_reference, (API, "JWT_SECRET"), spec, repaired).status == "pass"


def test_latest_newest_destroyed_needs_a_new_version(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "jwt-secret", versions=versions("ENABLED", "DESTROYED"))
    infra = judge(checks.test_secret_ready, "jwt-secret", spec, inv)
    assert infra.status == "fail"
    assert [s["operation"] for s in steps(infra)] == ["secrets.versions.add"]
    ref = judge(checks.test_secret_reference, (WORKER, "JWT_SECRET"), spec, inv)
    assert ref.status == "fail"
    assert [(s["operation"], s["target"]) for s in steps(ref)] == [("secrets.versions.add", "jwt-secret")]
    assert Fix.from_json(ref.details["fix"]).needs_input == ["<secret-value>"]
    assert "cannot come back" in (ref.fix or "")


def test_only_disabled_then_destroyed_newest_adds_rather_than_enables_an_old_one(
    spec: Checklist, inv: Inventory
) -> None:
    """Enabling version 1 would leave `latest` (version 2, DESTROYED) unusable."""
    inv = with_secret(inv, "jwt-secret", versions=versions("DISABLED", "DESTROYED"))
    infra = judge(checks.test_secret_ready, "jwt-secret", spec, inv)
    assert infra.status == "fail"
    assert [s["operation"] for s in steps(infra)] == ["secrets.versions.add"]


def test_pinned_version_that_is_disabled_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "jwt-secret", versions=versions("DISABLED", "ENABLED"))
    inv = with_env(inv, WORKER, "JWT_SECRET", secret="jwt-secret:1")
    infra = judge(checks.test_secret_ready, "jwt-secret", spec, inv)
    assert infra.status == "fail"
    assert f"version 1 used by {WORKER}=DISABLED" in (infra.actual or "")
    assert (
        judge(
            checks.test_secret_ready, "jwt-secret", spec, with_env(inv, WORKER, "JWT_SECRET", secret="jwt-secret:2")
        ).status
        == "pass"
    )


def test_no_versions_at_all_fails_both_with_add(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "jwt-secret", versions=[])
    assert judge(checks.test_secret_ready, "jwt-secret", spec, inv).status == "fail"
    ref = judge(checks.test_secret_reference, (API, "JWT_SECRET"), spec, inv)
    assert ref.status == "fail" and "jwt-secret has no version" in ref.reason
    assert [s["operation"] for s in steps(ref)] == ["secrets.versions.add"]


def test_secret_absent_fails_the_reference_too(spec: Checklist, inv: Inventory) -> None:
    inv = without(inv, "secrets", "db-password-mobius-rag")
    ref = judge(checks.test_secret_reference, ("mobius-dbt-ui", "POSTGRES_PASSWORD"), spec, inv)
    assert ref.status == "fail" and "does not exist" in ref.reason
    assert [s["operation"] for s in steps(ref)] == ["secrets.create", "secrets.versions.add"]


def test_reference_passes_when_usability_cannot_be_read(spec: Checklist, inv: Inventory) -> None:
    """Unreadable secrets: INF-SECRET is the error; the reference itself is right."""
    inv = with_section(inv, "secrets", "unavailable", "403 secretmanager.secrets.list denied")
    assert judge(checks.test_secret_reference, (API, "JWT_SECRET"), spec, inv).status == "pass"
    assert judge(checks.test_secret_ready, "jwt-secret", spec, inv).status == "error"


def test_version_alias_resolves_to_its_version(spec: Checklist, inv: Inventory) -> None:
    """A pinned alias (``jwt-secret:prod``) is no missing version (a false red before)."""
    inv = with_secret(inv, "jwt-secret", versions=versions("ENABLED", "DISABLED"), aliases={"prod": "1"})
    for service in (API, WORKER):
        inv = with_env(inv, service, "JWT_SECRET", secret="jwt-secret:prod")
    assert judge(checks.test_secret_ready, "jwt-secret", spec, inv).status == "pass"
    broken = with_secret(inv, "jwt-secret", aliases={"prod": "2"})
    verdict = judge(checks.test_secret_ready, "jwt-secret", spec, broken)
    assert verdict.status == "fail" and f"version prod used by {API}=DISABLED" in (verdict.actual or "")


def test_referenced_secret_with_newest_disabled_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "module-hub", "HUB_TOKEN", secret="hub-token:latest")
    inv = with_items(inv, "secrets", Secret(name="hub-token", versions=versions("ENABLED", "DISABLED"), accessors=[SA]))
    verdict = judge(checks.test_referenced_secrets_exist, "referenced-by-services", spec, inv)
    assert verdict.status == "fail"
    assert verdict.fix == "gcloud secrets versions enable 2 --secret=hub-token --project=mobiusos-new"


# --------------------------------------------------------------------------- VPC connector path


CONNECTOR = "mobius-redis-connector"


def _connector(inv: Inventory, path: str | None, name: str = CONNECTOR) -> Inventory:
    return with_service(inv, WORKER, vpc_connector=name, vpc_connector_path=path)


@pytest.mark.parametrize(
    ("path", "what"),
    [
        (f"projects/mobiusos-staging/locations/us-central1/connectors/{CONNECTOR}", "project mobiusos-staging"),
        (f"projects/mobiusos-new/locations/europe-west1/connectors/{CONNECTOR}", "region europe-west1"),
    ],
)
def test_connector_in_another_project_or_region_fails(spec: Checklist, inv: Inventory, path: str, what: str) -> None:
    verdict = judge(checks.test_vpc_connector_attached, WORKER, spec, _connector(inv, path))
    assert verdict.status == "fail" and verdict.resource == WORKER
    assert what in verdict.reason
    assert verdict.expected == f"projects/mobiusos-new/locations/us-central1/connectors/{CONNECTOR}"
    assert verdict.actual == path
    assert steps(verdict)[0]["target"] == WORKER
    assert steps(verdict)[0]["params"] == {"vpc_connector": CONNECTOR, "vpc_egress": "private-ranges-only"}
    assert (
        verdict.fix
        == f"gcloud run services update {WORKER} --vpc-connector={CONNECTOR} --vpc-egress=private-ranges-only {TAIL}"
    )


def test_connector_short_name_or_own_full_path_passes(spec: Checklist, inv: Inventory) -> None:
    own = f"projects/mobiusos-new/locations/us-central1/connectors/{CONNECTOR}"
    for path in (None, own, CONNECTOR):
        assert judge(checks.test_vpc_connector_attached, WORKER, spec, _connector(inv, path)).status == "pass"


def test_connector_project_number_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    path = f"projects/902374518826/locations/us-central1/connectors/{CONNECTOR}"
    verdict = judge(checks.test_vpc_connector_attached, WORKER, spec, _connector(inv, path))
    assert verdict.status == "error" and "project number 902374518826" in verdict.reason


def test_knative_annotation_full_path_is_kept_for_comparison() -> None:
    path = f"projects/mobiusos-staging/locations/us-central1/connectors/{CONNECTOR}"
    doc = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": WORKER, "labels": {"cloud.googleapis.com/location": "us-central1"}},
        "spec": {"template": {"metadata": {"annotations": {"run.googleapis.com/vpc-access-connector": path}}}},
    }
    service = service_from_knative(doc, project="mobiusos-new")
    assert (service.vpc_connector, service.vpc_connector_path) == (CONNECTOR, path)
    doc["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/vpc-access-connector"] = CONNECTOR
    short = service_from_knative(doc, project="mobiusos-new")
    assert short.vpc_connector_path == f"projects/mobiusos-new/locations/us-central1/connectors/{CONNECTOR}"


# --------------------------------------------------------------------------- invoker IAM check off


def test_private_service_with_invoker_iam_check_off_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-dbt-ui", invoker_iam_disabled=True)
    verdict = judge(checks.test_ingress, "mobius-dbt-ui", spec, inv)
    assert verdict.status == "fail" and "publicly invocable" in verdict.reason
    assert verdict.fix == f"gcloud run services update mobius-dbt-ui --invoker-iam-check {TAIL}"
    assert steps(verdict)[0]["params"] == {"invoker_iam_check": True}
    assert (
        judge(
            checks.test_ingress, "mobius-dbt-ui", spec, with_service(inv, "mobius-dbt-ui", invoker_iam_disabled=False)
        ).status
        == "pass"
    )


def test_public_service_with_invoker_iam_check_off_is_public(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "module-hub", invoker_iam_disabled=True, invoker_members=[])
    verdict = judge(checks.test_ingress, "module-hub", spec, inv)
    assert verdict.status == "pass" and "invoker IAM check off" in verdict.reason


def test_private_service_with_unknown_invoker_iam_check_is_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-dbt-ui", invoker_iam_disabled=None)
    assert judge(checks.test_ingress, "mobius-dbt-ui", spec, inv).status == "error"


def test_invoker_iam_disabled_read_from_v2_and_knative() -> None:
    base = {"name": "projects/p/locations/us-central1/services/s", "template": {"containers": [{"image": "i"}]}}
    assert service_from_v2({**base, "invokerIamDisabled": True}).invoker_iam_disabled is True
    assert service_from_v2(base).invoker_iam_disabled is False  # proto3 JSON omits false
    doc: dict[str, Any] = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "s"}}
    assert service_from_knative(doc).invoker_iam_disabled is False
    doc["metadata"]["annotations"] = {"run.googleapis.com/invoker-iam-disabled": "true"}
    assert service_from_knative(doc).invoker_iam_disabled is True


# --------------------------------------------------------------------------- DB-INSTANCE, SVC-CLOUDSQL


def test_cloud_sql_instance_conformant_passes(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(checks.test_cloudsql_instance, DB, spec, inv)
    assert verdict.status == "pass" and verdict.reason == "RUNNABLE in us-central1"


def test_absent_instance_fails_with_a_manual_create(spec: Checklist, inv: Inventory) -> None:
    inv = without(inv, "sql_instances", DB)
    verdict = judge(checks.test_cloudsql_instance, DB, spec, inv)
    assert verdict.status == "fail" and verdict.requirement == "DB-INSTANCE"
    fix = Fix.from_json(verdict.details["fix"])
    assert [s.operation for s in fix.steps] == ["sql.instances.list", "sql.instances.create"]
    assert fix.steps[1].operation in MANUAL and fix.needs_input == ["<database-version>", "<tier>"]
    assert fix.steps[1].params["region"] == "us-central1"
    assert "never created automatically" in (fix.note or "")
    for service in (API, WORKER, "mobius-rag", "mobius-rag-chunking-worker", "mobius-rag-embedding-worker"):
        attached = judge(checks.test_cloudsql_attached, service, spec, inv)
        assert attached.status == "fail" and "does not exist" in attached.reason, attached.message()
    assert (
        judge(checks.test_cloudsql_attached, API, spec, with_section(inv, "sql_instances", "not_collected")).status
        == "pass"
    )
    unreadable = with_section(inv, "sql_instances", "unavailable", "403 cloudsql.instances.list denied")
    assert judge(checks.test_cloudsql_attached, API, spec, unreadable).status == "error"
    assert judge(checks.test_cloudsql_instance, DB, spec, unreadable).status == "error"


def test_instance_behind_a_disabled_api_fails_with_enable_first(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "sql_instances", "disabled", "sqladmin.googleapis.com is disabled in project mobiusos-new")
    verdict = judge(checks.test_cloudsql_instance, DB, spec, inv)
    assert verdict.status == "fail" and "sqladmin.googleapis.com is disabled" in verdict.reason
    assert steps(verdict)[0]["operation"] == "services.enable"


@pytest.mark.parametrize(
    ("fields", "operations", "words"),
    [
        ({"state": "SUSPENDED"}, ["sql.instances.describe"], "suspended by Google"),
        ({"state": "MAINTENANCE"}, ["sql.instances.describe"], "wait until it is RUNNABLE"),
        ({"state": "FAILED"}, ["sql.instances.describe"], "restore from a backup"),
        ({"activation_policy": "NEVER"}, ["sql.instances.activate"], "--activation-policy=ALWAYS"),
        ({"region": "europe-west1"}, [], "cannot move region"),
    ],
)
def test_instance_not_serving_fails(
    spec: Checklist, inv: Inventory, fields: dict[str, str], operations: list[str], words: str
) -> None:
    verdict = judge(checks.test_cloudsql_instance, DB, spec, with_sql(inv, **fields))
    assert verdict.status == "fail", verdict.message()
    assert words in (verdict.fix or "")
    found = [s["operation"] for s in steps(verdict)] if "fix" in verdict.details else []
    assert found == operations
    assert all(s["target"] == DB for s in (steps(verdict) if operations else []))


def test_instance_state_unknown_is_an_error(spec: Checklist, inv: Inventory) -> None:
    assert judge(checks.test_cloudsql_instance, DB, spec, with_sql(inv, state=None)).status == "error"


def test_sql_wire_carries_region_and_activation_policy() -> None:
    inst = sql_from_wire(
        {"name": DB, "region": "us-central1", "state": "RUNNABLE", "settings": {"activationPolicy": "NEVER"}}
    )
    assert (inst.region, inst.activation_policy) == ("us-central1", "NEVER")


# --------------------------------------------------------------------------- REDIS_URL database index


def test_redis_url_other_database_fails_on_that_service(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, API, "REDIS_URL", f"redis://{REDIS_HOST}:6379/1")
    verdict = judge(checks.test_redis_url_points_at_instance, API, spec, inv)
    assert verdict.status == "fail" and "selects database 1, not 0" in verdict.reason
    assert verdict.expected == f"redis://{REDIS_HOST}:6379/0" and verdict.actual == f"redis://{REDIS_HOST}:6379/1"
    assert steps(verdict) == [
        {
            "operation": "run.update",
            "target": API,
            "project": "mobiusos-new",
            "region": "us-central1",
            "params": {"update_env_vars": {"REDIS_URL": f"redis://{REDIS_HOST}:6379/0"}},
        }
    ]
    assert judge(checks.test_redis_url_points_at_instance, WORKER, spec, inv).status == "pass"


def test_redis_shared_fix_targets_the_deviating_service(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, API, "REDIS_URL", f"redis://{REDIS_HOST}:6379/1")
    verdict = judge(checks.test_redis_shared, (API, WORKER), spec, inv)
    assert verdict.status == "fail" and "database 1 vs 0" in (verdict.actual or "")
    assert [s["target"] for s in steps(verdict)] == [API]
    assert steps(verdict)[0]["params"]["update_env_vars"] == {"REDIS_URL": f"redis://{REDIS_HOST}:6379/0"}


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (f"redis://{REDIS_HOST}:6379", "pass"),  # no index: database 0 in redis-py
        (f"redis://{REDIS_HOST}:6379/", "pass"),
        (f"redis://{REDIS_HOST}:6379/0?db=2", "fail"),  # the query wins in redis-py
        (f"redis://{REDIS_HOST}:6379/main", "fail"),
        (f"rediss://{REDIS_HOST}:6379/0", "fail"),  # the checklist's instance has no TLS
    ],
)
def test_redis_url_forms(spec: Checklist, inv: Inventory, value: str, status: str) -> None:
    verdict = judge(checks.test_redis_url_points_at_instance, API, spec, with_env(inv, API, "REDIS_URL", value))
    assert verdict.status == status, verdict.message()


def test_redis_url_without_index_is_the_same_queue(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, API, "REDIS_URL", f"redis://{REDIS_HOST}:6379")
    assert judge(checks.test_redis_shared, (API, WORKER), spec, inv).status == "pass"


def test_tls_instance_expects_rediss(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, transit_encryption_mode="SERVER_AUTHENTICATION")
    plain = judge(checks.test_redis_url_points_at_instance, API, spec, inv)
    assert plain.status == "fail" and plain.expected == f"rediss://{REDIS_HOST}:6379/0"
    tls = with_env(inv, API, "REDIS_URL", f"rediss://{REDIS_HOST}:6379/0")
    assert judge(checks.test_redis_url_points_at_instance, API, spec, tls).status == "pass"
