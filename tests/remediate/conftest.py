"""Remediation tests: the real gate (in-process, ``pytest.main``) against emulators these tests own.

Every emulator a test uses is checked when it is let go: the gate never deleted anything
(no ``DELETE`` in its write journal, ever).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import Target
from mobius_gate.engine import judge_all
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist
from mobius_gate.verdict import Verdict
from tests.acceptance.gate import GateRun, run_inprocess

REPO = Path(__file__).resolve().parents[2]
PROD = "mobiusos-new"
REGION = "us-central1"
#: What only a human can supply in prod: the database URL, the Vertex index ids, module-hub's URLs.
NEEDS_A_HUMAN = {
    ("SVC-DEPLOYED", "mobius-chat-api"),
    ("SVC-DEPLOYED", "mobius-chat-worker"),
    ("SVC-DEPLOYED", "module-hub"),
}
#: Advisory failures of prod that apply leaves alone (changed only with --block-advisories).
ADVISORIES = {("DB-PRIVATE-IP", "mobius-platform-db"), ("SVC-PLAINTEXT-CREDS", "mobius-rag")}


@dataclass
class Run:
    """One gate run: exit status, everything it printed, its checks' outcomes and verdicts."""

    returncode: int
    output: str
    gate: GateRun

    def remediation(self) -> str:
        """The terminal summary's remediation section."""
        return self.output.split("mobius-gate remediation ===")[-1]

    def status(self, requirement: str, resource: str) -> str | None:
        """The status the run's check of ``(requirement, resource)`` ended with (None: not judged)."""
        for v in self.gate.verdicts.values():
            if (v["requirement"], v["resource"]) == (requirement, resource):
                return v["status"]
        return None

    def counts(self) -> str:
        """``N applied, N unchanged, N failed, N skipped, N held; N check(s) repaired``."""
        found = re.search(r"\d+ applied, .*check\(s\) repaired", self.output)
        return found.group(0) if found else ""


def audit_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def gate(tmp_path: Path) -> Callable[..., Run]:
    """``pytest checks --project=mobiusos-new --emulator=URL ARGS``, in this process (``project=None``: unnamed)."""
    runs = iter(range(1000))

    def run(url: str, *args: str, project: str | None = PROD) -> Run:
        basetemp = tmp_path / f"gate{next(runs)}"
        named = (f"--project={project}",) if project else ()
        result = run_inprocess(*named, f"--emulator={url}", *args, basetemp=basetemp)
        return Run(result.returncode, result.stdout + result.stderr, result)

    return run


def verdicts(url: str, project: str = PROD) -> dict[tuple[str, str], Verdict]:
    """Every check's verdict on what the emulator holds now (collected afresh, judged in-process)."""
    spec = load_checklist(DEFAULT_CHECKLIST).resolve(project, REGION)
    inv = collect_inventory(Target(project, REGION, url))
    return {(v.requirement, v.resource): v for v in judge_all(spec, inv)}


def end_state(url: str, project: str = PROD) -> dict[tuple[str, str], str]:
    """Every check's status on what the emulator holds now."""
    return {check: v.status for check, v in verdicts(url, project).items()}


def failing(state: dict[tuple[str, str], str]) -> set[tuple[str, str]]:
    return {check for check, status in state.items() if status == "fail"}


def journal(url: str) -> list[dict[str, Any]]:
    """The emulator's write journal (``GET /_emulator/writes``), oldest first."""
    return httpx.get(f"{url}/_emulator/writes", timeout=5).json()


def assert_never_deleted(url: str) -> None:
    deletes = [f"{w['method']} {w['path']}" for w in journal(url) if w["method"] == "DELETE"]
    assert not deletes, f"the gate deleted: {deletes}"


@pytest.fixture
def emulator() -> Iterator[Callable[..., Emulator]]:
    """Start in-process emulators (``emulator("prod", lro_polls=2)``); each is checked for deletes, then stopped."""
    started: list[Emulator] = []

    def start(scenario: str = "prod", **knobs: Any) -> Emulator:
        emu = Emulator(scenario, PROD, **knobs)
        emu.start()
        started.append(emu)
        return emu

    yield start
    try:
        for emu in started:
            assert_never_deleted(emu.url)
    finally:
        for emu in started:
            emu.stop()
