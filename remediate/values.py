"""Placeholders in fix steps, filled from the re-collected state or from values a human supplied.

``<REDIS_IP>`` becomes the Memorystore instance's host (and port) once it exists; any other
placeholder (``<secret-value>``, ``<chat-rag-database-url>``) only from ``--secret-value
NAME=@FILE``. A supplied value is read from its file when the step runs and never shown:
diffs and the audit log say ``<supplied: NAME>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mobius_gate.fixes import Step
from mobius_gate.inventory import Inventory

PLACEHOLDER = re.compile(r"<([^<>]+)>")
REDIS_IP = "REDIS_IP"


def norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


class Supplied:
    """``--secret-value`` entries: NAME → file, read on use."""

    def __init__(self, entries: tuple[tuple[str, Path], ...] = ()) -> None:
        self._files = {norm(name): path for name, path in entries}

    def has(self, name: str) -> bool:
        return norm(name) in self._files

    def read(self, name: str) -> str:
        return self._files[norm(name)].read_text(encoding="utf-8").rstrip("\n")


def _redis_address(inv: Inventory, redis_name: str) -> tuple[str | None, int | None]:
    inst = inv.redis_instance(redis_name)
    return (inst.host, inst.port) if inst is not None else (None, None)


def _names_for(step: Step, placeholder: str) -> list[str]:
    """The ``--secret-value`` names that may fill ``placeholder`` in ``step``."""
    if placeholder == "secret-value":
        return [step.target]
    return [placeholder]


class Resolution:
    """The step with every placeholder it could fill, and the ones it could not."""

    def __init__(self, step: Step, missing: list[str], supplied: list[str]) -> None:
        self.step = step
        self.missing = missing
        #: NAMEs whose values went into the step (shown as ``<supplied: NAME>``).
        self.supplied = supplied


def resolve(step: Step, inv: Inventory, redis_name: str, values: Supplied, *, reveal: bool) -> Resolution:
    """Fill ``step``'s placeholders; with ``reveal`` False supplied values stay as markers (for display)."""
    host, port = _redis_address(inv, redis_name)
    missing: list[str] = []
    supplied: list[str] = []

    def fill(text: str) -> str:
        if host:
            text = text.replace(f"<{REDIS_IP}>:6379", f"{host}:{port or 6379}").replace(f"<{REDIS_IP}>", host)

        def one(match: re.Match[str]) -> str:
            for name in _names_for(step, match.group(1)):
                if values.has(name):
                    supplied.append(name)
                    return values.read(name) if reveal else f"<supplied: {name}>"
            missing.append(match.group(0))
            return match.group(0)

        return PLACEHOLDER.sub(one, text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fill(value)
        if isinstance(value, dict):
            return {fill(k) if isinstance(k, str) else k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    params = walk(dict(step.params))
    filled = Step(step.operation, step.target, step.project, step.region, params)
    return Resolution(filled, sorted(set(missing)), sorted(set(supplied)))
