"""What the gate observes by running things (Phase 2 and Phase 4): database contents, vector
neighbours, health probes, worker log entries and the live flows. Sections of the
:class:`~mobius_gate.inventory.Inventory` (re-exported there)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DbTable(_Model):
    """A table of a checklist database: its columns and (bounded) row count."""

    name: str
    columns: list[str] = Field(default_factory=list)
    #: Rows counted, up to ``row_count_cap``; None = not counted.
    row_count: int | None = None
    #: The count stopped at this cap (the table has at least ``row_count`` rows).
    row_count_cap: int | None = None


class Database(_Model):
    """A database the checklist names, as found on the PostgreSQL server of ``--db-url``."""

    name: str
    #: ``host:port`` of the server (never credentials).
    server: str | None = None
    exists: bool
    #: The tables the checklist declares that exist (absent ones are simply not listed).
    tables: list[DbTable] = Field(default_factory=list)
    #: Migration ids recorded in a tracking table (``schema_migrations`` ...); None = no such table.
    applied_migrations: list[str] | None = None
    migrations_table: str | None = None

    def table(self, name: str) -> DbTable | None:
        return next((t for t in self.tables if t.name == name), None)


class VectorNeighbors(_Model):
    """Datapoint ids the Vertex AI Vector Search index returned for a probe query.

    ``ids_with_metadata`` is the subset of ``ids`` that has a row in the metadata
    table (None when it could not be looked up).
    """

    index_endpoint: str
    deployed_index_id: str
    #: The service whose env named the index (``mobius-chat-worker``).
    service: str | None = None
    ids: list[str] = Field(default_factory=list)
    database: str | None = None
    metadata_table: str | None = None
    ids_with_metadata: list[str] | None = None

    @property
    def missing_ids(self) -> list[str] | None:
        if self.ids_with_metadata is None:
            return None
        present = set(self.ids_with_metadata)
        return [i for i in self.ids if i not in present]

    @property
    def missing_fraction(self) -> float | None:
        missing = self.missing_ids
        if missing is None or not self.ids:
            return None
        return len(missing) / len(self.ids)


class HealthProbe(_Model):
    """One GET of a service's health endpoint (after bounded retries)."""

    service: str
    url: str
    status_code: int | None = None
    latency_ms: float | None = None
    #: Why no answer was recorded: the service is absent (not deployed, no URI), or the probe
    #: itself could not complete (connect error, DNS, timeout, the collection budget).
    error: str | None = None
    attempts: int = 1
    #: True when ``error`` is the probe's own failure (transport, DNS, timeout, budget): it says
    #: nothing about the service, so VER-HEALTH cannot judge. False: the service is absent.
    incomplete: bool = False


class LogEntry(_Model):
    """One Cloud Run log line of a revision; a request log has no text, only ``request`` (``GET URL → 500``)."""

    service: str
    revision: str | None = None
    timestamp: datetime | None = None
    severity: str | None = None
    text: str
    request: str | None = None

    @property
    def evidence(self) -> str:
        """What the entry shows: its text, else the request it logged, else that it carried neither."""
        return self.text or self.request or f"an entry at {self.severity or 'DEFAULT'} without a payload"


NOT_SELECTED = "the live flows of §4.4 are opt-in: run with --live-flows"


class FlowOutcome(_Model):
    """How one live end-to-end flow of §4.4 ended (VER-E2E-*)."""

    flow: str  # chat | rag | scraper
    service: str
    ok: bool
    reason: str
    step: str | None = None  # the step that failed, if any
    elapsed_s: float = 0.0
    cleanup_errors: list[str] = Field(default_factory=list)  # what may have been left behind
    #: A step's endpoint answered 501 Not Implemented: the target does not serve the flow (not judged).
    not_served: bool = False
