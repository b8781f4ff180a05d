"""Helpers for running the real `pytest checks` command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class GateRun:
    returncode: int
    stdout: str
    stderr: str
    outcomes: dict[str, str]  # node id → passed/failed/error/skipped/xfailed

    def with_outcome(self, outcome: str) -> set[str]:
        return {node for node, value in self.outcomes.items() if value == outcome}


@pytest.fixture
def run_gate(tmp_path: Path, loopback_env: dict[str, str]):
    """Run `pytest checks ...` from the repository root and read back each check's outcome."""

    def run(*args: str, timeout: float = 240) -> GateRun:
        report = tmp_path / f"outcomes-{len(list(tmp_path.iterdir()))}.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "checks",
            "-p",
            "no:cacheprovider",
            "-rfE",
            "-p",
            "tests.acceptance.outcome_log",
            f"--outcome-log={report}",
            *args,
        ]
        proc = subprocess.run(cmd, cwd=REPO, env=loopback_env, capture_output=True, text=True, timeout=timeout)
        outcomes = json.loads(report.read_text()) if report.exists() else {}
        return GateRun(proc.returncode, proc.stdout, proc.stderr, outcomes)

    return run
