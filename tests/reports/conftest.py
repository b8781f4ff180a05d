"""Gate runs that write conformance reports (in-process; the prod-vs-staging run is shared, read only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.gate import GateRun, run_inprocess


@dataclass
class ReportRun:
    gate: GateRun
    out: Path

    @property
    def document(self) -> dict[str, Any]:
        return json.loads((self.out / "conformance.json").read_text())

    def text(self, name: str) -> str:
        return (self.out / name).read_text(encoding="utf-8")


def run_with_reports(out: Path, basetemp: Path, *args: str) -> ReportRun:
    gate = run_inprocess("--project=mobiusos-new", f"--conformance-report={out}", *args, basetemp=basetemp)
    return ReportRun(gate, out)


@pytest.fixture(scope="session")
def prod_vs_staging(tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    """`--emulator=prod --compare=staging --conformance-report=DIR`, with $GITHUB_STEP_SUMMARY set."""
    base = tmp_path_factory.mktemp("prod-report")
    step_summary = base / "step-summary.md"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
        run = run_with_reports(base / "out", base / "tmp", "--emulator=prod", "--compare=staging")
    assert run.gate.returncode == 1, run.gate.stdout[-3000:]
    return run
