"""Reading wire values: JSON dicts from messages, resource paths, and typed scalars.

Pure functions shared by the normalizers (:mod:`mobius_gate.collect.normalize`): a
value the wire does not carry stays ``None``; a value that cannot be what it claims
raises :class:`WireError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message as PbMessage


class WireError(ValueError):
    """Wire data that cannot be read as the resource it claims to be."""


def to_wire(data: Any) -> dict[str, Any]:
    """A JSON dict as on the wire, from a dict, a proto-plus message or a protobuf message.

    Messages go through ``MessageToDict``, which omits fields holding their
    default value exactly as the REST API does (``cpuIdle: false`` disappears).
    """
    if isinstance(data, Mapping):
        return dict(data)
    pb = data if isinstance(data, PbMessage) else getattr(type(data), "pb", None)
    if isinstance(pb, PbMessage):
        return json_format.MessageToDict(pb)
    if callable(pb):
        return json_format.MessageToDict(pb(data))
    raise WireError(f"expected a JSON object or an API message, got {type(data).__name__}")


def short_name(path: str | None) -> str | None:
    """``projects/P/locations/R/connectors/NAME`` → ``NAME``; a short name stays as is."""
    if not path:
        return None
    return path.rstrip("/").rsplit("/", 1)[-1]


def path_segment(path: str | None, collection: str) -> str | None:
    """The id after ``collection`` in a resource path (``locations`` → ``us-central1``)."""
    parts = (path or "").split("/")
    for i, part in enumerate(parts[:-1]):
        if part == collection:
            return parts[i + 1]
    return None


def as_int(value: Any) -> int | None:
    """An integer from a JSON number or string (int64 fields travel as strings); absent → None."""
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise WireError(f"expected an integer, got {value!r}") from None


def as_bool(value: Any) -> bool | None:
    """A boolean from JSON or an annotation string (``'false'``); absent → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise WireError(f"expected 'true' or 'false', got {value!r}")


def duration_s(value: Any) -> int | None:
    """``"3600s"`` / ``"3600.5s"`` / ``{"seconds": 3600}`` → 3600."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return as_int(value.get("seconds", 0))
    text = str(value).strip()
    if text.endswith("s"):
        text = text[:-1]
    try:
        return int(float(text))
    except ValueError:
        raise WireError(f"expected a duration like '300s', got {value!r}") from None


def max_of(*values: int | None) -> int | None:
    """The largest of the values present, or None."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def min_of(*values: int | None) -> int | None:
    """The smallest of the values present, or None."""
    present = [v for v in values if v is not None]
    return min(present) if present else None


def main_container(containers: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The serving container: the one exposing a port, else the first (sidecars aside)."""
    if not containers:
        return {}
    return next((c for c in containers if c.get("ports")), containers[0])


def connector_path(name: str | None, project: str | None, region: str | None) -> str | None:
    """Full connector path for a short or full connector reference."""
    if not name:
        return None
    if "/" in name:
        return name
    if project and region:
        return f"projects/{project}/locations/{region}/connectors/{name}"
    return None
