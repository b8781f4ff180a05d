"""The real ``pytest checks`` command, Phase 4, against an emulator this test runs and counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

pytestmark = pytest.mark.servers

REPO = Path(__file__).resolve().parents[2]


def gate(url: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "checks/test_verify_health.py",
        "checks/test_verify_logs.py",
        "checks/test_verify_flows.py",
        "-p",
        "no:cacheprovider",
        "-rfs",
        f"--emulator={url}",
        *args,
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)


def test_throttled_worker_fails_the_gate_with_the_cpu_diagnosis(loopback_env: dict[str, str]) -> None:
    with Emulator("worker-cpu-throttled", project="mobiusos-new") as emu:
        proc = gate(emu.url, loopback_env)
        stats = emu.stats()
    out = proc.stdout
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, out + proc.stderr
    assert "FAILED checks/test_verify_logs.py::test_worker_start_lines[mobius-chat-worker]" in out
    assert "test_worker_start_lines[mobius-rag-chunking-worker]" not in out.split("short test summary")[-1]
    assert 'Likely cause: "Worker starts then shuts down"' in out
    assert "likely causes (Common Issues & Fixes):" in out
    assert "--no-cpu-throttling --region=us-central1 --project=mobiusos-new" in out
    assert "live flows are opt-in: run with -m e2e_live" in out
    entries_list = sum(n for route, n in stats["by_route"].items() if route.endswith("/v2/entries:list"))
    assert entries_list == 1, stats["by_route"]


def test_staging_passes_phase4(loopback_env: dict[str, str]) -> None:
    with Emulator("staging", project="mobiusos-new") as emu:
        proc = gate(emu.url, loopback_env)
    assert proc.returncode == pytest.ExitCode.OK, proc.stdout + proc.stderr
    assert "release gate: PASS" in proc.stdout
