"""Diagnoses: a failing *symptom* check names the likely cause the other facts show.

Modelled on the checklist's "Common Issues & Fixes" (and its "Notes from
Staging Debugging"): each :class:`Diagnosis` carries the issue's name, the
cause found in the inventory and the fix. The facts are the ones the Phase 3
rules judge (CPU throttling, VPC connector, QUEUE_TYPE / REDIS_URL, readiness,
minimum instances) plus the database and log facts; nothing here calls an API.

The plugin calls :func:`diagnose` for every failing or erroring verdict and
shows the text after "Likely cause:"; the terminal summary groups them. Causes
quote inventory values (a readiness message, an env value), so every cause and
fix is passed through :func:`mobius_gate.redact.redact` before it is returned.

=========================== ================================================
symptom check               issues considered (most likely first)
=========================== ================================================
VER-LOGS (a worker)         Worker starts then shuts down (CPU throttling);
                            Service can't reach Redis (no VPC connector);
                            Waiting for worker (QUEUE_TYPE); not ready;
                            scaled to zero
VER-HEALTH                  not ready; Service can't reach Redis
VER-E2E-CHAT                Waiting for worker (QUEUE_TYPE / REDIS_URL
                            mismatch, missing connector, worker not listening)
VER-E2E-SCRAPER             the same for the scraper pair
VER-E2E-RAG                 RAG returns 0 results; the RAG workers' issues
DB-RAG-META,                RAG returns 0 results (published_rag_metadata
DB-RAG-CONSISTENT           empty, missing or partly synced)
DB-EXISTS, DB-MIGRATION     Phase 2 migrations not run (or --db-url names
                            another server than the checklist's instance)
SVC-READY (a worker)        worker has no HTTP server (worker_server pattern)
=========================== ================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mobius_gate.fixes import Step
from mobius_gate.inventory import Inventory, Service
from mobius_gate.redact import host_port, redact
from mobius_gate.spec import Checklist, ServiceSpec
from mobius_gate.symptoms import (
    CANT_REACH_REDIS,
    MIGRATIONS_NOT_RUN,
    NO_WORKER_SERVER,
    NOT_READY,
    RAG_ZERO_RESULTS,
    SCALED_TO_ZERO,
    STARTS_THEN_SHUTS_DOWN,
    WAITING_FOR_WORKER,
)
from mobius_gate.verdict import Verdict

SYNC_FIX = "run dbt sync (cd mobius-dbt && python scripts/sync_mart_to_chat.py --dest prod) or copy from staging"


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause: the Common Issue it is, what the facts show, and the fix."""

    issue: str
    cause: str
    fix: str | None = None

    def text(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f'"{self.issue}" — {self.cause}{fix}'


# --- facts -------------------------------------------------------------------------------------------


def _where(spec: Checklist, inv: Inventory) -> tuple[str, str]:
    return inv.project, inv.region


def _update(spec: Checklist, inv: Inventory, service: str, **params: object) -> str:
    project, region = _where(spec, inv)
    return Step("run.update", service, project, region, params).gcloud()


def _spec_service(spec: Checklist, name: str) -> ServiceSpec | None:
    return next((s for s in spec.services if s.name == name), None)


def _env(svc: Service, name: str) -> str | None:
    var = svc.env_value(name)
    return var.value if var is not None else None


def _throttled(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    if svc.cpu_always_allocated is not False:
        return None
    return Diagnosis(
        STARTS_THEN_SHUTS_DOWN,
        f"{svc.name} runs with CPU throttling, so its background worker thread gets no CPU outside "
        "requests (staging's #1 issue)",
        _update(spec, inv, svc.name, cpu_always_allocated=True),
    )


def _no_connector(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    uses_redis = (sspec is not None and sspec.uses_redis) or _env(svc, "REDIS_URL") is not None
    if not uses_redis or svc.vpc_connector:
        return None
    connector = spec.redis_users.vpc_connector
    target = host_port(_env(svc, "REDIS_URL"), spec.redis.port)
    at = f" at {target}" if target else ""
    return Diagnosis(
        CANT_REACH_REDIS,
        f"{svc.name} has no VPC connector, so it cannot reach Redis' private IP{at}",
        _update(spec, inv, svc.name, vpc_connector=connector, vpc_egress=spec.redis_users.vpc_egress),
    )


def _queue_type(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    wanted = (sspec.env.get("QUEUE_TYPE") if sspec else None) or None
    actual = _env(svc, "QUEUE_TYPE")
    if wanted is None or actual == wanted:
        return None
    return Diagnosis(
        WAITING_FOR_WORKER,
        f"{svc.name} has QUEUE_TYPE={actual if actual is not None else '(unset)'}, not {wanted}: "
        "requests never reach the shared Redis queue",
        _update(spec, inv, svc.name, update_env_vars={"QUEUE_TYPE": wanted}),
    )


def _not_ready(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    if svc.ready is not False:
        return None
    project, region = _where(spec, inv)
    detail = f": {svc.ready_message.strip()}" if svc.ready_message else ""
    revision = svc.latest_created_revision or svc.name
    return Diagnosis(
        NOT_READY,
        f"{svc.name}'s latest revision is not ready{detail}",
        f"gcloud run revisions describe {revision} --region={region} --project={project}",
    )


def _scaled_to_zero(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    wanted = sspec.min_instances if sspec else None
    if not wanted or svc.min_instances is None or svc.min_instances >= wanted:
        return None
    return Diagnosis(
        SCALED_TO_ZERO,
        f"{svc.name} has min instances {svc.min_instances}: no instance stays up to poll Redis",
        _update(spec, inv, svc.name, min_instances=wanted),
    )


def _worker_server(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    if sspec is None or not sspec.is_worker or not (sspec.command or sspec.args):
        return None
    if "app.worker_server:app" in " ".join([*svc.command, *svc.args]):
        return None
    return Diagnosis(
        NO_WORKER_SERVER,
        f"{svc.name} does not run app.worker_server:app, so nothing listens on PORT for Cloud Run's health "
        "check (staging note 3: workers need the worker_server HTTP endpoint)",
        _update(spec, inv, svc.name, command=sspec.command, args=sspec.args),
    )


def _redis_elsewhere(svc: Service, sspec: ServiceSpec | None, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    """REDIS_URL names a host:port where the project's Memorystore instance does not listen."""
    instance = inv.redis_instance(spec.redis.name) if inv.redis_instances.ok else None
    url = _env(svc, "REDIS_URL")
    if instance is None or not instance.host or url is None:
        return None
    actual = host_port(url, spec.redis.port)
    expected = f"{instance.host}:{instance.port or spec.redis.port}"
    if actual is None or actual == expected:
        return None
    return Diagnosis(
        WAITING_FOR_WORKER,
        f"{svc.name}'s REDIS_URL points at {actual}, but {spec.redis.name} listens on {expected}: "
        "it is not sharing the API's Redis",
        _update(spec, inv, svc.name, update_env_vars={"REDIS_URL": f"redis://{expected}/{spec.redis.database}"}),
    )


def _paired_apis(worker: str, spec: Checklist) -> list[str]:
    return [s.name for s in spec.services if worker in s.pairs_with]


ServiceCheck = Callable[[Service, ServiceSpec | None, Checklist, Inventory], Diagnosis | None]


def _service_causes(name: str, spec: Checklist, inv: Inventory, checks: tuple[ServiceCheck, ...]) -> list[Diagnosis]:
    if not inv.services.ok:
        return []
    svc = inv.service(name)
    if svc is None:
        return []
    sspec = _spec_service(spec, name)
    return [d for check in checks if (d := check(svc, sspec, spec, inv)) is not None]


def _not_listening(worker: str, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    """The worker's latest revision did not log its last start line ("Worker listening ...")."""
    sspec = _spec_service(spec, worker)
    if sspec is None or not sspec.log_lines or not inv.log_entries.ok or inv.service(worker) is None:
        return None
    last = sspec.log_lines[-1]
    if any(last in e.text for e in inv.latest_logs_of(worker)):
        return None
    project, region = _where(spec, inv)
    return Diagnosis(
        WAITING_FOR_WORKER,
        f"{worker} never logged {last!r}: it is not consuming the queue",
        f"gcloud run services logs read {worker} --region={region} --project={project}",
    )


def _redis_url_mismatch(api: str, worker: str, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    a, w = inv.service(api), inv.service(worker)
    if a is None or w is None:
        return None
    url_a, url_w = _env(a, "REDIS_URL"), _env(w, "REDIS_URL")
    if url_a is None or url_w is None or url_a == url_w:
        return None
    return Diagnosis(
        WAITING_FOR_WORKER,
        f"{api} and {worker} use different REDIS_URLs ({host_port(url_a, 6379)} vs {host_port(url_w, 6379)}): "
        "the worker polls a queue the API never writes to",
        _update(spec, inv, worker, update_env_vars={"REDIS_URL": f"<{api}'s REDIS_URL>"}),
    )


def _rag_data(spec: Checklist, inv: Inventory) -> Diagnosis | None:
    """``published_rag_metadata`` missing, empty or partly synced (checklist "RAG returns 0 results")."""
    vs = spec.vector_search
    if not inv.database.ok:
        return None
    facts = inv.database_facts(vs.database)
    if facts is None:
        return None
    if not facts.exists:
        return Diagnosis(
            RAG_ZERO_RESULTS,
            f"database {vs.database} (which holds {vs.metadata_table}) does not exist",
            f"create it and run the migrations, then {SYNC_FIX}",
        )
    table = facts.table(vs.metadata_table)
    if table is None:
        return Diagnosis(
            RAG_ZERO_RESULTS,
            f"table {vs.metadata_table} does not exist in {vs.database}",
            f"run the migrations, then {SYNC_FIX}",
        )
    minimum = max(1, _min_rows(spec, vs.database, vs.metadata_table))
    if table.row_count is not None and table.row_count < minimum:
        return Diagnosis(
            RAG_ZERO_RESULTS,
            f"{vs.metadata_table} is empty ({table.row_count} rows): the vector index finds matches "
            "but their content cannot be returned",
            SYNC_FIX,
        )
    probe = next((n for n in inv.vector_neighbors.items if n.service == vs.service), None)
    fraction = probe.missing_fraction if probe is not None and inv.vector_neighbors.ok else None
    if fraction is not None and fraction > vs.max_missing_fraction:
        return Diagnosis(
            RAG_ZERO_RESULTS,
            f"{fraction:.0%} of the ids the vector index returns have no {vs.metadata_table} row: "
            "the metadata sync is incomplete",
            SYNC_FIX,
        )
    return None


def _migrations_skipped(req: str, resource: str, spec: Checklist, inv: Inventory) -> Diagnosis | None:
    """Phase 2 was skipped on this server, or ``--db-url`` names another server than the checklist's."""
    database = resource.split("/", 1)[0]
    facts = inv.database_facts(database) if inv.database.ok else None
    if facts is None:
        return None
    sql = spec.cloud_sql
    project = sql.connection_name.split(":", 1)[0]
    connect = f"gcloud sql connect {sql.instance} --user=postgres --project={project}"
    if req == "DB-EXISTS" or not facts.exists:
        cause = (
            f"database {database} was never created on {facts.server}, or --db-url points at another "
            f"server than {sql.connection_name} (reach it through the Cloud SQL Auth Proxy)"
        )
        return Diagnosis(MIGRATIONS_NOT_RUN, cause, f"{connect}, CREATE DATABASE {database}, then run the migrations")
    migration = resource.split("/", 1)[-1]
    return Diagnosis(
        MIGRATIONS_NOT_RUN,
        f"{migration}.sql was not run on {facts.server}/{database}; without it chat progress events "
        "(live streaming) cannot be stored",
        f"{connect} --database={database}, then \\i {migration}.sql",
    )


def _min_rows(spec: Checklist, database: str, table: str) -> int:
    for db in spec.cloud_sql.databases:
        if db.name == database and table in db.tables:
            return db.tables[table].min_rows
    return 1


def _pair_causes(api: str, workers: list[str], spec: Checklist, inv: Inventory) -> list[Diagnosis]:
    """Why the API's jobs are not picked up: "Waiting for worker" and what lies under it."""
    out: list[Diagnosis] = []
    for name in [api, *workers]:
        out += _service_causes(name, spec, inv, (_queue_type, _no_connector))
    for worker in workers:
        if (d := _redis_url_mismatch(api, worker, spec, inv)) is not None:
            out.append(d)
    for worker in workers:
        out += _service_causes(worker, spec, inv, (_throttled, _not_ready, _scaled_to_zero))
        if (d := _not_listening(worker, spec, inv)) is not None:
            out.append(d)
    return out


def _flow_service(spec: Checklist, requirement: str) -> str | None:
    flow = {
        "VER-E2E-CHAT": spec.e2e_live.chat,
        "VER-E2E-RAG": spec.e2e_live.rag,
        "VER-E2E-SCRAPER": spec.e2e_live.scraper,
    }.get(requirement)
    return flow.service if flow else None


# --- the entry point -----------------------------------------------------------------------------------


def diagnoses(verdict: Verdict, spec: Checklist, inv: Inventory) -> list[Diagnosis]:
    """Every likely cause of a failing ``verdict``, most likely first (empty when none is known), redacted."""
    return [Diagnosis(d.issue, redact(d.cause) or "", redact(d.fix)) for d in _diagnoses(verdict, spec, inv)]


def _diagnoses(verdict: Verdict, spec: Checklist, inv: Inventory) -> list[Diagnosis]:
    if verdict.status not in ("fail", "error"):
        return []
    req, resource = verdict.requirement, verdict.resource
    if req == "VER-LOGS":
        found = _service_causes(
            resource,
            spec,
            inv,
            (_throttled, _no_connector, _redis_elsewhere, _queue_type, _not_ready, _worker_server, _scaled_to_zero),
        )
        for api in _paired_apis(resource, spec):
            if (d := _redis_url_mismatch(api, resource, spec, inv)) is not None:
                found.append(d)
        return found
    if req == "VER-HEALTH":
        return _service_causes(resource, spec, inv, (_not_ready, _no_connector, _redis_elsewhere))
    if req == "SVC-READY":
        return _service_causes(resource, spec, inv, (_worker_server,))
    if req in ("DB-RAG-META", "DB-RAG-CONSISTENT"):
        return [d] if (d := _rag_data(spec, inv)) is not None else []
    if req in ("DB-EXISTS", "DB-MIGRATION"):
        return [d] if (d := _migrations_skipped(req, resource, spec, inv)) is not None else []
    if req.startswith("VER-E2E-"):
        api = _flow_service(spec, req)
        sspec = _spec_service(spec, api) if api else None
        if sspec is None:
            return []
        found = []
        if req == "VER-E2E-RAG" and (d := _rag_data(spec, inv)) is not None:
            found.append(d)
        return found + _pair_causes(api, list(sspec.pairs_with), spec, inv)
    return []


def diagnose(verdict: Verdict, spec: Checklist, inv: Inventory) -> str | None:
    """The likely cause(s) of a failing verdict as one line, or None. Pure: reads only the inventory."""
    found = list(_unique(diagnoses(verdict, spec, inv)))
    if not found:
        return None
    return " | ".join(d.text() for d in found)


def _unique(items: list[Diagnosis]) -> Iterator[Diagnosis]:
    seen: set[Diagnosis] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
