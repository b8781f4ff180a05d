"""Fixtures that run the release gate: in-process (memoized per argument list) and as a real command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from tests.acceptance.gate import GateRun, run_inprocess, run_subprocess

Gate = Callable[..., GateRun]


@pytest.fixture(scope="session")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    """``gate(*args)``: the gate's run with these arguments, in this process.

    Runs are memoized for the session: the same arguments (a bundled scenario, a
    file a test wrote under its own tmp_path) give the same run, so the pinned-set
    tests and the golden test share one run per scenario.
    """
    runs: dict[tuple[str, ...], GateRun] = {}

    def run(*args: str) -> GateRun:
        if args not in runs:
            runs[args] = run_inprocess(*args, basetemp=tmp_path_factory.mktemp("gate"))
        return runs[args]

    return run


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[Callable[[str], str]]:
    """``emulator_url(scenario)``: the URL of one emulator per scenario, started on first use, for the session.

    For runs that add options to a scenario already judged: ``--emulator=URL`` skips
    starting the scenario again (a run without ``--remediate`` never writes to it).
    """
    running: dict[str, Emulator] = {}

    def url(scenario: str) -> str:
        if scenario not in running:
            running[scenario] = Emulator(scenario, project="mobiusos-new")
            running[scenario].start()
        return running[scenario].url

    yield url
    for emulator in running.values():
        emulator.stop()


@pytest.fixture
def gate_command(tmp_path: Path, loopback_env: dict[str, str]) -> Gate:
    """``gate_command(*args, env=...)``: the real ``pytest checks ARGS`` in a subprocess (loopback env, no ADC)."""

    def run(*args: str, env: dict[str, str] | None = None) -> GateRun:
        log = tmp_path / f"outcomes-{len(list(tmp_path.glob('outcomes-*')))}.json"
        return run_subprocess(*args, env=loopback_env if env is None else env, log=log)

    return run
