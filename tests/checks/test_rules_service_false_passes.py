"""Service shapes that used to pass wrongly (review-trust F2-F11), on crafted inventories.

Each case states the deviation, asserts the gate fails (or cannot confirm) on the right
requirement and resource, and that the fix names the deviating resource and the way back.
The same repros run end to end as bundled scenarios (worker-manual-scaling, secret-other-project,
public-dbt-ui-admin-role, default-url-disabled, env-leftovers, worker-duplicate-env).
"""

from __future__ import annotations

from typing import Any

import pytest

from mobius_gate.collect.normalize import public_grants, service_from_knative, service_from_v2
from mobius_gate.fixes import Fix
from mobius_gate.inventory import EnvVar, Inventory, SecretKeyRef
from mobius_gate.rules.values import leftover
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as checks
from tests.checks.factory import judge, with_env, with_service

TAIL = "--region=us-central1 --project=mobiusos-new"
API, WORKER, DBT, HUB = "mobius-chat-api", "mobius-chat-worker", "mobius-dbt-ui", "module-hub"


def steps(verdict: Verdict) -> list[dict[str, Any]]:
    return [s.to_dict() for s in Fix.from_json(verdict.details["fix"]).steps]


# --------------------------------------------------------------------------- F2 manual scaling


@pytest.mark.parametrize(
    ("count", "failing"), [(0, {"SVC-MIN-INSTANCES", "SVC-MAX-INSTANCES"}), (3, {"SVC-MAX-INSTANCES"})]
)
def test_manual_scaling_is_judged_on_its_instance_count(
    spec: Checklist, inv: Inventory, count: int, failing: set[str]
) -> None:
    inv = with_service(inv, WORKER, manual_instances=count, min_instances=count, max_instances=count)
    verdicts = [
        judge(checks.test_min_instances, WORKER, spec, inv),
        judge(checks.test_max_instances, WORKER, spec, inv),
    ]
    assert {v.requirement for v in verdicts if v.status == "fail"} == failing
    for verdict in (v for v in verdicts if v.status == "fail"):
        assert verdict.resource == WORKER and "manual instances" in verdict.message()
        assert f"gcloud run services update {WORKER} --scaling=auto --min-instances=1 --max-instances=1" in (
            verdict.fix or ""
        )


def test_v2_and_knative_manual_scaling_override_the_template() -> None:
    v2 = {
        "name": f"projects/mobiusos-new/locations/us-central1/services/{WORKER}",
        "scaling": {"scalingMode": "MANUAL"},  # manualInstanceCount 0 is omitted by proto3 JSON
        "template": {"scaling": {"minInstanceCount": 1, "maxInstanceCount": 1}, "containers": [{"image": "i"}]},
    }
    service = service_from_v2(v2)
    assert (service.manual_instances, service.min_instances, service.max_instances) == (0, 0, 0)
    knative = _knative({"run.googleapis.com/scalingMode": "manual", "run.googleapis.com/manualInstanceCount": "3"})
    service = service_from_knative(knative, project="mobiusos-new")
    assert (service.manual_instances, service.min_instances, service.max_instances) == (3, 3, 3)
    assert service_from_knative(_knative({}), project="mobiusos-new").manual_instances is None


# --------------------------------------------------------------------------- F3 another project's secret


def test_secret_of_another_project_fails(spec: Checklist, inv: Inventory) -> None:
    ref = SecretKeyRef(secret="jwt-secret", project="other-proj", same_project=False)
    inv = _with_ref(inv, WORKER, ref)
    verdict = judge(checks.test_secret_reference, (WORKER, "JWT_SECRET"), spec, inv)
    assert verdict.status == "fail" and verdict.resource == WORKER, verdict.message()
    assert "another project (other-proj)" in verdict.message()
    assert steps(verdict)[0]["params"] == {"update_secrets": {"JWT_SECRET": "jwt-secret:latest"}}


def test_secret_under_an_unmatched_project_number_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    inv = _with_ref(inv, WORKER, SecretKeyRef(secret="jwt-secret", project="999999999", same_project=None))
    verdict = judge(checks.test_secret_reference, (WORKER, "JWT_SECRET"), spec, inv)
    assert verdict.status == "error" and "cannot confirm" in verdict.message(), verdict.message()


@pytest.mark.parametrize(
    ("secret", "annotation", "same"),
    [
        ("jwt", "jwt:projects/999999999/secrets/jwt-secret", False),  # alias to another project's number
        ("projects/999999999/secrets/jwt-secret", None, False),
        ("projects/418277465010/secrets/jwt-secret", None, True),  # the namespace: this project
        ("jwt-secret", None, True),
    ],
)
def test_knative_secret_project_is_matched_with_the_namespace(secret: str, annotation: str | None, same: bool) -> None:
    doc = _knative({})
    if annotation:
        doc["spec"]["template"]["metadata"]["annotations"]["run.googleapis.com/secrets"] = annotation
    env = doc["spec"]["template"]["spec"]["containers"][0]["env"]
    env.append({"name": "JWT_SECRET", "valueFrom": {"secretKeyRef": {"name": secret, "key": "latest"}}})
    ref = service_from_knative(doc, project="mobiusos-new").env_value("JWT_SECRET").secret_ref
    assert ref is not None and ref.secret == "jwt-secret" and ref.same_project is same


# --------------------------------------------------------------------------- F5 public through another role


@pytest.mark.parametrize("role", ["roles/run.admin", "roles/run.servicesInvoker", "roles/run.developer"])
def test_public_member_on_any_invoking_role_makes_a_private_service_public(
    spec: Checklist, inv: Inventory, role: str
) -> None:
    inv = with_service(inv, DBT, public_grants={role: ["allUsers"]})
    verdict = judge(checks.test_ingress, DBT, spec, inv)
    assert verdict.status == "fail" and verdict.resource == DBT, verdict.message()
    assert f"allUsers {role}" in verdict.message()
    assert steps(verdict) == [
        {
            "operation": "run.iam.remove",
            "target": DBT,
            "project": "mobiusos-new",
            "region": "us-central1",
            "params": {"member": "allUsers", "role": role},
        }
    ]


def test_public_member_on_a_custom_role_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, DBT, public_grants={"projects/mobiusos-new/roles/caller": ["allAuthenticatedUsers"]})
    verdict = judge(checks.test_ingress, DBT, spec, inv)
    assert verdict.status == "error" and "custom role" in verdict.message(), verdict.message()


def test_public_grants_read_every_role_but_the_invoker_one() -> None:
    policy = {
        "bindings": [
            {"role": "roles/run.invoker", "members": ["allUsers"]},
            {"role": "roles/run.admin", "members": ["user:a@example.com", "allUsers"]},
            {"role": "roles/run.viewer", "members": ["user:b@example.com"]},
        ]
    }
    assert public_grants(policy) == {"roles/run.admin": ["allUsers"]}


# --------------------------------------------------------------------------- F6 default URL disabled


@pytest.mark.parametrize("name", [API, HUB])
def test_disabled_default_url_fails_a_public_service(spec: Checklist, inv: Inventory, name: str) -> None:
    verdict = judge(checks.test_ingress, name, spec, with_service(inv, name, default_uri_disabled=True))
    assert verdict.status == "fail" and verdict.resource == name, verdict.message()
    assert "default run.app URL is disabled" in verdict.message()
    assert verdict.fix == f"gcloud run services update {name} --default-url {TAIL}"


def test_disabled_default_url_is_fine_for_the_private_dbt_ui(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(checks.test_ingress, DBT, spec, with_service(inv, DBT, default_uri_disabled=True))
    assert verdict.status == "pass", verdict.message()


# --------------------------------------------------------------------------- F9 leftovers, F10 duplicates


@pytest.mark.parametrize(
    "value",
    [
        *("https://mobius-os-xxx.run.app", "{{ deployed_index_id }}", "null", "None", "undefined", "%ENDPOINT%"),
        *("postgresql://postgres@localhost:5432/mobius_chat", "http://127.0.0.1:8080"),
    ],
)
def test_leftovers_and_local_values_fail_present(spec: Checklist, inv: Inventory, value: str) -> None:
    inv = with_env(inv, HUB, "MOBIUS_OS_URL", value)
    verdict = judge(checks.test_env_value, (HUB, "MOBIUS_OS_URL"), spec, inv)
    assert verdict.status == "fail" and verdict.resource == HUB, verdict.message()
    assert steps(verdict)[0]["params"] == {"update_env_vars": {"MOBIUS_OS_URL": "<mobius-os-url>"}}


@pytest.mark.parametrize(
    "value",
    [
        *("https://mobius-os-abc123-uc.a.run.app", "4156820718563000320", "mobius_rag_v1"),
        *("postgresql://chat@/mobius_chat?host=/cloudsql/p:r:i", "https://box.example.com/xxxl"),
    ],
)
def test_real_values_are_no_leftovers(value: str) -> None:
    assert leftover(value) is None


def test_duplicate_env_entry_fails_naming_both_values(spec: Checklist, inv: Inventory) -> None:
    service = inv.service(WORKER)
    assert service is not None
    inv = with_service(inv, WORKER, env=[*service.env, EnvVar(name="QUEUE_TYPE", value="memory")])
    verdict = judge(checks.test_env_value, (WORKER, "QUEUE_TYPE"), spec, inv)
    assert verdict.status == "fail" and verdict.resource == WORKER, verdict.message()
    assert "QUEUE_TYPE is set twice ('redis', 'memory')" in verdict.message()
    assert steps(verdict)[0]["params"] == {"update_env_vars": {"QUEUE_TYPE": "redis"}}


def test_duplicate_secret_entry_fails(spec: Checklist, inv: Inventory) -> None:
    service = inv.service(WORKER)
    assert service is not None
    inv = with_service(inv, WORKER, env=[*service.env, EnvVar(name="JWT_SECRET", value="plain")])
    verdict = judge(checks.test_secret_reference, (WORKER, "JWT_SECRET"), spec, inv)
    assert verdict.status == "fail" and "twice" in verdict.message(), verdict.message()


# --------------------------------------------------------------------------- F11 snapshot, IAM check off


def test_snapshot_with_invoker_iam_check_off_fails_a_private_service(spec: Checklist, inv: Inventory) -> None:
    inv = inv.model_copy(update={"source": "snapshot:/tmp/x"})
    inv = with_service(inv, DBT, invoker_members=None, invoker_iam_disabled=True)
    verdict = judge(checks.test_ingress, DBT, spec, inv)
    assert verdict.status == "fail" and verdict.resource == DBT, verdict.message()
    assert verdict.fix == f"gcloud run services update {DBT} --invoker-iam-check {TAIL}"
    unchanged = with_service(inv, DBT, invoker_iam_disabled=False)
    assert judge(checks.test_ingress, DBT, spec, unchanged).status == "na"


# --------------------------------------------------------------------------- helpers


def _with_ref(inv: Inventory, service: str, ref: SecretKeyRef) -> Inventory:
    current = inv.service(service)
    assert current is not None
    env = [EnvVar(name=v.name, secret_ref=ref) if v.name == "JWT_SECRET" else v for v in current.env]
    return with_service(inv, service, env=env)


def _knative(service_annotations: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {
            "name": WORKER,
            "namespace": "418277465010",
            "labels": {"cloud.googleapis.com/location": "us-central1"},
            "annotations": dict(service_annotations),
        },
        "spec": {
            "template": {
                "metadata": {"annotations": {"autoscaling.knative.dev/minScale": "1"}},
                "spec": {"containers": [{"image": "i", "env": []}]},
            }
        },
    }
