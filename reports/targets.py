"""``--compare=TARGET``: resolve the other side of the gap table at configure time, collect it at the end.

TARGET is ``emulator:SCENARIO`` (a bundled scenario, a scenario ``.yaml`` or an emulator URL),
``snapshot:DIR``, ``inventory:FILE`` or ``project:ID``. Without a prefix it is read, in this order,
as an existing directory (a snapshot), an existing ``.json`` file (a saved inventory), an existing
other file (a scenario ``.yaml``), a bundled scenario name (an emulator scenario) and last a live
project — only when it looks like a GCP project id; anything else is a usage error. Every
message names the reading taken, so ``--compare=stagng`` says it was read as a live project.
An emulator scenario named like a checklist profile (``staging``) runs as that profile's project
(``mobiusos-staging``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mobius_gate.acquire import InventorySource
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings

KINDS = ("emulator", "snapshot", "inventory", "project")
#: A GCP project id: 6-30 characters, lowercase letters, digits and hyphens, a letter first, no hyphen last.
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_URL = ("http://", "https://")


@dataclass(frozen=True)
class CompareTarget:
    """A resolved ``--compare`` TARGET: what it is, and how it was read (for every message)."""

    text: str  # as given
    kind: str  # emulator | snapshot | inventory | project
    value: str
    reading: str  # what it was read as, e.g. "a live project id (not a bundled scenario or an existing path)"

    @property
    def source(self) -> str:
        """The source as reports record it: ``emulator:staging``, ``snapshot:DIR``, ``live:PROJECT``."""
        return f"{'live' if self.kind == 'project' else self.kind}:{self.value}"


def bundled_scenarios() -> list[str]:
    try:
        from mobius_gate.fixtures.emulator.scenario import bundled
    except ImportError:  # installed without the emulator's extra
        return []
    return bundled()


def _known() -> str:
    return ", ".join(bundled_scenarios()) or "none installed"


def _scenario(text: str, value: str) -> CompareTarget:
    if value.startswith(_URL):
        return CompareTarget(text, "emulator", value, "the URL of a running emulator")
    if Path(value).is_file() or value in bundled_scenarios():
        return CompareTarget(text, "emulator", value, "an emulator scenario")
    raise pytest.UsageError(f"--compare: no bundled scenario {value!r} (known: {_known()})")


def _project(text: str, value: str, reading: str) -> CompareTarget:
    if not PROJECT_ID.match(value):
        raise pytest.UsageError(f"--compare: {value!r} is not a GCP project id (6-30 of a-z, 0-9, -; a letter first)")
    return CompareTarget(text, "project", value, reading)


def resolve(text: str) -> CompareTarget:
    """TARGET read by the module's rules; a target that cannot be one is one usage line."""
    kind, sep, value = text.partition(":")
    if sep and kind in KINDS and value:
        if kind == "emulator":
            return _scenario(text, value)
        if kind == "project":
            return _project(text, value, "a live project")
        path, want = Path(value), "directory" if kind == "snapshot" else "file"
        if not (path.is_dir() if kind == "snapshot" else path.is_file()):
            raise pytest.UsageError(f"--compare {text}: no such {want}: {value}")
        return CompareTarget(text, kind, value, f"a saved {kind}")
    path = Path(text)
    if path.is_dir():
        return CompareTarget(text, "snapshot", text, "a snapshot (an existing directory)")
    if path.is_file():
        if path.suffix == ".json":
            return CompareTarget(text, "inventory", text, "a saved inventory (an existing .json file)")
        return CompareTarget(text, "emulator", text, "an emulator scenario (an existing file)")
    if text in bundled_scenarios():
        return CompareTarget(text, "emulator", text, "a bundled emulator scenario")
    close = difflib.get_close_matches(text, bundled_scenarios(), n=1)
    hint = f"; did you mean emulator:{close[0]}?" if close else ""
    if not PROJECT_ID.match(text):
        raise pytest.UsageError(
            f"--compare {text}: not a bundled scenario (known: {_known()}), an existing path or a GCP project id{hint}"
        )
    return CompareTarget(text, "project", text, f"a live project id (not a bundled scenario or an existing path{hint})")


def target_settings(target: CompareTarget, settings: Settings) -> Settings:
    """The run's settings pointed at TARGET (no database, no saved inventory, no live flows)."""
    kind, value = target.kind, target.value
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
        return replace(base, snapshot_dir=Path(value))
    if kind == "inventory":
        return replace(base, inventory_file=Path(value))
    return base


class CompareFailed(Exception):
    """TARGET could not be collected; the message is one line starting ``--compare TARGET:``."""


def collect(target: CompareTarget, settings: Settings) -> Inventory:
    """The inventory of TARGET, acquired once like the run's own (an in-process emulator is stopped after).

    Any failure (no credentials, an unreachable emulator, a bad scenario) is :class:`CompareFailed`.
    """
    source = InventorySource(target_settings(target, settings))
    try:
        return source.get()
    except (pytest.UsageError, pytest.exit.Exception) as exc:
        raise CompareFailed(_line(target, str(getattr(exc, "msg", None) or exc))) from None
    except Exception as exc:  # a report's side table must not cost the run its reports
        raise CompareFailed(_line(target, f"{type(exc).__name__}: {exc}")) from None
    finally:
        source.close()


def _line(target: CompareTarget, why: str) -> str:
    from mobius_gate.redact import redact

    why = re.sub(r"^--emulator(?: \S+)?: ", "", why.strip())  # the target's collector speaks of its own option
    first = (redact(why) or "").splitlines()
    return f"--compare {target.text}: read as {target.reading}: {first[0] if first else 'failed'}"
