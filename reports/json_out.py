"""``conformance.json``: the report as schema-versioned JSON, and its validation against the shipped schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mobius_gate.reports.model import SCHEMA_VERSION, Report

SCHEMA_PATH = Path(__file__).with_name("conformance.schema.json")


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Raise :class:`jsonschema.ValidationError` when ``document`` does not follow the schema."""
    import jsonschema

    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())


class ReportFileError(ValueError):
    """A ``--compare-to`` file that is not a conformance report this gate reads; one line naming why."""


def _missing(document: Any, rule: dict[str, Any], where: str) -> str | None:
    """The first required key of ``rule`` (a schema object) that ``document`` lacks, as ``where.key``."""
    if not isinstance(document, dict):
        return f"{where or 'the document'} is not a JSON object"
    for key in rule.get("required", ()):
        if key not in document:
            return f"no {where + '.' if where else ''}{key}"
    return None


def check(document: Any) -> None:
    """The checks :func:`load` needs, against the shipped schema: version, required keys, their shapes.

    Runs without ``jsonschema`` (a development dependency); :func:`validate` is the full check.
    """
    spec = schema()
    why = _missing(document, spec, "")
    if why is None and document["schema_version"] != SCHEMA_VERSION:
        why = f"schema_version {document['schema_version']!r}, this gate reads {SCHEMA_VERSION!r}"
    why = why or _missing(document["run"], spec["properties"]["run"], "run")
    if why is None and not isinstance(document["checks"], list):
        why = "checks is not a list"
    item = spec["$defs"]["check"]
    for i, row in enumerate(document["checks"] if why is None else ()):
        why = why or _missing(row, item, f"checks[{i}]")
    if why:
        raise ReportFileError(f"not a mobius-gate conformance report (conformance.json): {why}")


def load(path: Path) -> Report:
    """A report written earlier (``--compare-to=PREVIOUS.json``); :class:`ReportFileError` when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportFileError(f"cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    check(document)
    try:
        return Report.from_dict(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportFileError(f"not a mobius-gate conformance report (conformance.json): {exc}") from None
