"""The audit log: one JSON line per change made, appended (``.mobius-gate/audit.jsonl``).

Fields: ``time`` (UTC), ``principal``, ``project``, ``resource``, ``operation``, ``checks``
(the requirement/resource pairs it repairs), ``diff`` (field, before, after), ``operation_name``
(the long-running operation), ``result`` and, when a write met a concurrent change (409 on a
stale etag) and was re-read, re-judged and retried once, ``conflicts`` (what the API said).
Every text goes through the redaction layer;
secret payloads never appear (a supplied value is written as ``<supplied: NAME>``).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobius_gate.remediate.model import Change

from mobius_gate.redact import redact


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def principal_of(credentials: Any, emulator: bool) -> str:
    """Who makes the changes: the service account's email, else the kind of credentials."""
    if emulator:
        return "emulator"
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return email
    return f"{type(credentials).__name__} (Application Default Credentials)"


class AuditLog:
    """Appends one line per change; thread-safe, created on first write.

    ``path`` None: nothing is kept (an in-process scenario emulator, thrown away at exit, without
    an explicit ``--audit-log``); the lines are still counted.
    """

    def __init__(self, path: Path | None, principal: str, project: str) -> None:
        self.path = path
        self.principal = principal
        self.project = project
        self._lock = threading.Lock()
        self.written = 0

    def record(self, change: Change, result: str, conflicts: list[str] | None = None) -> None:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "principal": self.principal,
            "project": self.project,
            "resource": change.resource,
            "operation": change.step.operation,
            "checks": [f"{req} {res}" for req, res in change.checks],
            "diff": [d.to_dict() for d in change.diff],
            "operation_name": change.operation_name,
            "result": result,
        }
        if conflicts:
            entry["conflicts"] = list(conflicts)
        line = json.dumps(_redacted(entry), sort_keys=False, default=str)
        with self._lock:
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            self.written += 1
