"""``--live-flows`` on the emulator: it serves no flow endpoints, so VER-E2E-* cannot judge (errors, not fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate.collect.flows import EMULATOR_FLOWS
from tests.acceptance.gate import CHECKS_DIR, run_inprocess

pytestmark = pytest.mark.servers


def test_live_flows_on_a_conformant_emulator_project_are_errors_naming_why(tmp_path: Path) -> None:
    run = run_inprocess(
        "--project=mobiusos-new",
        "--emulator=staging",
        "--live-flows",
        basetemp=tmp_path / "gate",
        target=CHECKS_DIR / "test_verify_flows.py",
    )
    flows = {v["resource"]: v for v in run.verdicts.values() if v["requirement"].startswith("VER-E2E-")}
    assert set(flows) == {"mobius-chat-api", "mobius-rag", "mobius-skills-scraper"}, run.stdout[-2000:]
    assert {v["status"] for v in flows.values()} == {"error"}, [v["reason"] for v in flows.values()]
    assert all(EMULATOR_FLOWS in v["reason"] for v in flows.values())
    assert run.returncode == 6, run.stdout[-2000:]
