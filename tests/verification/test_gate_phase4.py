"""The ``pytest checks`` run (in-process), Phase 4, against an emulator this test runs and counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from tests.acceptance.gate import GateRun, run_inprocess

pytestmark = pytest.mark.servers


def gate(url: str, basetemp: Path, *args: str) -> GateRun:
    """``pytest checks --requirement=VER-HEALTH,VER-LOGS --emulator=URL``, in-process (tests/acceptance/gate.py)."""
    phase4 = "--requirement=VER-HEALTH,VER-LOGS"
    return run_inprocess(f"--emulator={url}", phase4, "-rfEs", *args, basetemp=basetemp / "inner")


def test_throttled_worker_fails_the_gate_with_the_cpu_diagnosis(tmp_path: Path) -> None:
    with Emulator("worker-cpu-throttled", project="mobiusos-new") as emu:
        proc = gate(emu.url, tmp_path)
        stats = emu.stats()
    out = proc.stdout
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, out + proc.stderr
    assert "FAILED checks/test_verify_logs.py::test_worker_start_lines[mobius-chat-worker]" in out
    assert "test_worker_start_lines[mobius-rag-chunking-worker]" not in out.split("short test summary")[-1]
    assert 'Likely cause: "Worker starts then shuts down"' in out
    assert "likely causes (Common Issues & Fixes):" in out
    assert "--no-cpu-throttling --region=us-central1 --project=mobiusos-new" in out
    assert "partial run: no release verdict (exit 1)" in out
    entries_list = sum(n for route, n in stats["by_route"].items() if route.endswith("/v2/entries:list"))
    assert entries_list == 1, stats["by_route"]


def test_staging_passes_phase4(tmp_path: Path) -> None:
    with Emulator("staging", project="mobiusos-new") as emu:
        proc = gate(emu.url, tmp_path)
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert "partial run: no release verdict (exit 0)" in proc.stdout
