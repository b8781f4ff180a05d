"""The dependency table: which stage each operation runs in, and what each step waits for.

The prod repair chain is: enable APIs → Memorystore → VPC connector → secret containers and
accessor grants → deploy or update services → IAM → traffic. Within a stage the fixes keep
their order. What the gate never applies (deletes, Cloud SQL, migrations, reads) is manual.
"""

from __future__ import annotations

from mobius_gate.fixes import MANUAL, READ_ONLY, Step

STAGES: dict[str, int] = {
    "services.enable": 0,
    "redis.create": 1,
    "redis.update": 1,
    "redis.upgrade": 1,
    "vpcaccess.create": 2,
    "secrets.create": 3,
    "secrets.versions.add": 4,
    "secrets.versions.enable": 4,
    "secrets.iam.add": 5,
    "run.deploy": 6,
    "run.update": 7,
    "run.iam.add": 8,
    "run.iam.remove": 8,
    "run.traffic": 9,
}

#: Operations that delete: the fixes containing one (recreate to change a network or range) stay manual.
DELETES = frozenset({"redis.delete", "vpcaccess.delete"})

#: Operations applied by a human, with the reason printed beside the command.
NOT_APPLIED: dict[str, str] = {
    **{op: "read-only: shown to guide the fix" for op in READ_ONLY},
    **{op: "run by a human (database or data pipeline)" for op in MANUAL},
    "vpcaccess.update": "the VPC Access v1 API has no update: gcloud changes the scaling",
    "sql.databases.create": "Cloud SQL changes are not applied by mobius-gate",
    "sql.instances.patch": "Cloud SQL changes are not applied by mobius-gate (restarts the instance)",
}

#: The API an operation's resource lives behind (its ``services.enable`` runs first).
API_OF = {
    "run": "run.googleapis.com",
    "redis": "redis.googleapis.com",
    "vpcaccess": "vpcaccess.googleapis.com",
    "secrets": "secretmanager.googleapis.com",
}


def family(step: Step) -> str:
    return step.operation.split(".", 1)[0]


def creates(step: Step) -> bool:
    return step.operation in ("redis.create", "vpcaccess.create", "secrets.create", "run.deploy")


def secrets_referenced(step: Step) -> set[str]:
    """Secret names a Cloud Run step points env vars at (``NAME:VERSION`` values)."""
    refs: dict[str, str] = {}
    for key in ("set_secrets", "update_secrets"):
        refs.update(step.params.get(key) or {})
    return {str(v).split(":", 1)[0] for v in refs.values()}


def needs(step: Step, other: Step, redis_name: str) -> bool:
    """Whether ``step`` must wait for ``other`` (a step planned before it)."""
    if other.operation == "services.enable":
        return API_OF.get(family(step)) == other.target
    if other.operation == "secrets.create" and family(step) == "secrets":
        return other.target == step.target
    if other.operation in ("secrets.create", "secrets.versions.add", "secrets.versions.enable", "secrets.iam.add"):
        return family(step) == "run" and other.target in secrets_referenced(step)
    if other.operation == "redis.create" and family(step) == "run":
        return other.target == redis_name and "<REDIS_IP>" in str(step.params)
    if other.operation == "vpcaccess.create" and family(step) == "run":
        return step.params.get("vpc_connector") == other.target
    if other.operation in ("run.deploy", "run.update") and family(step) == "run":
        return other.target == step.target
    return False
