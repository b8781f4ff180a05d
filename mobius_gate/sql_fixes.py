"""The fixes of Phase 2 (Cloud SQL, the chat database, the RAG metadata sync), as :class:`Fix` steps.

Most are steps a human runs (a migration in a ``gcloud sql connect`` session,
the dbt sync): they render as the commands to run and are never applied
through an API (:data:`mobius_gate.fixes.MANUAL`).
"""

from __future__ import annotations

from mobius_gate.fixes import Fix, Step
from mobius_gate.spec import Checklist


def _sql_where(spec: Checklist) -> tuple[str, str]:
    """The Cloud SQL instance and its project (from the checklist's connection name)."""
    return spec.cloud_sql.instance, spec.cloud_sql.connection_name.split(":", 1)[0]


def create_database(requirement: str, resource: str, spec: Checklist, database: str, note: str | None = None) -> Fix:
    instance, project = _sql_where(spec)
    step = Step("sql.databases.create", database, project, None, {"instance": instance})
    return Fix(requirement, resource, (step,), note)


def run_migration(requirement: str, resource: str, spec: Checklist, database: str, migration: str) -> Fix:
    """Run one migration file in a ``gcloud sql connect`` session (a human step)."""
    instance, project = _sql_where(spec)
    step = Step("sql.migrate", instance, project, None, {"database": database, "migration": migration})
    return Fix(requirement, resource, (step,))


#: The §2.2 sync, and what to do instead when the Vertex index is shared with staging.
SYNC_NOTE = "or copy published_rag_metadata from staging if the Vertex index is shared"


def sync_rag_metadata(requirement: str, resource: str, spec: Checklist, *, migrate_first: str | None = None) -> Fix:
    """The dbt sync of ``published_rag_metadata``; ``migrate_first`` names a database to run the migrations on."""
    _, project = _sql_where(spec)
    steps: list[Step] = []
    note = SYNC_NOTE
    if migrate_first is not None:
        instance, _ = _sql_where(spec)
        steps.append(Step("sql.connect", instance, project, None, {"database": migrate_first}))
        note = f"run the chat migrations on {migrate_first} in that session first; {SYNC_NOTE}"
    steps.append(Step("dbt.sync", "published_rag_metadata", project, None, {"dest": "prod"}))
    return Fix(requirement, resource, tuple(steps), note)


def private_ip_fix(requirement: str, spec: Checklist, *, exists: bool, api_disabled: bool = False) -> Fix:
    """Move the instance to private IP; when it is missing, list instances (enabling the API first)."""
    instance, project = _sql_where(spec)
    if exists:
        step = Step("sql.instances.patch", instance, project, None, {"network": "default"})
        return Fix(requirement, instance, (step,))
    steps = [Step("services.enable", "sqladmin.googleapis.com", project)] if api_disabled else []
    steps.append(Step("sql.instances.list", instance, project))
    return Fix(requirement, instance, tuple(steps), "then create the instance or correct cloud_sql in checklist.yaml")
