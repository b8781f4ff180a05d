"""Remediation tests: the real gate in a subprocess against an in-process emulator this test owns."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import Target
from mobius_gate.engine import judge_all
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist

REPO = Path(__file__).resolve().parents[2]
PROD = "mobiusos-new"
REGION = "us-central1"


@dataclass
class Run:
    returncode: int
    stdout: str

    def audit(self, path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def prod() -> Iterator[Emulator]:
    with Emulator("prod", PROD) as emu:
        yield emu


@pytest.fixture
def gate(loopback_env: dict[str, str]) -> Callable[..., Run]:
    """``pytest checks --project=mobiusos-new --emulator=URL ARGS`` from the repository root."""

    def run(emu: Emulator, *args: str, project: str = PROD) -> Run:
        cmd = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider", "-rfE"]
        cmd += [f"--project={project}", f"--emulator={emu.url}", *args]
        proc = subprocess.run(cmd, cwd=REPO, env=loopback_env, capture_output=True, text=True, timeout=120)
        return Run(proc.returncode, proc.stdout + proc.stderr)

    return run


def end_state(emu: Emulator, project: str = PROD) -> dict[tuple[str, str], str]:
    """Every check's status on what the emulator holds now (collected afresh, judged in-process)."""
    spec = load_checklist(DEFAULT_CHECKLIST).resolve(project, REGION)
    inv = collect_inventory(Target(project, REGION, emu.url))
    return {(v.requirement, v.resource): v.status for v in judge_all(spec, inv)}
