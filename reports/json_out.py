"""``conformance.json``: the report as schema-versioned JSON, and its validation against the shipped schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mobius_gate.reports.model import Report

SCHEMA_PATH = Path(__file__).with_name("conformance.schema.json")


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Raise :class:`jsonschema.ValidationError` when ``document`` does not follow the schema."""
    import jsonschema

    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())


def load(path: Path) -> Report:
    """A report written earlier (``--compare-to=PREVIOUS.json``)."""
    return Report.from_dict(json.loads(path.read_text(encoding="utf-8")))
