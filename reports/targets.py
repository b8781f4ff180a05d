"""``--compare=TARGET``: collect the other side of the gap table from where it is.

TARGET is ``emulator:SCENARIO``, ``snapshot:DIR``, ``inventory:FILE`` or ``project:ID``, or without
a prefix: an existing directory (a snapshot), a ``.json`` file (a saved inventory), a ``.yaml``
file or — when this run is on the emulator — a bundled scenario name (an emulator scenario),
otherwise a live project id. An emulator scenario named like a checklist profile (``staging``)
runs as that profile's project (``mobiusos-staging``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mobius_gate.acquire import InventorySource
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings

KINDS = ("emulator", "snapshot", "inventory", "project")


def _bundled(name: str) -> bool:
    try:
        from mobius_gate.fixtures.emulator.scenario import SCENARIO_DIR
    except ImportError:
        return False
    return (SCENARIO_DIR / f"{name}.yaml").is_file()


def parse(text: str, settings: Settings) -> tuple[str, str]:
    """(kind, value) of a ``--compare`` TARGET (see the module's rules)."""
    kind, sep, value = text.partition(":")
    if sep and kind in KINDS and value:
        return kind, value
    path = Path(text)
    if path.is_dir():
        return "snapshot", text
    if path.is_file():
        return ("inventory", text) if path.suffix == ".json" else ("emulator", text)
    if settings.emulator and not settings.emulator.startswith(("http://", "https://")) and _bundled(text):
        return "emulator", text
    return "project", text


def target_settings(text: str, settings: Settings) -> Settings:
    """The run's settings pointed at TARGET (no database, no saved inventory, no live flows)."""
    kind, value = parse(text, settings)
    profile = settings.checklist.profiles.get(Path(value).stem) if kind == "emulator" else None
    project = value if kind == "project" else profile.project if profile else settings.project
    region = settings.checklist.region_for(project)
    base = replace(
        settings,
        emulator=None,
        inventory_file=None,
        snapshot_dir=None,
        save_inventory=None,
        db_url=None,
        live_flows=False,
        project=project,
        region=region,
        spec=settings.checklist.resolve(project, region),
    )
    if kind == "emulator":
        return replace(base, emulator=value)
    if kind == "snapshot":
        return replace(base, snapshot_dir=_existing(Path(value), "dir"))
    if kind == "inventory":
        return replace(base, inventory_file=_existing(Path(value), "file"))
    return base


def _existing(path: Path, kind: str) -> Path:
    if (kind == "dir" and not path.is_dir()) or (kind == "file" and not path.is_file()):
        raise pytest.UsageError(f"--compare: no such {'directory' if kind == 'dir' else kind}: {path}")
    return path


def collect(text: str, settings: Settings) -> Inventory:
    """The inventory of TARGET, acquired once like the run's own (an in-process emulator is stopped after)."""
    source = InventorySource(target_settings(text, settings))
    try:
        return source.get()
    finally:
        source.close()
