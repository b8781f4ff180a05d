"""Get the run's inventory exactly once: from a file, a snapshot, the emulator or live GCP.

The controller process acquires it; pytest-xdist workers load the JSON the
controller wrote (passed in ``workerinput``), so a run with ``-n 4`` makes one
collection, not four.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mobius_gate import heap
from mobius_gate.collect.target import CollectOptions, CredentialsMissing, Target
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings

WORKERINPUT_KEY = "mobius_inventory_path"
#: Longest wait for a running emulator to answer (``--emulator URL``), seconds; the budget caps it.
PROBE_TIMEOUT_S = 5.0


class InventorySource:
    """Lazily produces the inventory for a run and owns an in-process emulator, if any."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._inventory: Inventory | None = None
        self._emulator: Any = None
        self._stopping: threading.Thread | None = None
        #: The JSON file handed to xdist workers (controller only); removed by :meth:`close`.
        self.shared_path: Path | None = None
        #: Where the inventory was collected from (None for a file or a snapshot).
        self.target: Target | None = None
        #: ``after(inventory, source) -> inventory``: run once on the acquired inventory while the
        #: emulator still serves (``--remediate`` plans or applies here, then re-collects).
        self.after_acquire: Any = None

    def get(self) -> Inventory:
        if self._inventory is None:
            self._inventory = self._acquire()
            heap.settle("collected")  # the clients and the inventory live until the end of the run
            if self.after_acquire is not None:
                self._inventory = self.after_acquire(self._inventory, self)
            self._release_emulator()
            if self.settings.save_inventory:
                save_inventory(self._inventory, self.settings.save_inventory)
        return self._inventory

    def share(self) -> Path:
        """Acquire, then write the inventory to a temporary file for the xdist workers."""
        if self.shared_path is None:
            fd, name = tempfile.mkstemp(prefix="mobius-inventory-", suffix=".json")
            os.close(fd)
            self.shared_path = Path(name)
            self.get().save(self.shared_path)
        return self.shared_path

    def adopt(self, path: Path) -> None:
        """On an xdist worker: use the controller's inventory instead of collecting again."""
        if self._inventory is None:
            self._inventory = load_inventory_file(path)

    def close(self) -> None:
        self._release_emulator()
        if self._stopping is not None:
            self._stopping.join(timeout=10)
            self._stopping = None
        if self.shared_path is not None:
            self.shared_path.unlink(missing_ok=True)
            self.shared_path = None

    def _release_emulator(self) -> None:
        """The in-process emulator serves one collection: stop it while the checks run, not after them."""
        if self._emulator is not None:
            self._stopping = threading.Thread(target=self._emulator.stop, name="emulator-stop", daemon=True)
            self._stopping.start()
            self._emulator = None

    def _acquire(self) -> Inventory:
        s = self.settings
        if s.inventory_file:
            return load_inventory_file(s.inventory_file)
        if s.snapshot_dir:
            from mobius_gate.collect.snapshot import SnapshotError, load_snapshot

            try:
                return load_snapshot(s.snapshot_dir, s.project, s.region)
            except SnapshotError as exc:
                raise pytest.UsageError(f"--snapshot: {exc}") from None
        from mobius_gate.collect import collect_inventory

        target = self.target = Target(s.project, s.region, self._emulator_endpoint())
        try:
            return collect_inventory(target, self.collect_options())
        except CredentialsMissing as exc:
            pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)

    def collect_options(self) -> CollectOptions:
        s = self.settings
        return CollectOptions(
            timeout_s=s.collect_timeout, db_url=s.db_url, logs_since=s.logs_since, spec=s.spec, live_flows=s.live_flows
        )

    def _emulator_endpoint(self) -> str | None:
        emulator = self.settings.emulator
        if emulator is None:
            return None
        if emulator.startswith(("http://", "https://")):
            url = emulator.rstrip("/")
            _require_emulator_at(url, min(PROBE_TIMEOUT_S, self.settings.collect_timeout))
            return url
        try:
            from mobius_gate.fixtures.emulator import Emulator, ScenarioError
        except ImportError as exc:  # installed without the extra that serves it (Starlette, uvicorn)
            missing = exc.name.partition(".")[0] if exc.name else exc  # the package, not its submodule
            raise pytest.UsageError(
                f"--emulator {emulator}: the bundled emulator needs `pip install 'mobius-gate[emulator]'` "
                f"({missing} is missing); or pass the URL of a running one"
            ) from None
        try:
            self._emulator = Emulator(emulator, project=self.settings.project)
        except ScenarioError as exc:
            raise pytest.UsageError(f"--emulator: {exc}") from None
        return self._emulator.start()


def _require_emulator_at(url: str, budget_s: float) -> None:
    """One usage line, instead of an error per check, when no emulator answers at ``url`` in time."""
    import httpx

    from mobius_gate import httpclient
    from mobius_gate.collect.budget import BudgetExhausted, within

    def probe() -> None:
        httpclient.get(f"{url}/_emulator/stats", timeout=budget_s).raise_for_status()

    try:
        within(probe, budget_s, "emulator-probe")  # a dripping server defeats httpx's per-read timeout
    except (httpx.HTTPError, BudgetExhausted) as exc:
        # httpx's own timeout and the budget are the same length: either one means no answer in time.
        late = isinstance(exc, (BudgetExhausted, httpx.TimeoutException))
        why = f"no answer within {budget_s:g} s" if late else type(exc).__name__
        raise pytest.UsageError(
            f"--emulator {url}: no mobius-gate emulator answers there ({why}); "
            "start one with `python -m mobius_gate.fixtures.emulator --scenario prod --port 8089`"
        ) from None


def save_inventory(inventory: Inventory, path: Path) -> None:
    """``--save-gate-inventory``: write the JSON, or stop with one line saying why it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        inventory.save(path)
    except OSError as exc:
        raise pytest.UsageError(f"--save-gate-inventory: cannot write {path}: {exc.strerror or exc}") from None


def load_inventory_file(path: Path) -> Inventory:
    try:
        return Inventory.load(path)
    except (OSError, ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise pytest.UsageError(f"--gate-inventory {path}: not a saved mobius-gate inventory: {first}") from None
