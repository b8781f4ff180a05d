"""Reading a worker's log lines as §4.3 means them: the start lines, then no stop.

A start line counts only when an entry *is* that line: its text ends with it (a logger
prefix such as ``INFO:app:`` may precede it), so ``Starting chunking worker... failed:
Redis connection refused`` is no start. After the last start line, a server stop line
(uvicorn's) or an ERROR-severity line means the worker started, then stopped: the
checklist's "Worker starts then shuts down". Judged after the latest time each start line
was logged, so a worker that stopped and started again is judged on its restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mobius_gate.observed import LogEntry

ERROR_SEVERITIES = ("ERROR", "CRITICAL", "ALERT", "EMERGENCY")
#: What uvicorn logs as its server stops (and what the log query also fetches for it).
STOP_LINES = ("Shutting down", "Application shutdown complete", "Finished server process")


def is_line(entry: LogEntry, line: str) -> bool:
    """The entry is the checklist's ``line`` (possibly after a logger prefix), not a message starting with it."""
    return entry.text.rstrip().endswith(line)


def is_error(entry: LogEntry) -> bool:
    return (entry.severity or "").upper() in ERROR_SEVERITIES


def is_stop(entry: LogEntry) -> bool:
    return any(stop in entry.text for stop in STOP_LINES)


@dataclass(frozen=True)
class StartReading:
    """What a worker's entries say: the start lines missing, and what stopped it after they were all logged."""

    missing: list[str]
    #: The first stop line or ERROR line after the last start line (None: none, or a line is missing).
    stopped: LogEntry | None
    #: The last ERROR entry of all (evidence when a line is missing).
    last_error: LogEntry | None


def read_start(entries: Sequence[LogEntry], lines: Sequence[str]) -> StartReading:
    """Judge ``entries`` (any order; sorted by time here) against the checklist's start ``lines``."""
    ordered = sorted(entries, key=lambda e: (e.timestamp is not None, e.timestamp or datetime.min))
    errors = [e for e in ordered if is_error(e)]
    last_error = errors[-1] if errors else None
    found = {line: [i for i, e in enumerate(ordered) if is_line(e, line)] for line in lines}
    missing = [line for line in lines if not found[line]]
    if missing:
        return StartReading(missing, None, last_error)
    started = max(max(hits) for hits in found.values())  # a restart that logged them again counts
    after = ordered[started + 1 :]
    stopped = next((e for e in after if e.text and (is_stop(e) or is_error(e))), None)
    return StartReading([], stopped, last_error)
