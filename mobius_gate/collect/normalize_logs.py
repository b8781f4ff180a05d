"""Cloud Logging entries → :class:`~mobius_gate.inventory.LogEntry`. Pure functions, no I/O.

An application line carries ``textPayload`` (or a ``jsonPayload`` with a message). A
Cloud Run *request log* (``logs/run.googleapis.com%2Frequests``) carries no payload at
all, only ``httpRequest`` — and it is written at severity ERROR when the response is a
5xx, so it is exactly what an "it logged ..." evidence picks. Its text is therefore
the request it recorded, ``POST https://svc-123.a.run.app/book → 502 in 60.369s``, never
an empty line (a recorded real entry: ``tests/collect/data/real/``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mobius_gate.inventory import LogEntry
from mobius_gate.redact import seal_text


def payload_text(payload: Any) -> str:
    """The line of a text payload, or the ``message`` of a structured one; no payload → ``""``."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, Mapping):
        for key in ("message", "msg", "textPayload"):
            if isinstance(payload.get(key), str):
                return payload[key]
    return "" if payload is None else str(payload)


def _latency(value: Any) -> str | None:
    """``"60.369159188s"`` (a Duration string) → ``60.369s``; anything else as it came."""
    if value is None or value == "":
        return None
    text = str(value)
    try:
        return f"{float(text.removesuffix('s')):.3f}s"
    except ValueError:
        return text


def request_summary(http_request: Mapping[str, Any] | None) -> str | None:
    """``GET https://.../health → 500 in 0.012s`` from an entry's ``httpRequest``; None without one.

    The URL is sealed like any project text (a query string may carry a token).
    """
    if not http_request:
        return None
    method = http_request.get("requestMethod") or "(method absent)"
    url = seal_text(str(http_request.get("requestUrl") or "(URL absent)"))
    status = http_request.get("status")
    line = f"{method} {url} → {status if status is not None else '(no status)'}"
    latency = _latency(http_request.get("latency"))
    return f"{line} in {latency}" if latency else line


def to_log_entry(
    labels: Mapping[str, str],
    *,
    timestamp: datetime | str | None,
    severity: str | None,
    payload: Any,
    http_request: Mapping[str, Any] | None,
) -> LogEntry:
    """One entry's parts (as the client parses them, or as on the wire) → :class:`LogEntry`."""
    return LogEntry(
        service=labels.get("service_name", ""),
        revision=labels.get("revision_name"),
        timestamp=timestamp,  # type: ignore[arg-type]  # pydantic parses RFC 3339 strings
        severity=severity,
        # Applications sometimes log DSNs or tokens: nothing unredacted enters the inventory.
        text=seal_text(payload_text(payload)) or "",
        request=request_summary(http_request),
    )


def log_entry_from_wire(entry: Mapping[str, Any]) -> LogEntry:
    """A ``LogEntry`` JSON object of ``entries.list`` → :class:`LogEntry`."""
    payload = entry.get("textPayload", entry.get("jsonPayload"))
    return to_log_entry(
        (entry.get("resource") or {}).get("labels") or {},
        timestamp=entry.get("timestamp"),
        severity=entry.get("severity"),
        payload=payload,
        http_request=entry.get("httpRequest"),
    )
