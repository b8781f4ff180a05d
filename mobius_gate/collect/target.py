"""What a collection is pointed at, and the knobs it takes.

Shared by every collector (live GCP, emulator, database, logs, health) and by
the plugin, which builds these from the command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mobius_gate.spec import Checklist


@dataclass(frozen=True)
class Target:
    """A project in a region, on live GCP (``endpoint=None``) or on the emulator."""

    project: str
    region: str
    #: ``http://127.0.0.1:8089`` for the emulator; None for live GCP with ADC.
    endpoint: str | None = None

    @property
    def is_emulator(self) -> bool:
        return self.endpoint is not None


@dataclass(frozen=True)
class CollectOptions:
    #: Bound on the whole collection; a section still running then is ``unavailable``.
    timeout_s: float = 120.0
    #: Attempts per call for transient faults (429, 5xx, timeouts).
    retry_attempts: int = 5
    #: Exponential backoff with full jitter between attempts: first wait up to this many seconds...
    retry_initial_s: float = 0.5
    #: ...doubling up to this cap.
    retry_max_s: float = 8.0
    #: Postgres URL for Phase 2 (``--db-url`` / ``CHAT_RAG_DATABASE_URL``); None = not collected.
    db_url: str | None = None
    #: How far back VER-LOGS may look for a worker's start lines (``--logs-since``); the query
    #: starts at the latest revision's start when that is later. Default: Cloud Logging's retention.
    logs_since: timedelta = field(default_factory=lambda: timedelta(days=30))
    #: Per-request timeout for health probes.
    health_timeout_s: float = 10.0
    #: Run the live end-to-end flows of §4.4 (the run selected ``-m e2e_live``).
    live_flows: bool = False
    #: The checklist resolved for the target (``--checklist``); None = the repository's checklist.yaml.
    spec: Checklist | None = None

    def __post_init__(self) -> None:
        """Refuse a budget or window that would never end or judge nothing (the CLI says so earlier)."""
        if not math.isfinite(self.timeout_s) or self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be a finite number of seconds > 0, got {self.timeout_s!r}")
        if self.logs_since <= timedelta(0):
            raise ValueError(f"logs_since must be a positive window, got {self.logs_since!r}")


class CredentialsMissing(Exception):
    """No usable credentials; the message says how to log in (one line)."""
