"""The checklist's "Common Issues & Fixes" as one table: which failing check explains which symptom.

A *symptom* is what a user sees (VER-LOGS: a worker never logged "Worker listening";
VER-HEALTH failing; a VER-E2E flow stalled; DB-RAG-CONSISTENT: RAG returns 0 results).
Its likely *cause* is another check's failing verdict (SVC-CPU-ALWAYS: "Worker starts then
shuts down"; SVC-VPC-CONNECTOR: "Service can't reach Redis"; ...). Each :class:`Row` names
the symptom requirements it explains, the cause requirement, the issue as the checklist
heads it, the cause text and the checklist's fix in words.

The gate fills a row's text from the cause verdict (:mod:`mobius_gate.diagnose`); the local
end-to-end flows (``e2e/flows.py``), which have no verdicts, fill it from what they observe.
A row whose cause is its symptom's own requirement (``DB-RAG-META`` explaining itself) is
the reading of last resort: it is shown only when no other row names the same issue.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Issue names, as the checklist's headings say them.
WAITING_FOR_WORKER = "Waiting for worker"
STARTS_THEN_SHUTS_DOWN = "Worker starts then shuts down"
RAG_ZERO_RESULTS = "RAG returns 0 results"
CANT_REACH_REDIS = "Service can't reach Redis"
NOT_READY = "Service not ready"
SCALED_TO_ZERO = "Worker not running"
MIGRATIONS_NOT_RUN = "Phase 2 migrations not run"
NO_WORKER_SERVER = "Worker has no HTTP server"

#: What a deviation leads to, as a Phase 3 reason says it (the consequence, not a diagnosis).
JOBS_WAIT = 'jobs wait for a worker that never sees them ("Waiting for worker...")'
SERVICE_CANT_REACH_REDIS = "the service can't reach Redis"
WORKER_SHUTS_DOWN = "the worker starts then shuts down"

#: The checklist's §2.2 sync, in words.
SYNC = "run dbt sync (cd mobius-dbt && python scripts/sync_mart_to_chat.py --dest prod) or copy from staging"

_FLOWS = ("VER-E2E-CHAT", "VER-E2E-RAG", "VER-E2E-SCRAPER")
#: A service that does not run: its logs, its health, the flows through it.
_RUNTIME = ("VER-LOGS", "VER-HEALTH", *_FLOWS)
#: A job that is not picked up: the worker's logs and the flows.
_QUEUE = ("VER-LOGS", *_FLOWS)
_RAG = ("DB-RAG-CONSISTENT", "VER-E2E-RAG")


@dataclass(frozen=True)
class Row:
    """One Common Issue: the symptoms it explains, the check whose failure shows it, its text and fix.

    ``text`` is formatted with the cause's ``service`` (its resource, ``a+b`` read "a and b"),
    ``reason``, ``expected`` and ``actual``; ``fix`` is the checklist's fix in words (the gate
    shows the cause verdict's own command instead).
    """

    key: str
    symptoms: tuple[str, ...]
    cause: str
    issue: str
    text: str
    fix: str
    #: SVC-ENV only: the variable whose verdict is the cause.
    env: str | None = None


TABLE: tuple[Row, ...] = (
    Row(
        "cpu-throttled",
        _RUNTIME,
        "SVC-CPU-ALWAYS",
        STARTS_THEN_SHUTS_DOWN,
        "{service} runs with CPU throttling, so its background worker thread gets no CPU outside requests "
        "(staging's #1 issue)",
        "redeploy with --no-cpu-throttling",
    ),
    Row(
        "no-connector",
        _RUNTIME,
        "SVC-VPC-CONNECTOR",
        CANT_REACH_REDIS,
        "{service} does not use {expected} ({actual}), so it cannot reach Redis' private IP",
        "deploy with --vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only",
    ),
    Row(
        "redis-elsewhere",
        _RUNTIME,
        "INF-REDIS-URL",
        WAITING_FOR_WORKER,
        "{service}'s REDIS_URL points at {actual}, not at the Redis instance ({expected}): "
        "it is not sharing the API's Redis",
        "set REDIS_URL to the instance's private IP (redis://<REDIS_IP>:6379/0)",
    ),
    Row(
        "queue-type",
        _QUEUE,
        "SVC-ENV",
        WAITING_FOR_WORKER,
        "{service} has QUEUE_TYPE {actual}, not {expected}: requests never reach the shared Redis queue",
        "set QUEUE_TYPE=redis on the API and its worker",
        env="QUEUE_TYPE",
    ),
    Row(
        "redis-not-shared",
        _QUEUE,
        "SVC-REDIS-SHARED",
        WAITING_FOR_WORKER,
        "{service} do not share one Redis queue ({actual}): the worker polls a queue the API never writes to",
        "give both the same REDIS_URL (and --vpc-connector)",
    ),
    Row(
        "not-ready",
        ("VER-LOGS", "VER-HEALTH", *_FLOWS),
        "SVC-READY",
        NOT_READY,
        "{service}'s latest revision is not ready and serving ({actual})",
        "read the revision's conditions (gcloud run revisions describe), then redeploy or roll back",
    ),
    Row(
        "no-worker-server",
        ("SVC-READY", "VER-LOGS"),
        "SVC-COMMAND",
        NO_WORKER_SERVER,
        "{service} does not run app.worker_server:app ({actual}), so nothing listens on PORT for Cloud Run's "
        "health check (staging note 3: workers need the worker_server HTTP endpoint)",
        "deploy the worker with the worker_server command and args of checklist.yaml",
    ),
    Row(
        "scaled-to-zero",
        _QUEUE,
        "SVC-MIN-INSTANCES",
        SCALED_TO_ZERO,
        "{service} has min instances {actual}: no instance stays up to poll Redis",
        "deploy with --min-instances=1",
    ),
    Row(
        "not-listening",
        _FLOWS,
        "VER-LOGS",
        WAITING_FOR_WORKER,
        "{service} is not consuming the queue ({reason})",
        "deploy it with --min-instances=1 --no-cpu-throttling and check its logs for 'Worker listening'",
    ),
    Row(
        "rag-metadata",
        ("DB-RAG-META", *_RAG),
        "DB-RAG-META",
        RAG_ZERO_RESULTS,
        "{reason}: the vector index finds matches but their content cannot be returned",
        SYNC,
    ),
    Row(
        "rag-partial",
        _RAG,
        "DB-RAG-CONSISTENT",
        RAG_ZERO_RESULTS,
        "the metadata sync is incomplete: {reason}",
        SYNC,
    ),
    Row(
        "no-database",
        ("DB-EXISTS", "DB-MIGRATION"),
        "DB-EXISTS",
        MIGRATIONS_NOT_RUN,
        "{reason}: it was never created there, or --db-url points at another server than the checklist's "
        "Cloud SQL instance (reach it through the Cloud SQL Auth Proxy)",
        "gcloud sql connect, CREATE DATABASE, then run the migrations",
    ),
    Row(
        "migration-not-run",
        ("DB-MIGRATION",),
        "DB-MIGRATION",
        MIGRATIONS_NOT_RUN,
        "{reason}: its .sql file was not run on this server (Phase 2 skipped, or --db-url names another server)",
        "gcloud sql connect --database=mobius_chat, then \\i the migration's .sql file",
    ),
)

#: Every requirement some row explains: only their failures are diagnosed.
SYMPTOMS = frozenset(s for row in TABLE for s in row.symptoms)
ROWS = {row.key: row for row in TABLE}


def rows_for(symptom: str) -> tuple[Row, ...]:
    """The rows that may explain a failing ``symptom`` requirement, most likely first."""
    return tuple(row for row in TABLE if symptom in row.symptoms)
