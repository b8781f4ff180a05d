"""Smoke tests of the real ``pytest`` executable: the only gate runs here that start a new interpreter.

Everything else judges in-process (``gate``); these pin that the command a user
types gives the same verdicts, that ``-n 2`` gives them from one collection, and
that a machine without credentials gets one clear line and exit 4.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect.clients import LOGIN_HINT

pytestmark = pytest.mark.servers


def test_the_pytest_command_gives_the_in_process_verdicts(gate_command, gate) -> None:
    args = ("--project=mobiusos-new", "--emulator=prod")
    command, inprocess = gate_command(*args), gate(*args)
    assert command.returncode == inprocess.returncode == pytest.ExitCode.TESTS_FAILED, command.stderr[-2000:]
    assert command.outcomes == inprocess.outcomes
    assert command.rows() == inprocess.rows()
    assert "release gate: FAIL" in command.stdout
    assert "Pr0d-Passw0rd!" not in command.stdout + command.stderr
    assert "Traceback" not in command.stdout + command.stderr


@pytest.fixture
def standalone() -> Iterator[Emulator]:
    with Emulator("prod", project="mobiusos-new") as emu:
        yield emu


def _list_calls(stats: dict) -> dict[str, int]:
    return {
        route: n for route, n in stats["by_route"].items() if route.startswith("GET") and "getIamPolicy" not in route
    }


def test_xdist_gives_identical_verdicts_from_one_collection(gate_command, gate, standalone: Emulator) -> None:
    serial = gate(f"--emulator={standalone.url}")  # this emulator's own port: never a memoized run
    serial_calls = _list_calls(standalone.stats())
    standalone.reset_stats()
    parallel = gate_command(f"--emulator={standalone.url}", "-n", "2")
    parallel_calls = _list_calls(standalone.stats())
    assert parallel.returncode == serial.returncode == pytest.ExitCode.TESTS_FAILED, parallel.stderr[-2000:]
    assert parallel.outcomes == serial.outcomes
    assert parallel.rows() == serial.rows()
    assert parallel_calls == serial_calls, "-n 2 must collect once, exactly like a serial run"
    assert standalone.stats()["writes"] == 0, "a run without --remediate must not write"


def test_no_credentials_is_one_clear_line(gate_command, loopback_env: dict[str, str], tmp_path: Path) -> None:
    """No ADC anywhere (env, HOME, gcloud config, metadata server): exit 4 and the login hint."""
    env = {**loopback_env, "HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    run = gate_command("--project=mobiusos-new", "-m", "infra", env=env)
    out = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, out[-2000:]
    hint = [line for line in out.splitlines() if "gcloud auth application-default login" in line]
    assert len(hint) == 1 and re.fullmatch(rf"!+ _pytest\.outcomes\.Exit: {re.escape(LOGIN_HINT)} !+", hint[0]), hint
    assert LOGIN_HINT == (
        "No Google Cloud credentials found: run `gcloud auth application-default login` "
        "(or set GOOGLE_APPLICATION_CREDENTIALS) and retry."
    )
    assert "Traceback" not in out
    assert not run.outcomes
