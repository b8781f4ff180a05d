"""mobius_gate.fixes: each fix is data (operation + params) that renders the checklist's gcloud command."""

from __future__ import annotations

import pytest

from mobius_gate.engine import judge_all
from mobius_gate.fixes import (
    OPERATIONS,
    REQUIREMENT_OPERATIONS,
    Fix,
    Step,
    Where,
    create_connector,
    create_redis,
    deploy_service,
    enable_api,
    invoker_binding,
    move_to_secret,
    repair_connector,
    repair_redis,
    secret_fix,
    traffic_to_latest,
    update_service,
)
from mobius_gate.inventory import FlowOutcome, HealthProbe, Inventory, LogEntry, Section
from mobius_gate.requirements import CATALOGUE
from mobius_gate.spec import Checklist
from tests.checks.factory import PROJECT, REGION, conformant, with_env, with_service

FLOWS = ("chat", "rag", "scraper")

WHERE = Where(PROJECT, REGION)
TAIL = f"--region={REGION} --project={PROJECT}"


def test_every_infra_and_service_requirement_has_fix_operations() -> None:
    wanted = {r.id for r in CATALOGUE.values() if r.phase in ("infra", "services")}
    assert wanted <= set(REQUIREMENT_OPERATIONS)
    for operations in REQUIREMENT_OPERATIONS.values():
        assert set(operations) <= OPERATIONS


def test_enable_api() -> None:
    assert enable_api("redis.googleapis.com", WHERE).command() == (
        "gcloud services enable redis.googleapis.com --project=mobiusos-new"
    )


def test_cpu_throttling_fix_matches_the_checklist_flag(spec: Checklist) -> None:
    fix = update_service("SVC-CPU-ALWAYS", spec.service("mobius-chat-worker"), WHERE, cpu_always_allocated=True)
    assert fix.command() == f"gcloud run services update mobius-chat-worker --no-cpu-throttling {TAIL}"
    assert fix.steps[0].params == {"cpu_always_allocated": True}
    assert fix.needs_input == []


@pytest.mark.parametrize(
    ("params", "flags"),
    [
        ({"min_instances": 1}, "--min-instances=1"),
        ({"max_instances": 1}, "--max-instances=1"),
        ({"timeout_seconds": 3600}, "--timeout=3600"),
        (
            {"vpc_connector": "mobius-redis-connector", "vpc_egress": "private-ranges-only"},
            "--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only",
        ),
        ({"update_env_vars": {"QUEUE_TYPE": "redis"}}, "--update-env-vars=QUEUE_TYPE=redis"),
        ({"update_secrets": {"JWT_SECRET": "jwt-secret:latest"}}, "--update-secrets=JWT_SECRET=jwt-secret:latest"),
        (
            {"add_cloudsql_instances": ["mobiusos-new:us-central1:mobius-platform-db"]},
            "--add-cloudsql-instances=mobiusos-new:us-central1:mobius-platform-db",
        ),
        (
            {"command": ["python"], "args": ["-m", "uvicorn", "app.worker_server:app", "--host", "0.0.0.0"]},
            "--command=python --args=-m,uvicorn,app.worker_server:app,--host,0.0.0.0",
        ),
    ],
)
def test_service_update_flags(spec: Checklist, params: dict, flags: str) -> None:
    fix = update_service("SVC-X", spec.service("mobius-chat-worker"), WHERE, **params)
    assert fix.command() == f"gcloud run services update mobius-chat-worker {flags} {TAIL}"


def test_unknown_service_parameter_is_rejected(spec: Checklist) -> None:
    with pytest.raises(ValueError, match="unknown Cloud Run parameter"):
        update_service("SVC-X", spec.service("mobius-chat-worker"), WHERE, cpu_boost=True)


def test_invoker_bindings(spec: Checklist) -> None:
    add = invoker_binding(spec.service("mobius-chat-api"), WHERE, "allUsers", add=True)
    remove = invoker_binding(spec.service("mobius-dbt-ui"), WHERE, "allUsers", add=False)
    assert add.gcloud() == (
        f"gcloud run services add-iam-policy-binding mobius-chat-api --member=allUsers --role=roles/run.invoker {TAIL}"
    )
    assert remove.gcloud().startswith("gcloud run services remove-iam-policy-binding mobius-dbt-ui --member=allUsers")


def test_create_commands_follow_the_checklist(spec: Checklist) -> None:
    redis = create_redis(spec, WHERE).command()
    assert redis == (
        f"gcloud redis instances create mobius-redis {TAIL} --tier=basic --size=1 --redis-version=redis_7_0"
        " --connect-mode=private-service-access"
    )
    connector = create_connector(spec, WHERE).command()
    assert connector == (
        f"gcloud compute networks vpc-access connectors create mobius-redis-connector {TAIL}"
        " --network=default --range=10.8.0.0/28 --min-instances=2 --max-instances=10"
    )


def test_redis_repairs_in_place_or_recreate(spec: Checklist) -> None:
    resize = repair_redis(spec, WHERE, ["memory_size_gb"])
    assert [s.operation for s in resize.steps] == ["redis.update"]
    assert "--size=1" in resize.command()
    upgrade = repair_redis(spec, WHERE, ["redis_version"])
    assert "gcloud redis instances upgrade mobius-redis --redis-version=redis_7_0" in upgrade.command()
    recreate = repair_redis(spec, WHERE, ["tier", "memory_size_gb"])
    assert [s.operation for s in recreate.steps] == ["redis.delete", "redis.create"]
    assert recreate.note and "recreate" in recreate.note


def test_connector_repairs(spec: Checklist) -> None:
    scale = repair_connector(spec, WHERE, ["max_instances"])
    assert scale.command() == (
        f"gcloud compute networks vpc-access connectors update mobius-redis-connector --max-instances=10 {TAIL}"
    )
    moved = repair_connector(spec, WHERE, ["ip_cidr_range"])
    assert [s.operation for s in moved.steps] == ["vpcaccess.delete", "vpcaccess.create"]


def test_secret_fixes_never_carry_a_value() -> None:
    fix = secret_fix("jwt-secret", WHERE, exists=False, grant_to=["sa@p.iam.gserviceaccount.com"])
    ops = [s.operation for s in fix.steps]
    assert ops == ["secrets.create", "secrets.versions.add", "secrets.iam.add"]
    assert fix.needs_input == ["<secret-value>"]
    assert "--member=serviceAccount:sa@p.iam.gserviceaccount.com" in fix.command()
    enable = secret_fix("jwt-secret", WHERE, exists=True, enable_version="2")
    assert enable.command() == "gcloud secrets versions enable 2 --secret=jwt-secret --project=mobiusos-new"


def test_deploy_uses_placeholders_for_values_only_a_human_has(spec: Checklist) -> None:
    fix = deploy_service(spec, spec.service("mobius-chat-worker"), WHERE, redis_host_port=None)
    cmd = fix.command()
    assert cmd.startswith("gcloud run deploy mobius-chat-worker --image=gcr.io/mobiusos-new/mobius-chat-api:latest")
    for flag in (
        "--no-cpu-throttling",
        "--min-instances=1",
        "--max-instances=1",
        "--timeout=3600",
        "--set-secrets=JWT_SECRET=jwt-secret:latest",
        "--vpc-egress=private-ranges-only",
    ):
        assert flag in cmd
    assert "REDIS_URL=redis://<REDIS_IP>:6379/0" in cmd
    assert "<vertex-index-endpoint-id>" in fix.needs_input
    known = deploy_service(spec, spec.service("mobius-chat-worker"), WHERE, redis_host_port="10.1.2.3:6379")
    assert "REDIS_URL=redis://10.1.2.3:6379/0" in known.command()
    private = deploy_service(spec, spec.service("mobius-dbt-ui"), WHERE, None).command()
    assert "--no-allow-unauthenticated" in private


def test_fix_round_trips_as_json(spec: Checklist) -> None:
    fix = move_to_secret("SVC-PLAINTEXT-CREDS", spec.service("mobius-chat-api"), WHERE, "DB_URL", "db-url")
    again = Fix.from_json(fix.to_json())
    assert again.command() == fix.command()
    assert [s.operation for s in again.steps] == [
        "secrets.create",
        "secrets.versions.add",
        "secrets.iam.add",  # the service's account reads the secret it is about to reference
        "run.update",
        "run.update",
    ]


def test_traffic_fix(spec: Checklist) -> None:
    assert traffic_to_latest(spec.service("mobius-rag"), WHERE).command() == (
        f"gcloud run services update-traffic mobius-rag --to-latest {TAIL}"
    )


def test_unknown_operation_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown fix operation 'run\.delete'"):
        Step("run.delete", "x", PROJECT, REGION).gcloud()


# --------------------------------------------------------------------------- manual steps, and the table on every rule


def test_a_manual_step_round_trips_and_is_never_applied() -> None:
    look = Step("secrets.versions.access", "redis-url", PROJECT, None, {"version": "latest"}, manual="by hand")
    fix = Fix("INF-REDIS-URL", "mobius-rag", (look,))
    assert Fix.from_json(fix.to_json()) == fix
    assert look.gcloud() == f"gcloud secrets versions access latest --secret=redis-url --project={PROJECT}"
    assert look.is_manual
    assert Step("run.logs.read", "mobius-chat-worker", PROJECT, REGION).is_manual, "read-only"
    assert not Step("run.update", "x", PROJECT, REGION, {"min_instances": 1}).is_manual
    assert "manual" not in Step("run.update", "x", PROJECT, REGION).to_dict()


def _failing_everywhere(spec: Checklist) -> list[Inventory]:
    """Inventories on which Phase 4 and the secret-not-readable rules emit their fixes."""
    inv = conformant(spec)
    probes = [HealthProbe(service=s.name, url=f"https://{s.name}/health", status_code=503) for s in spec.services]
    outcomes = [
        FlowOutcome(flow=k, service=getattr(spec.e2e_live, k).service, ok=False, reason="timed out", step="wait")
        for k in FLOWS
    ]
    broken = inv.model_copy(
        update={
            "health": Section[HealthProbe](items=probes),
            "log_entries": Section[LogEntry](items=[]),
            "live_flows": Section[FlowOutcome](items=outcomes),
        }
    )
    secrets = with_env(broken, "mobius-rag", "REDIS_URL", secret="redis-url:latest")
    secrets = with_env(secrets, "mobius-chat-api", "QUEUE_TYPE", secret="queue-type:latest")
    unprobed = [HealthProbe(service=p.service, url=p.url, error="refused") for p in probes]
    no_uri = broken.model_copy(update={"health": Section[HealthProbe](items=unprobed)})
    for name in ("mobius-chat-api", "mobius-rag", "mobius-skills-scraper"):
        no_uri = with_service(no_uri, name, uri=None)
    logging_off = inv.model_copy(update={"log_entries": Section[LogEntry](status="disabled", cause="off")})
    return [secrets, no_uri, logging_off]


def test_every_emitted_operation_is_in_the_table_and_no_fix_is_plain_text(spec: Checklist) -> None:
    emitted: dict[str, set[str]] = {}
    for inv in _failing_everywhere(spec):
        for verdict in judge_all(spec, inv):
            if verdict.status not in ("fail", "error") or not verdict.fix:
                continue
            if verdict.requirement.startswith("VER-") or verdict.requirement in ("INF-REDIS-URL", "SVC-ENV"):
                assert "fix" in verdict.details, f"plain-text fix: {verdict.message()}"
            if "fix" in verdict.details:
                fix = Fix.from_json(verdict.details["fix"])
                assert fix.command() == verdict.fix
                operations = {step.operation for step in fix.steps}
                assert operations <= set(REQUIREMENT_OPERATIONS[verdict.requirement]), verdict.message()
                emitted.setdefault(verdict.requirement, set()).update(operations)
    assert emitted["VER-HEALTH"] == {"run.describe", "run.logs.read"}
    assert emitted["VER-LOGS"] == {"services.enable", "run.logs.read"}
    assert {"run.describe", "run.logs.read"} <= emitted["VER-E2E-CHAT"]
    assert emitted["INF-REDIS-URL"] == {"secrets.versions.access", "run.update"}
    assert "run.update" in emitted["SVC-ENV"]
