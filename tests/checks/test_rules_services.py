"""Phase 3 rules on crafted inventories: pass, fail, error and not-applicable cases."""

from __future__ import annotations

from typing import Any

import pytest

from mobius_gate.inventory import EnvVar, Inventory, TrafficTarget
from mobius_gate.spec import Checklist
from tests.checks.factory import CHECKS as p3
from tests.checks.factory import (
    LEAKY_DSN,
    LEAKY_PASSWORD,
    REDIS_HOST,
    conformant,
    judge,
    resolved_spec,
    with_env,
    with_section,
    with_service,
    without,
    without_env,
)

TAIL = "--region=us-central1 --project=mobiusos-new"
SPEC = resolved_spec()


def _all_subjects() -> list[tuple[Any, str, Any]]:
    """(test function, id, subject) for every Phase 3 check of the resolved checklist."""
    out = []
    for name in dir(p3):
        fn = getattr(p3, name)
        bound = getattr(fn, "mobius_rule", None)
        if bound is not None and bound.requirement.phase == "services":
            out += [(fn, ident, subject) for ident, subject in bound.subjects(SPEC)]
    return out


ALL = _all_subjects()


@pytest.mark.parametrize(("fn", "ident", "subject"), ALL, ids=[f"{f.__name__}[{i}]" for f, i, _ in ALL])
def test_every_service_check_passes_on_a_conformant_project(fn: Any, ident: str, subject: Any) -> None:
    verdict = judge(fn, subject, SPEC, conformant(SPEC))
    assert verdict.status == "pass", verdict.message()


@pytest.mark.parametrize(
    ("fn", "ident", "subject"),
    [c for c in ALL if c[0] is not p3.test_service_deployed],
    ids=[f"{f.__name__}[{i}]" for f, i, _ in ALL if f is not p3.test_service_deployed],
)
def test_every_check_of_an_undeployed_service_is_not_applicable(fn: Any, ident: str, subject: Any) -> None:
    name = (subject[0] if isinstance(subject, tuple) else subject).name
    inv = without(conformant(SPEC), "services", name)
    verdict = judge(fn, subject, SPEC, inv)
    assert verdict.status == "na"
    assert "not deployed (see SVC-DEPLOYED)" in verdict.reason


def test_unreadable_services_make_every_check_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "services", "unavailable", "403 run.services.list denied")
    for fn, _, subject in ALL:
        verdict = judge(fn, subject, spec, inv)
        assert verdict.status == "error", verdict.message()
        assert "403 run.services.list denied" in verdict.reason


def test_subjects_follow_the_resolved_checklist(spec: Checklist) -> None:
    ids = {f"{fn.__name__}[{ident}]" for fn, ident, _ in ALL}
    assert "test_cpu_always_allocated[mobius-chat-worker]" in ids
    assert "test_cpu_always_allocated[mobius-skills-scraper]" in ids
    assert "test_cpu_always_allocated[mobius-chat-api]" not in ids
    assert "test_max_instances[mobius-rag-embedding-worker]" in ids
    assert "test_max_instances[mobius-rag]" not in ids
    assert "test_request_timeout[mobius-skills-scraper-worker]" in ids
    assert "test_vpc_connector_attached[mobius-rag]" in ids
    assert "test_vpc_connector_attached[module-hub]" not in ids
    assert "test_worker_command[mobius-chat-worker]" in ids
    assert "test_worker_command[mobius-rag-chunking-worker]" not in ids
    assert "test_ingress[mobius-dbt-ui]" in ids
    assert "test_ingress[mobius-rag-chunking-worker]" not in ids
    assert "test_env_value[mobius-chat-worker:QUEUE_TYPE]" in ids
    assert "test_env_value[mobius-chat-worker:REDIS_URL]" in ids
    assert "test_secret_reference[mobius-dbt-ui:POSTGRES_PASSWORD]" in ids
    assert "test_cloudsql_attached[mobius-skills-scraper]" not in ids
    assert {i for f, i, _ in ALL if f is p3.test_redis_shared} == {
        "mobius-chat-api+mobius-chat-worker",
        "mobius-skills-scraper+mobius-skills-scraper-worker",
        "mobius-rag+mobius-rag-chunking-worker",
        "mobius-rag+mobius-rag-embedding-worker",
    }
    assert len([1 for f, _, _ in ALL if f is p3.test_service_deployed]) == len(spec.services) == 10


# --------------------------------------------------------------------------- SVC-DEPLOYED / SVC-READY


def test_missing_service_fails_with_the_deploy_command(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(
        p3.test_service_deployed, "mobius-chat-worker", spec, without(inv, "services", "mobius-chat-worker")
    )
    assert verdict.status == "fail"
    message = verdict.message()
    assert message.startswith("[SVC-DEPLOYED] mobius-chat-worker: not deployed.")
    assert "gcloud run deploy mobius-chat-worker --image=gcr.io/mobiusos-new/mobius-chat-api:latest" in message
    assert f"REDIS_URL=redis://{REDIS_HOST}:6379/0" in message
    assert "3.2 Mobius Chat Worker" in message


def test_cloud_run_disabled_fails_naming_the_cause(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "services", "disabled", "run.googleapis.com is disabled in project mobiusos-new")
    verdict = judge(p3.test_service_deployed, "module-hub", spec, inv)
    assert verdict.status == "fail"
    assert "not deployed (run.googleapis.com is disabled in project mobiusos-new)" in verdict.reason
    assert (verdict.fix or "").startswith("gcloud services enable run.googleapis.com")
    assert judge(p3.test_cpu_always_allocated, "mobius-chat-worker", spec, inv).status == "na"


def test_failed_latest_revision_fails_ready(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(
        inv,
        "mobius-chat-worker",
        latest_created_revision="mobius-chat-worker-00004-new",
        ready=False,
        ready_message="Container failed to start and listen on PORT=8080",
    )
    verdict = judge(p3.test_service_ready, "mobius-chat-worker", spec, inv)
    assert verdict.status == "fail"
    assert "latest revision, Ready condition differ" in verdict.reason
    assert "Container failed to start" in (verdict.actual or "")
    assert "gcloud run revisions describe mobius-chat-worker-00004-new" in (verdict.fix or "")


def test_traffic_pinned_to_an_old_revision_fails_ready(spec: Checklist, inv: Inventory) -> None:
    traffic = [TrafficTarget(revision="mobius-rag-00001-old", percent=100)]
    verdict = judge(p3.test_service_ready, "mobius-rag", spec, with_service(inv, "mobius-rag", traffic=traffic))
    assert verdict.status == "fail"
    assert "0% (mobius-rag-00001-old=100%)" in (verdict.actual or "")
    assert verdict.fix == f"gcloud run services update-traffic mobius-rag --to-latest {TAIL}"


def test_traffic_to_the_ready_revision_by_name_passes(spec: Checklist, inv: Inventory) -> None:
    traffic = [TrafficTarget(revision="mobius-rag-00003-xyz", percent=100)]
    assert judge(
        p3.test_service_ready, "mobius-rag", spec, with_service(inv, "mobius-rag", traffic=traffic)
    ).status == ("pass")


@pytest.mark.parametrize(
    "fields", [{"ready": None}, {"latest_ready_revision": None}, {"traffic": []}, {"latest_created_revision": None}]
)
def test_ready_unknowns_are_errors(spec: Checklist, inv: Inventory, fields: dict[str, Any]) -> None:
    verdict = judge(p3.test_service_ready, "mobius-rag", spec, with_service(inv, "mobius-rag", **fields))
    assert verdict.status == "error"
    assert "field absent" in verdict.reason


# --------------------------------------------------------------------------- image, account


def test_image_and_account(spec: Checklist, inv: Inventory) -> None:
    pinned = with_service(inv, "module-hub", image="gcr.io/mobiusos-new/module-hub:latest@sha256:" + "a" * 64)
    assert judge(p3.test_service_image, "module-hub", spec, pinned).status == "pass"
    staging = with_service(inv, "module-hub", image="gcr.io/mobiusos-staging/module-hub:latest")
    verdict = judge(p3.test_service_image, "module-hub", spec, staging)
    assert verdict.status == "fail"
    assert verdict.fix == f"gcloud run services update module-hub --image=gcr.io/mobiusos-new/module-hub:latest {TAIL}"
    assert judge(p3.test_service_image, "module-hub", spec, with_service(inv, "module-hub", image=None)).status == (
        "error"
    )
    other = with_service(inv, "mobius-rag", service_account="123-compute@developer.gserviceaccount.com")
    verdict = judge(p3.test_service_account, "mobius-rag", spec, other)
    assert verdict.status == "fail"
    assert "--service-account=mobius-platform@mobiusos-new.iam.gserviceaccount.com" in (verdict.fix or "")
    unknown = with_service(inv, "mobius-rag", service_account=None)
    assert judge(p3.test_service_account, "mobius-rag", spec, unknown).status == "error"


# --------------------------------------------------------------------------- CPU, scaling, timeout


def test_cpu_throttled_worker_fails_with_the_fix(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-chat-worker", cpu_always_allocated=False)
    verdict = judge(p3.test_cpu_always_allocated, "mobius-chat-worker", spec, inv)
    assert verdict.status == "fail"
    message = verdict.message()
    assert message.startswith("[SVC-CPU-ALWAYS] mobius-chat-worker: CPU is throttled")
    assert f"Fix: gcloud run services update mobius-chat-worker --no-cpu-throttling {TAIL}" in message
    assert "Critical Configuration Lessons from Staging" in message


def test_cpu_throttling_unknown_is_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-skills-scraper", cpu_always_allocated=None)
    verdict = judge(p3.test_cpu_always_allocated, "mobius-skills-scraper", spec, inv)
    assert verdict.status == "error"
    assert "cannot confirm CPU allocation: the Cloud Run v2 view omits cpuIdle" in verdict.reason
    assert "--format=export" in (verdict.fix or "")


@pytest.mark.parametrize(
    ("fn", "field", "good", "bad", "flag"),
    [
        (p3.test_min_instances, "min_instances", 3, 0, "--min-instances=1"),
        (p3.test_max_instances, "max_instances", 1, 5, "--max-instances=1"),
        (p3.test_request_timeout, "timeout_seconds", 3600, 300, "--timeout=3600"),
    ],
)
def test_scaling_settings(spec: Checklist, inv: Inventory, fn: Any, field: str, good: int, bad: int, flag: str) -> None:
    name = "mobius-rag-chunking-worker"
    assert judge(fn, name, spec, with_service(inv, name, **{field: good})).status == "pass"
    verdict = judge(fn, name, spec, with_service(inv, name, **{field: bad}))
    assert verdict.status == "fail"
    assert verdict.fix == f"gcloud run services update {name} {flag} {TAIL}"
    assert str(bad) in (verdict.actual or "")
    assert judge(fn, name, spec, with_service(inv, name, **{field: None})).status == "error"


# --------------------------------------------------------------------------- VPC access


def test_missing_connector_and_egress(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-skills-scraper", vpc_connector=None, vpc_egress=None)
    fix = (
        "gcloud run services update mobius-skills-scraper --vpc-connector=mobius-redis-connector"
        f" --vpc-egress=private-ranges-only {TAIL}"
    )
    connector = judge(p3.test_vpc_connector_attached, "mobius-skills-scraper", spec, inv)
    assert connector.status == "fail" and connector.actual == "no VPC connector" and connector.fix == fix
    egress = judge(p3.test_vpc_egress, "mobius-skills-scraper", spec, inv)
    assert egress.status == "fail" and egress.fix == fix


def test_wrong_connector_or_egress(spec: Checklist, inv: Inventory) -> None:
    other = with_service(inv, "mobius-rag", vpc_connector="staging-connector")
    assert judge(p3.test_vpc_connector_attached, "mobius-rag", spec, other).actual == "staging-connector"
    all_traffic = with_service(inv, "mobius-rag", vpc_egress="all-traffic")
    verdict = judge(p3.test_vpc_egress, "mobius-rag", spec, all_traffic)
    assert verdict.status == "fail" and verdict.actual == "all-traffic"


# --------------------------------------------------------------------------- SVC-ENV


def test_exact_env_value_mismatch(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "QUEUE_TYPE", "memory")
    verdict = judge(p3.test_env_value, ("mobius-chat-worker", "QUEUE_TYPE"), spec, inv)
    assert verdict.status == "fail"
    assert verdict.message().startswith("[SVC-ENV] mobius-chat-worker: QUEUE_TYPE is 'memory', not 'redis'")
    assert verdict.fix == f"gcloud run services update mobius-chat-worker --update-env-vars=QUEUE_TYPE=redis {TAIL}"


def test_unset_env_value(spec: Checklist, inv: Inventory) -> None:
    inv = without_env(inv, "mobius-rag-embedding-worker", "WORKER_TYPE")
    verdict = judge(p3.test_env_value, ("mobius-rag-embedding-worker", "WORKER_TYPE"), spec, inv)
    assert verdict.status == "fail" and verdict.actual == "unset"
    assert "--update-env-vars=WORKER_TYPE=embedding" in (verdict.fix or "")


@pytest.mark.parametrize(
    "value", ["<prod-endpoint-id>", "...", "$PROD_PROJECT", "postgresql://...", "", "   ", "${VERTEX_ENDPOINT}", "TODO"]
)
def test_present_rejects_template_leftovers(spec: Checklist, inv: Inventory, value: str) -> None:
    inv = with_env(inv, "mobius-chat-worker", "VERTEX_INDEX_ENDPOINT_ID", value)
    verdict = judge(p3.test_env_value, ("mobius-chat-worker", "VERTEX_INDEX_ENDPOINT_ID"), spec, inv)
    assert verdict.status == "fail", verdict.message()
    assert "--update-env-vars='VERTEX_INDEX_ENDPOINT_ID=<vertex-index-endpoint-id>'" in (verdict.fix or "")


def test_present_accepts_a_real_value_with_a_dollar_in_its_password(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "CHAT_RAG_DATABASE_URL", "postgresql://u:Pa$SWORD@10.0.0.5/mobius_chat")
    verdict = judge(p3.test_env_value, ("mobius-chat-api", "CHAT_RAG_DATABASE_URL"), spec, inv)
    assert verdict.status == "pass"


def test_present_via_secret_counts_as_set(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "CHAT_RAG_DATABASE_URL", secret="chat-db-url:latest")
    assert judge(p3.test_env_value, ("mobius-chat-api", "CHAT_RAG_DATABASE_URL"), spec, inv).status == "pass"


def test_exact_value_via_secret_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "QUEUE_TYPE", secret="queue-type:latest")
    verdict = judge(p3.test_env_value, ("mobius-chat-api", "QUEUE_TYPE"), spec, inv)
    assert verdict.status == "error" and "never read" in verdict.reason
    assert verdict.fix == (
        "gcloud run services update mobius-chat-api --remove-secrets=QUEUE_TYPE "
        "--region=us-central1 --project=mobiusos-new && "
        "gcloud run services update mobius-chat-api --update-env-vars=QUEUE_TYPE=redis "
        "--region=us-central1 --project=mobiusos-new "
        "(the gate never reads secret values; 'redis' is no credential, so set it plainly)"
    )


def test_redis_url_token_only_requires_a_real_value(spec: Checklist, inv: Inventory) -> None:
    elsewhere = with_env(inv, "mobius-rag", "REDIS_URL", "redis://10.9.9.9:6379/0")
    assert judge(p3.test_env_value, ("mobius-rag", "REDIS_URL"), spec, elsewhere).status == "pass"
    leftover = with_env(inv, "mobius-rag", "REDIS_URL", "redis://<REDIS_IP>:6379/0")
    verdict = judge(p3.test_env_value, ("mobius-rag", "REDIS_URL"), spec, leftover)
    assert verdict.status == "fail"
    assert f"--update-env-vars=REDIS_URL=redis://{REDIS_HOST}:6379/0" in (verdict.fix or "")


def test_env_messages_never_show_a_dsn_password(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "CHAT_RAG_DATABASE_URL", LEAKY_DSN + "/<db>")
    verdict = judge(p3.test_env_value, ("mobius-chat-api", "CHAT_RAG_DATABASE_URL"), spec, inv)
    assert verdict.status == "fail"
    assert "34.123.45.67:5432" in (verdict.actual or "")
    assert LEAKY_PASSWORD not in verdict.message()


# --------------------------------------------------------------------------- SVC-REDIS-SHARED


PAIR = ("mobius-chat-api", "mobius-chat-worker")


def test_pair_with_different_redis_urls_fails_without_values(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "REDIS_URL", "redis://:hunter2-redis-pw@10.9.9.9:6379/0")
    verdict = judge(p3.test_redis_shared, PAIR, spec, inv)
    assert verdict.status == "fail"
    message = verdict.message()
    assert message.startswith("[SVC-REDIS-SHARED] mobius-chat-api+mobius-chat-worker:")
    assert f"differ: mobius-chat-api={REDIS_HOST}:6379, mobius-chat-worker=10.9.9.9:6379" in message
    assert (
        f"gcloud run services update mobius-chat-worker --update-env-vars=REDIS_URL=redis://{REDIS_HOST}:6379/0"
        in message
    )
    assert "mobius-chat-api --update-env-vars" not in message


def test_pair_same_host_other_credentials_says_so(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "REDIS_URL", f"redis://:hunter2-redis-pw@{REDIS_HOST}:6379/0")
    verdict = judge(p3.test_redis_shared, PAIR, spec, inv)
    assert verdict.status == "fail"
    assert "same host:port; credentials differ" in (verdict.actual or "")


def test_pair_queue_type_must_match(spec: Checklist, inv: Inventory) -> None:
    inv = without_env(inv, "mobius-chat-worker", "QUEUE_TYPE")
    verdict = judge(p3.test_redis_shared, PAIR, spec, inv)
    assert verdict.status == "fail"
    assert "mobius-chat-worker=unset" in (verdict.actual or "")
    assert "--update-env-vars=QUEUE_TYPE=redis" in (verdict.fix or "")


def test_pair_secret_urls(spec: Checklist, inv: Inventory) -> None:
    both = with_env(
        with_env(inv, "mobius-rag", "REDIS_URL", secret="redis-url:latest"),
        "mobius-rag-chunking-worker",
        "REDIS_URL",
        secret="redis-url:latest",
    )
    pair = ("mobius-rag", "mobius-rag-chunking-worker")
    assert judge(p3.test_redis_shared, pair, spec, both).status == "pass"
    one = with_env(inv, "mobius-rag", "REDIS_URL", secret="redis-url:latest")
    assert judge(p3.test_redis_shared, pair, spec, one).status == "error"


def test_pair_with_an_undeployed_partner_is_not_applicable(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p3.test_redis_shared, PAIR, spec, without(inv, "services", "mobius-chat-worker"))
    assert verdict.status == "na" and "mobius-chat-worker not deployed" in verdict.reason


# --------------------------------------------------------------------------- SVC-SECRET-REF


def test_plain_secret_value_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "JWT_SECRET", "jwt-plain-value-123")
    verdict = judge(p3.test_secret_reference, ("mobius-chat-api", "JWT_SECRET"), spec, inv)
    assert verdict.status == "fail"
    assert verdict.actual == "plain value (masked)"
    assert verdict.fix == (
        f"gcloud run services update mobius-chat-api --remove-env-vars=JWT_SECRET {TAIL} && "
        f"gcloud run services update mobius-chat-api --update-secrets=JWT_SECRET=jwt-secret:latest {TAIL}"
    )


def test_wrong_or_missing_secret_reference(spec: Checklist, inv: Inventory) -> None:
    wrong = with_env(inv, "mobius-dbt-ui", "POSTGRES_PASSWORD", secret="db-password-staging:3")
    verdict = judge(p3.test_secret_reference, ("mobius-dbt-ui", "POSTGRES_PASSWORD"), spec, wrong)
    assert verdict.status == "fail"
    assert (verdict.expected, verdict.actual) == ("db-password-mobius-rag:latest", "db-password-staging:3")
    unset = without_env(inv, "mobius-dbt-ui", "POSTGRES_PASSWORD")
    verdict = judge(p3.test_secret_reference, ("mobius-dbt-ui", "POSTGRES_PASSWORD"), spec, unset)
    assert verdict.status == "fail" and verdict.actual == "unset"
    assert "--remove-env-vars" not in (verdict.fix or "")


# --------------------------------------------------------------------------- SVC-CLOUDSQL


def test_cloudsql_not_attached(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-rag-embedding-worker", cloudsql_instances=[])
    verdict = judge(p3.test_cloudsql_attached, "mobius-rag-embedding-worker", spec, inv)
    assert verdict.status == "fail" and verdict.actual == "[]"
    assert verdict.fix == (
        "gcloud run services update mobius-rag-embedding-worker "
        f"--add-cloudsql-instances=mobiusos-new:us-central1:mobius-platform-db {TAIL}"
    )


# --------------------------------------------------------------------------- SVC-INGRESS


def test_public_service_without_all_users_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-chat-api", invoker_members=[], ingress="internal")
    verdict = judge(p3.test_ingress, "mobius-chat-api", spec, inv)
    assert verdict.status == "fail"
    fix = verdict.fix or ""
    assert (
        f"gcloud run services add-iam-policy-binding mobius-chat-api --member=allUsers --role=roles/run.invoker {TAIL}"
        in fix
    )
    assert f"gcloud run services update mobius-chat-api --ingress=all {TAIL}" in fix


def test_private_service_open_to_all_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-dbt-ui", invoker_members=["allAuthenticatedUsers", "user:ops@example.com"])
    verdict = judge(p3.test_ingress, "mobius-dbt-ui", spec, inv)
    assert verdict.status == "fail"
    assert "publicly invocable" in verdict.reason
    assert "remove-iam-policy-binding mobius-dbt-ui --member=allAuthenticatedUsers" in (verdict.fix or "")


def test_iam_policy_not_read_is_an_error(spec: Checklist, inv: Inventory) -> None:
    for name in ("mobius-dbt-ui", "module-hub"):
        verdict = judge(p3.test_ingress, name, spec, with_service(inv, name, invoker_members=None))
        assert verdict.status == "error" and "IAM policy not read" in verdict.reason


def test_public_service_with_unknown_ingress_is_an_error(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p3.test_ingress, "module-hub", spec, with_service(inv, "module-hub", ingress=None))
    assert verdict.status == "error"


# --------------------------------------------------------------------------- SVC-COMMAND


def test_worker_without_command_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-chat-worker", command=[], args=[])
    verdict = judge(p3.test_worker_command, "mobius-chat-worker", spec, inv)
    assert verdict.status == "fail"
    assert verdict.fix == (
        "gcloud run services update mobius-chat-worker --command=python "
        f"--args=-m,uvicorn,app.worker_server:app,--host,0.0.0.0,--port,8080 {TAIL}"
    )


def test_worker_running_the_api_fails(spec: Checklist, inv: Inventory) -> None:
    args = ["app.main:app", "--host", "0.0.0.0", "--port", "8080"]
    inv = with_service(inv, "mobius-skills-scraper-worker", args=args)
    verdict = judge(p3.test_worker_command, "mobius-skills-scraper-worker", spec, inv)
    assert verdict.status == "fail"
    assert "app.main:app" in (verdict.actual or "")


# --------------------------------------------------------------------------- SVC-PLAINTEXT-CREDS


def test_plaintext_dsn_is_flagged_without_showing_it(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "CHAT_RAG_DATABASE_URL", LEAKY_DSN)
    verdict = judge(p3.test_no_plaintext_credentials, "mobius-chat-api", spec, inv)
    assert verdict.status == "fail"
    assert "CHAT_RAG_DATABASE_URL (URL with user:password@)" in verdict.reason
    fix = verdict.fix or ""
    assert "gcloud secrets create mobius-chat-api-chat-rag-database-url" in fix
    assert "--update-secrets=CHAT_RAG_DATABASE_URL=mobius-chat-api-chat-rag-database-url:latest" in fix


def test_plaintext_secret_named_values_are_flagged(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(
        inv,
        "module-hub",
        env=[*inv.service("module-hub").env, EnvVar(name="GITHUB_TOKEN", value="ya29.tokenvalue")],  # type: ignore[union-attr]
    )
    verdict = judge(p3.test_no_plaintext_credentials, "module-hub", spec, inv)
    assert verdict.status == "fail"
    assert "GITHUB_TOKEN (secret-looking name with a plain value)" in verdict.reason


def test_plaintext_jwt_secret_points_at_the_checklist_secret(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "JWT_SECRET", "jwt-plain-value-123")
    verdict = judge(p3.test_no_plaintext_credentials, "mobius-chat-worker", spec, inv)
    assert verdict.status == "fail"
    assert "gcloud secrets create" not in (verdict.fix or "")
    assert "--update-secrets=JWT_SECRET=jwt-secret:latest" in (verdict.fix or "")


def test_urls_without_passwords_are_not_credentials(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p3.test_no_plaintext_credentials, "mobius-chat-api", spec, inv)
    assert verdict.status == "pass"


def test_snapshot_without_runtime_state_is_not_applicable(spec: Checklist, inv: Inventory) -> None:
    blank = {"latest_created_revision": None, "latest_ready_revision": None, "ready": None, "invoker_members": None}
    snapshot = with_service(inv, "module-hub", **blank).model_copy(update={"source": "snapshot:exports"})
    assert judge(p3.test_service_ready, "module-hub", spec, snapshot).status == "na"
    assert judge(p3.test_ingress, "module-hub", spec, snapshot).status == "na"
    live = with_service(inv, "module-hub", **blank)
    assert judge(p3.test_service_ready, "module-hub", spec, live).status == "error"
    assert judge(p3.test_ingress, "module-hub", spec, live).status == "error"


def test_min_instances_zero_is_no_requirement(spec: Checklist) -> None:
    """A check that cannot fail is not generated: ``min_instances: 0`` holds for every service."""
    data = spec.model_dump()
    for svc in data["services"]:
        if svc["name"] == "mobius-os":
            svc["min_instances"] = 0
    zero = Checklist.model_validate(data)
    names = [n for n, _ in p3.test_min_instances.mobius_rule.subjects(zero)]
    assert "mobius-os" not in names
    assert "mobius-chat-worker" in names
