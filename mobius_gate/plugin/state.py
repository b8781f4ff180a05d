"""What the plugin's parts share: the run's settings, inventory source and verdict stash keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate.acquire import WORKERINPUT_KEY, InventorySource
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings
from mobius_gate.verdict import Verdict

SETTINGS = pytest.StashKey[Settings]()
SOURCE = pytest.StashKey[InventorySource]()
#: The verdict judged for a check item (kept whole in this process; serialized only for xdist reports).
VERDICT = pytest.StashKey[Verdict]()
#: Whether collection met at least one gate check (a test function carrying a ``mobius_rule``).
CHECKS_SEEN = pytest.StashKey[bool]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def inventory(config: pytest.Config) -> Inventory:
    """The run's inventory: loaded from the controller's file on a worker, acquired once otherwise."""
    source = config.stash[SOURCE]
    if is_worker(config):
        path = config.workerinput.get(WORKERINPUT_KEY)  # type: ignore[attr-defined]
        if path:
            source.adopt(Path(path))
    return source.get()
