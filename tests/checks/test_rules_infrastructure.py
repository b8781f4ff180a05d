"""Phase 1 rules on crafted inventories: pass, fail, error and not-applicable cases."""

from __future__ import annotations

from mobius_gate.inventory import Inventory, Secret, SecretKeyRef, SecretVersion, VpcConnector
from mobius_gate.spec import Checklist
from tests.checks.factory import CHECKS as p1
from tests.checks.factory import (
    REDIS_HOST,
    judge,
    with_connector,
    with_env,
    with_items,
    with_project_grant,
    with_redis,
    with_secret,
    with_section,
    with_service,
    without,
    without_env,
)

SA = "mobius-platform@mobiusos-new.iam.gserviceaccount.com"


# --------------------------------------------------------------------------- INF-API


def test_api_enabled_passes(spec: Checklist, inv: Inventory) -> None:
    assert judge(p1.test_api_enabled, "redis.googleapis.com", spec, inv).status == "pass"


def test_api_disabled_fails_with_the_enable_command(spec: Checklist, inv: Inventory) -> None:
    inv = inv.model_copy(update={"apis": inv.apis.model_copy(update={"items": ["run.googleapis.com"]})})
    verdict = judge(p1.test_api_enabled, "aiplatform.googleapis.com", spec, inv)
    assert verdict.status == "fail"
    message = verdict.message()
    assert message.startswith("[INF-API] aiplatform.googleapis.com: not enabled in project mobiusos-new.")
    assert "Fix: gcloud services enable aiplatform.googleapis.com --project=mobiusos-new" in message
    assert "1.1 Enable Required APIs" in message


def test_api_list_unreadable_is_an_error_not_a_pass(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "apis", "unavailable", "403 serviceusage.services.list denied")
    verdict = judge(p1.test_api_enabled, "redis.googleapis.com", spec, inv)
    assert verdict.status == "error"
    assert "403 serviceusage.services.list denied" in verdict.reason


def test_api_list_not_collected_is_not_applicable(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "apis", "not_collected", "snapshot has no API list")
    assert judge(p1.test_api_enabled, "redis.googleapis.com", spec, inv).status == "na"


# --------------------------------------------------------------------------- INF-REDIS


def test_redis_conformant_passes(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, inv)
    assert verdict.status == "pass", verdict.message()


def test_redis_api_disabled_fails_naming_the_cause(spec: Checklist, inv: Inventory) -> None:
    cause = "redis.googleapis.com is disabled in project mobiusos-new"
    inv = with_section(inv, "redis_instances", "disabled", cause)
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, inv)
    assert verdict.status == "fail"
    assert verdict.message().startswith(f"[INF-REDIS] mobius-redis: instance does not exist ({cause}).")
    assert verdict.fix is not None
    assert verdict.fix.startswith("gcloud services enable redis.googleapis.com --project=mobiusos-new && ")
    assert "gcloud redis instances create mobius-redis --region=us-central1 --project=mobiusos-new" in verdict.fix


def test_redis_missing_with_api_on_fails_with_create_only(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, without(inv, "redis_instances", "mobius-redis"))
    assert verdict.status == "fail"
    assert verdict.reason == "instance does not exist"
    assert verdict.fix is not None and verdict.fix.startswith("gcloud redis instances create mobius-redis")


def test_redis_lists_every_deviation(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, tier="STANDARD_HA", memory_size_gb=5, redis_version="REDIS_6_X")
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, inv)
    assert verdict.status == "fail"
    assert "tier, memory_size_gb, redis_version differ" in verdict.reason
    assert verdict.expected == "tier=BASIC; memory_size_gb=1; redis_version=REDIS_7_0"
    assert verdict.actual == "tier=STANDARD_HA; memory_size_gb=5; redis_version=REDIS_6_X"
    assert verdict.fix is not None and "gcloud redis instances delete mobius-redis" in verdict.fix


def test_redis_not_ready_fails(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, with_redis(inv, state="CREATING"))
    assert verdict.status == "fail"
    assert verdict.expected == "state=READY" and verdict.actual == "state=CREATING"


def test_redis_unknown_field_is_an_error(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_redis_instance, "mobius-redis", spec, with_redis(inv, connect_mode=None))
    assert verdict.status == "error"
    assert "cannot confirm connect_mode (field absent)" in verdict.reason


def test_redis_unavailable_is_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "redis_instances", "unavailable", "503 after 5 attempts")
    assert judge(p1.test_redis_instance, "mobius-redis", spec, inv).status == "error"


# --------------------------------------------------------------------------- INF-REDIS-URL


def test_redis_url_at_instance_passes(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-chat-worker", spec, inv)
    assert verdict.status == "pass"
    assert f"{REDIS_HOST}:6379" in verdict.reason


def test_redis_url_default_port_and_password_pass_without_leaking(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "REDIS_URL", f"redis://:hunter2-redis-pw@{REDIS_HOST}/0")
    assert judge(p1.test_redis_url_points_at_instance, "mobius-chat-worker", spec, inv).status == "pass"


def test_redis_url_elsewhere_fails_showing_only_host_port(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-api", "REDIS_URL", "redis://:hunter2-redis-pw@10.9.9.9:6379/0")
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-chat-api", spec, inv)
    assert verdict.status == "fail"
    assert verdict.expected == f"{REDIS_HOST}:6379" and verdict.actual == "10.9.9.9:6379"
    assert verdict.message().startswith("[INF-REDIS-URL] mobius-chat-api: REDIS_URL points at 10.9.9.9:6379")
    assert f"--update-env-vars=REDIS_URL=redis://{REDIS_HOST}:6379/0" in (verdict.fix or "")


def test_redis_url_template_leftover_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-rag", "REDIS_URL", "redis://<REDIS_IP>:6379/0")
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-rag", spec, inv)
    assert verdict.status == "fail"
    assert "not a redis://host:port URL" in verdict.reason


def test_redis_url_wrong_scheme_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-rag", "REDIS_URL", f"http://{REDIS_HOST}:6379/0")
    assert judge(p1.test_redis_url_points_at_instance, "mobius-rag", spec, inv).status == "fail"


def test_redis_url_without_instance_points_at_inf_redis(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "redis_instances", "disabled", "redis.googleapis.com is disabled")
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-chat-api", spec, inv)
    assert verdict.status == "na"
    assert "see INF-REDIS" in verdict.reason


def test_redis_url_not_applicable_cases(spec: Checklist, inv: Inventory) -> None:
    gone = without(inv, "services", "mobius-chat-api")
    assert judge(p1.test_redis_url_points_at_instance, "mobius-chat-api", spec, gone).reason == (
        "not deployed (see SVC-DEPLOYED)"
    )
    unset = without_env(inv, "mobius-chat-api", "REDIS_URL")
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-chat-api", spec, unset)
    assert verdict.status == "na" and "see SVC-ENV" in verdict.reason


def test_redis_url_unknowns_are_errors(spec: Checklist, inv: Inventory) -> None:
    no_host = with_redis(inv, host=None)
    assert judge(p1.test_redis_url_points_at_instance, "mobius-rag", spec, no_host).status == "error"
    secret = with_env(inv, "mobius-rag", "REDIS_URL", secret="redis-url:latest")
    verdict = judge(p1.test_redis_url_points_at_instance, "mobius-rag", spec, secret)
    assert verdict.status == "error" and "never read" in verdict.reason
    assert verdict.fix == (
        "gcloud secrets versions access latest --secret=redis-url --project=mobiusos-new"
        " && gcloud run services update mobius-rag --remove-secrets=REDIS_URL"
        " --region=us-central1 --project=mobiusos-new"
        " && gcloud run services update mobius-rag --update-env-vars=REDIS_URL=redis://10.121.0.3:6379/0"
        " --region=us-central1 --project=mobiusos-new (the gate never reads secret values: confirm by hand with the"
        " first command that redis-url holds redis://10.121.0.3:6379/0, or set it plainly with the others"
        " (a private-IP URL is no credential))"
    )


# --------------------------------------------------------------------------- INF-VPC


def test_connector_conformant_passes(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "pass", verdict.message()


def test_connector_api_disabled_fails_naming_the_cause(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "connectors", "disabled", "vpcaccess.googleapis.com is disabled in project mobiusos-new")
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "fail"
    assert "connector does not exist (vpcaccess.googleapis.com is disabled" in verdict.message()
    assert "--network=default --range=10.8.0.0/28 --min-instances=2 --max-instances=10" in (verdict.fix or "")
    assert (verdict.fix or "").startswith("gcloud services enable vpcaccess.googleapis.com")


def test_connector_scaling_deviation_fixed_in_place(spec: Checklist, inv: Inventory) -> None:
    inv = with_connector(inv, min_instances=3, max_instances=3)
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "fail"
    assert verdict.expected == "min_instances=2; max_instances=10"
    assert verdict.actual == "min_instances=3; max_instances=3"
    assert verdict.fix == (
        "gcloud compute networks vpc-access connectors update mobius-redis-connector --min-instances=2 "
        "--max-instances=10 --region=us-central1 --project=mobiusos-new"
    )


def test_connector_on_other_network_than_redis_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_redis(inv, authorized_network="shared-vpc")
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "fail"
    assert "redis_network=shared-vpc (network of mobius-redis)" in (verdict.expected or "")
    assert "see INF-REDIS" in (verdict.fix or "")


def test_connector_redis_network_unknown_is_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "redis_instances", "unavailable", "403 redis.instances.list denied")
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "error"
    assert "cannot confirm the Redis network" in verdict.reason


def test_connector_not_ready_or_unknown(spec: Checklist, inv: Inventory) -> None:
    assert judge(p1.test_vpc_connector, "mobius-redis-connector", spec, with_connector(inv, state="ERROR")).status == (
        "fail"
    )
    assert judge(p1.test_vpc_connector, "mobius-redis-connector", spec, with_connector(inv, state=None)).status == (
        "error"
    )


def test_service_naming_a_missing_connector_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_service(inv, "mobius-rag", vpc_connector="old-connector")
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, inv)
    assert verdict.status == "fail"
    assert "connector of mobius-rag=old-connector (absent)" in (verdict.actual or "")
    assert verdict.fix == (
        "gcloud run services update mobius-rag --vpc-connector=mobius-redis-connector "
        "--region=us-central1 --project=mobiusos-new"
    )


def test_connector_stuck_in_another_state_points_at_describe(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_vpc_connector, "mobius-redis-connector", spec, with_connector(inv, state="ERROR"))
    assert (verdict.fix or "").startswith(
        "gcloud compute networks vpc-access connectors describe mobius-redis-connector --region=us-central1"
    )
    redis = judge(p1.test_redis_instance, "mobius-redis", spec, with_redis(inv, state="REPAIRING"))
    assert (redis.fix or "").startswith("gcloud redis instances describe mobius-redis --region=us-central1")


# --------------------------------------------------------------------------- INF-SECRET


def test_secret_conformant_passes(spec: Checklist, inv: Inventory) -> None:
    for name in ("jwt-secret", "db-password-mobius-rag"):
        verdict = judge(p1.test_secret_ready, name, spec, inv)
        assert verdict.status == "pass", verdict.message()


def test_missing_secret_fails_with_create_version_and_grant(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, without(inv, "secrets", "jwt-secret"))
    assert verdict.status == "fail"
    assert verdict.message().startswith("[INF-SECRET] jwt-secret: secret does not exist.")
    fix = verdict.fix or ""
    assert "gcloud secrets create jwt-secret --replication-policy=automatic --project=mobiusos-new" in fix
    assert "echo -n '<secret-value>' | gcloud secrets versions add jwt-secret --data-file=-" in fix
    assert f"--member=serviceAccount:{SA} --role=roles/secretmanager.secretAccessor" in fix
    assert verdict.details["used_by"] == "mobius-chat-api, mobius-chat-worker"


def test_secret_manager_disabled_fails_naming_the_cause(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "secrets", "disabled", "secretmanager.googleapis.com is disabled in project mobiusos-new")
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "fail"
    assert "(secretmanager.googleapis.com is disabled in project mobiusos-new)" in verdict.reason


def test_secret_without_enabled_version_fails(spec: Checklist, inv: Inventory) -> None:
    versions = [SecretVersion(name="1", state="DESTROYED"), SecretVersion(name="2", state="DISABLED")]
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, with_secret(inv, "jwt-secret", versions=versions))
    assert verdict.status == "fail"
    assert verdict.actual == "enabled version=1=DESTROYED, 2=DISABLED"
    assert verdict.fix == "gcloud secrets versions enable 2 --secret=jwt-secret --project=mobiusos-new"


def test_secret_no_versions_at_all_needs_a_new_one(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, with_secret(inv, "jwt-secret", versions=[]))
    assert verdict.status == "fail"
    assert "gcloud secrets versions add jwt-secret" in (verdict.fix or "")


def test_secret_account_without_access_fails(spec: Checklist, inv: Inventory) -> None:
    inv = with_secret(inv, "db-password-mobius-rag", accessors=["serviceAccount:other@x.iam.gserviceaccount.com"])
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "fail"
    assert "access for mobius-dbt-ui" in verdict.reason
    assert f"gcloud secrets add-iam-policy-binding db-password-mobius-rag --member=serviceAccount:{SA}" in (
        verdict.fix or ""
    )


def test_secret_accessors_not_read_is_never_a_silent_pass(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, with_secret(inv, "jwt-secret", accessors=None))
    assert verdict.status == "error"
    assert "accessors not read" in verdict.reason


def test_secret_versions_not_listed_is_an_error(spec: Checklist, inv: Inventory) -> None:
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, with_secret(inv, "jwt-secret", versions=None))
    assert verdict.status == "error"


def test_pinned_secret_version_must_be_enabled(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "mobius-chat-worker", "JWT_SECRET", secret="jwt-secret:7")
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, inv)
    assert verdict.status == "fail"
    assert "version 7 used by mobius-chat-worker=absent" in (verdict.actual or "")


def test_secrets_referenced_beyond_the_checklist(spec: Checklist, inv: Inventory) -> None:
    assert judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, inv).status == "pass"
    inv = with_env(inv, "module-hub", "HUB_TOKEN", secret="hub-token:latest")
    verdict = judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, inv)
    assert verdict.status == "fail"
    assert "hub-token=absent (used by module-hub)" in (verdict.actual or "")
    assert "gcloud secrets create hub-token" in (verdict.fix or "")
    created = with_items(
        inv, "secrets", Secret(name="hub-token", versions=[SecretVersion(name="1", state="ENABLED")], accessors=[SA])
    )
    assert judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, created).status == "pass"


def test_referenced_secrets_when_services_unreadable(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(inv, "services", "unavailable", "403 run.services.list denied")
    assert judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, inv).status == "error"


# INF-SECRET access: granted on the secret's own IAM policy OR on the project's.

OTHER = "serviceAccount:other@x.iam.gserviceaccount.com"
PROJECT_UNREADABLE = "permission denied reading the project IAM policy: caller lacks getIamPolicy"


def _no_secret_grant(inv: Inventory) -> Inventory:
    """db-password-mobius-rag readable, but its own policy grants only someone else."""
    return with_secret(inv, "db-password-mobius-rag", accessors=[OTHER])


def test_secret_level_grant_passes_without_any_project_grant(spec: Checklist, inv: Inventory) -> None:
    assert inv.project_iam.ok
    assert f"serviceAccount:{SA}" not in inv.project_secret_grantees()
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "pass", verdict.message()


def test_project_level_grant_alone_passes(spec: Checklist, inv: Inventory) -> None:
    for role in ("roles/secretmanager.secretAccessor", "roles/secretmanager.admin", "roles/owner"):
        granted = with_project_grant(_no_secret_grant(inv), role, f"serviceAccount:{SA}")
        verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, granted)
        assert verdict.status == "pass", (role, verdict.message())


def test_project_grant_of_an_unrelated_role_does_not_count(spec: Checklist, inv: Inventory) -> None:
    inv = with_project_grant(_no_secret_grant(inv), "roles/secretmanager.viewer", f"serviceAccount:{SA}")
    assert judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv).status == "fail"


def test_neither_grant_fails_saying_both_policies_were_read(spec: Checklist, inv: Inventory) -> None:
    inv = with_project_grant(_no_secret_grant(inv), "roles/secretmanager.secretAccessor", OTHER)
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "fail"
    assert "access for mobius-dbt-ui" in verdict.reason
    assert "on neither the secret's IAM policy nor the project's (both read)" in (verdict.actual or "")
    assert f"gcloud secrets add-iam-policy-binding db-password-mobius-rag --member=serviceAccount:{SA}" in (
        verdict.fix or ""
    )


def test_project_policy_unreadable_without_secret_grant_is_an_error(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(_no_secret_grant(inv), "project_iam", "unavailable", PROJECT_UNREADABLE)
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "error"
    assert "cannot confirm access for mobius-dbt-ui" in verdict.reason
    assert f"project IAM policy unavailable: {PROJECT_UNREADABLE}" in verdict.reason
    # An error changes nothing: its fix is a note (how to read the facts), never a step remediation applies.
    assert "fix" not in verdict.details
    assert (verdict.fix or "").startswith("no gcloud change until it can be judged")
    assert "gcloud secrets get-iam-policy db-password-mobius-rag --project=mobiusos-new" in (verdict.fix or "")


def test_project_policy_unreadable_does_not_matter_with_a_secret_grant(spec: Checklist, inv: Inventory) -> None:
    for status in ("unavailable", "not_collected", "disabled"):
        unread = with_section(inv, "project_iam", status, "not read")
        assert judge(p1.test_secret_ready, "db-password-mobius-rag", spec, unread).status == "pass", status


def test_both_policies_unread_names_both_causes(spec: Checklist, inv: Inventory) -> None:
    inv = with_section(with_secret(inv, "jwt-secret", accessors=None), "project_iam", "not_collected", "snapshot")
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, inv)
    assert verdict.status == "error"
    assert "accessors not read; project IAM policy not_collected: snapshot" in verdict.reason


def test_accessors_unread_but_project_grant_passes(spec: Checklist, inv: Inventory) -> None:
    inv = with_project_grant(with_secret(inv, "jwt-secret", accessors=None), "roles/owner", f"serviceAccount:{SA}")
    assert judge(p1.test_secret_ready, "jwt-secret", spec, inv).status == "pass"


def test_conditional_project_grant_cannot_be_confirmed(spec: Checklist, inv: Inventory) -> None:
    inv = with_project_grant(
        _no_secret_grant(inv), "roles/secretmanager.secretAccessor", f"serviceAccount:{SA}", condition="expires-2027"
    )
    verdict = judge(p1.test_secret_ready, "db-password-mobius-rag", spec, inv)
    assert verdict.status == "error"
    assert "only a conditional project-level grant" in verdict.reason


def test_missing_secret_is_not_shared_with_accounts_the_project_already_grants(spec: Checklist, inv: Inventory) -> None:
    inv = with_project_grant(without(inv, "secrets", "jwt-secret"), "roles/secretmanager.secretAccessor", SA)
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, inv)
    assert verdict.status == "fail"
    assert "gcloud secrets create jwt-secret" in (verdict.fix or "")
    assert "add-iam-policy-binding" not in (verdict.fix or "")


def test_referenced_secret_with_project_grant_only(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "module-hub", "HUB_TOKEN", secret="hub-token:latest")
    inv = with_items(
        inv, "secrets", Secret(name="hub-token", versions=[SecretVersion(name="1", state="ENABLED")], accessors=[])
    )
    verdict = judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, inv)
    assert verdict.status == "fail"
    assert "gcloud secrets add-iam-policy-binding hub-token" in (verdict.fix or "")
    granted = with_project_grant(inv, "roles/secretmanager.secretAccessor", f"serviceAccount:{SA}")
    assert judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, granted).status == "pass"
    unread = with_section(inv, "project_iam", "unavailable", PROJECT_UNREADABLE)
    verdict = judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, unread)
    assert verdict.status == "error"
    assert "hub-token: access for module-hub" in verdict.reason


def test_secret_ref_model_is_what_the_factory_uses() -> None:
    assert SecretKeyRef(secret="jwt-secret").version == "latest"


def test_pinned_version_fix_names_what_to_do(spec: Checklist, inv: Inventory) -> None:
    """A reference pinned to a version that is not ENABLED has no gcloud fix: the verdict says so in a note."""
    inv = with_env(inv, "mobius-chat-worker", "JWT_SECRET", secret="jwt-secret:7")
    verdict = judge(p1.test_secret_ready, "jwt-secret", spec, inv)
    assert verdict.fix == "point pinned references at an ENABLED version (e.g. :latest)"


def test_referenced_secret_pinned_to_a_missing_version_fails_with_a_note(spec: Checklist, inv: Inventory) -> None:
    inv = with_env(inv, "module-hub", "HUB_TOKEN", secret="hub-token:2")
    inv = with_items(
        inv, "secrets", Secret(name="hub-token", versions=[SecretVersion(name="1", state="ENABLED")], accessors=[SA])
    )
    verdict = judge(p1.test_referenced_secrets_exist, "referenced-by-services", spec, inv)
    assert verdict.status == "fail"
    assert "hub-token version 2 used by module-hub=absent" in (verdict.actual or "")
    assert verdict.fix == "point pinned references at an ENABLED version (e.g. :latest)"


def _spec_with_second_connector(spec: Checklist) -> Checklist:
    data = spec.model_dump()
    for svc in data["services"]:
        if svc["name"] == "mobius-rag":
            svc["vpc_connector"] = "rag-connector"
    return Checklist.model_validate(data)


def test_second_connector_not_ready_is_described_not_the_checklists(spec: Checklist, inv: Inventory) -> None:
    """A connector a service names (not the checklist's) gets a fix about itself, never about the primary."""
    two = _spec_with_second_connector(spec)
    assert ("rag-connector", "rag-connector") in p1.test_vpc_connector.mobius_rule.subjects(two)
    stuck = with_items(inv, "connectors", VpcConnector(name="rag-connector", state="CREATING", network="default"))
    verdict = judge(p1.test_vpc_connector, "rag-connector", two, stuck)
    assert verdict.status == "fail"
    assert (verdict.fix or "").startswith(
        "gcloud compute networks vpc-access connectors describe rag-connector --region=us-central1"
    )
    assert "mobius-redis-connector" not in (verdict.fix or "")
    missing = judge(p1.test_vpc_connector, "rag-connector", two, inv)
    assert missing.status == "fail"
    assert missing.fix == "create connector rag-connector or point mobius-rag at mobius-redis-connector"
