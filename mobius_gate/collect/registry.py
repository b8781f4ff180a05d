"""Section name → collector: the one table a new section is added to.

A collector is ``collect(ctx: CallContext) -> Section``. It lets API errors
propagate; :func:`mobius_gate.collect.collect_inventory` turns them into a
``disabled``/``unavailable`` section using the entry's ``what`` and ``api``.
To add a section (say ``database``), write ``mobius_gate/collect/database.py`` with
a ``collect`` function and add one :class:`Collector` line to :data:`REGISTRY`
(the section must also be a field of :class:`~mobius_gate.inventory.Inventory`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mobius_gate.collect import apis, database, flows, health, logs, project_iam, redis, secrets, sql, vector, vpc
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.checklist_inputs import services_of
from mobius_gate.inventory import Section


@dataclass(frozen=True)
class Collector:
    collect: Callable[[CallContext], Section]
    #: Completes "permission denied ..." / "... failed": e.g. "listing Redis instances".
    what: str
    #: The API whose SERVICE_DISABLED answer means "none of these exist" (None: not a Google API).
    api: str | None = None
    #: False for collectors that talk to no Google API (database, health probes):
    #: they need no Google credentials.
    needs_google: bool = True


REGISTRY: dict[str, Collector] = {
    "apis": Collector(apis.collect, "listing enabled APIs", "serviceusage.googleapis.com"),
    # Shared with health, logs and vector collectors, so Cloud Run is listed once per run.
    "services": Collector(services_of, "listing Cloud Run services", "run.googleapis.com"),
    "redis_instances": Collector(redis.collect, "listing Redis instances", "redis.googleapis.com"),
    "connectors": Collector(vpc.collect, "listing VPC Access connectors", "vpcaccess.googleapis.com"),
    "secrets": Collector(secrets.collect, "listing Secret Manager secrets", "secretmanager.googleapis.com"),
    "sql_instances": Collector(sql.collect, "listing Cloud SQL instances", "sqladmin.googleapis.com"),
    "project_iam": Collector(
        project_iam.collect, "reading the project IAM policy", "cloudresourcemanager.googleapis.com"
    ),
    "database": Collector(database.collect, "reading the checklist databases", None, needs_google=False),
    "vector_neighbors": Collector(vector.collect, "querying the vector index", "aiplatform.googleapis.com"),
    "health": Collector(health.collect, "probing health endpoints", "run.googleapis.com"),
    "log_entries": Collector(logs.collect, "listing worker log entries", "logging.googleapis.com"),
    "live_flows": Collector(flows.collect, "running the live end-to-end flows", None, needs_google=False),
}
