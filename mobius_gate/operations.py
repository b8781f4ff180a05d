"""One table, per requirement, of every operation its fixes may contain.

Rules build fixes through :class:`~mobius_gate.rules.judge.Judge`, which passes each through
:func:`operations_checked`; remediation dispatches on the same operation names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mobius_gate.gcloud import RENDERERS

if TYPE_CHECKING:
    from mobius_gate.fixes import Fix

OPERATIONS = frozenset(RENDERERS)

_ENABLE = ("services.enable",)
_RUN_UPDATE = ("run.update",)
_SECRET_VERSIONS = ("secrets.create", "secrets.versions.add", "secrets.versions.enable")
_INSPECT = ("run.describe", "run.logs.read")
_SERVICE_RULES = (
    "SVC-IMAGE",
    "SVC-ACCOUNT",
    "SVC-CPU-ALWAYS",
    "SVC-MIN-INSTANCES",
    "SVC-MAX-INSTANCES",
    "SVC-TIMEOUT",
    "SVC-VPC-CONNECTOR",
    "SVC-VPC-EGRESS",
    "SVC-ENV",
    "SVC-REDIS-SHARED",
    "SVC-CLOUDSQL",
    "SVC-COMMAND",
)

#: Per requirement, every operation its fixes may contain: the one table fixes are checked against.
REQUIREMENT_OPERATIONS: dict[str, tuple[str, ...]] = {
    "INF-API": _ENABLE,
    "INF-REDIS": (*_ENABLE, "redis.create", "redis.update", "redis.upgrade", "redis.delete", "redis.describe"),
    "INF-REDIS-URL": ("secrets.versions.access", *_RUN_UPDATE),
    "INF-VPC": (
        *_ENABLE,
        "vpcaccess.create",
        "vpcaccess.update",
        "vpcaccess.delete",
        "vpcaccess.describe",
        *_RUN_UPDATE,
    ),
    "INF-SECRET": (*_ENABLE, *_SECRET_VERSIONS, "secrets.iam.add"),
    "DB-INSTANCE": (
        *_ENABLE,
        "sql.instances.list",
        "sql.instances.describe",
        "sql.instances.create",
        "sql.instances.activate",
    ),
    "DB-EXISTS": ("sql.databases.create",),
    "DB-MIGRATION": ("sql.databases.create", "sql.migrate"),
    "DB-RAG-META": ("sql.databases.create", "sql.connect", "dbt.sync"),
    "DB-RAG-CONSISTENT": ("dbt.sync",),
    "DB-PRIVATE-IP": (*_ENABLE, "sql.instances.list", "sql.instances.patch"),
    "SVC-DEPLOYED": (*_ENABLE, "run.deploy"),
    "SVC-READY": ("run.traffic", "run.revisions.describe"),
    **{requirement: _RUN_UPDATE for requirement in _SERVICE_RULES},
    "SVC-SECRET-REF": (*_RUN_UPDATE, *_SECRET_VERSIONS),
    "SVC-INGRESS": ("run.iam.add", "run.iam.remove", *_RUN_UPDATE),
    "SVC-PLAINTEXT-CREDS": ("secrets.create", "secrets.versions.add", "secrets.iam.add", *_RUN_UPDATE),
    # Phase 4: read-only inspection (no single command fixes a symptom; the diagnosis names the cause's fix)
    "VER-HEALTH": _INSPECT,
    "VER-LOGS": (*_ENABLE, "run.logs.read"),
    **{requirement: _INSPECT for requirement in ("VER-E2E-CHAT", "VER-E2E-RAG", "VER-E2E-SCRAPER")},
}


def operations_checked(fix: Fix) -> Fix:
    """``fix`` itself, once every operation in it is one :data:`REQUIREMENT_OPERATIONS` allows its requirement."""
    allowed = REQUIREMENT_OPERATIONS.get(fix.requirement, ())
    stray = sorted({step.operation for step in fix.steps} - set(allowed))
    if stray:
        raise ValueError(f"{fix.requirement} fix uses {', '.join(stray)}, not in REQUIREMENT_OPERATIONS")
    return fix
