"""Running the release gate as a user does, and reading back what it decided.

:func:`run_inprocess` runs ``pytest <checks> ARGS`` through ``pytest.main`` in this
process (about 0.8 s a run instead of about 3 s for a fresh interpreter);
:func:`run_subprocess` runs the real ``pytest`` executable. Both use only the
plugin's public behaviour: its options, exit status, terminal output, each
check's outcome and its ``mobius_verdict`` user property.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mobius_gate.plugin import CHECKS_DIR
from tests.acceptance.outcome_log import OutcomeLog

REPO = Path(__file__).resolve().parents[2]
#: Every run: no cache, the short summary of failures and errors (as the original tests read it).
COMMON_ARGS = ("-p", "no:cacheprovider", "-rfE")
#: Environment variables that would change an inner pytest run behind the test's back.
PYTEST_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")
#: What varies between runs of the same scenario: the emulator's port and measured latencies.
_VOLATILE = ((re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"), (re.compile(r"\b\d+ ms\b"), "N ms"))

Row = tuple[str, str, str, str]


@dataclass
class GateRun:
    returncode: int
    stdout: str
    stderr: str
    outcomes: dict[str, str]  # node id → passed/failed/error/skipped/xfailed
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)  # node id → mobius_verdict

    def with_outcome(self, outcome: str) -> set[str]:
        return {node for node, value in self.outcomes.items() if value == outcome}

    def rows(self) -> list[Row]:
        """Sorted (requirement, resource, status, reason) per check; ("?", test name, "noverdict", "") without one.

        Loopback ports read ``127.0.0.1:PORT`` and latencies ``N ms``: they vary between runs.
        """
        rows: list[Row] = []
        for node in self.outcomes:
            v = self.verdicts.get(node)
            if v is None:
                rows.append(("?", node.rpartition("::")[2], "noverdict", ""))
            else:
                rows.append((v["requirement"], v["resource"], v["status"], stable(v["reason"])))
        return sorted(rows)


def stable(reason: str) -> str:
    for pattern, replacement in _VOLATILE:
        reason = pattern.sub(replacement, reason)
    return reason


def run_inprocess(*args: str, basetemp: Path, target: Path = CHECKS_DIR) -> GateRun:
    """``pytest <checks> ARGS`` via ``pytest.main`` here, from the repository root; output captured.

    ``target`` narrows the run to one file of the checks (as ``pytest checks/test_x.py`` does).
    """
    log = OutcomeLog()
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in PYTEST_ENV:
            mp.delenv(name, raising=False)
        mp.chdir(REPO)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            argv = [str(target), *COMMON_ARGS, "--capture=sys", f"--rootdir={REPO}", f"--basetemp={basetemp}"]
            code = pytest.main([*argv, *args], plugins=[log])
    return GateRun(int(code), out.getvalue(), err.getvalue(), log.outcomes, log.verdicts)


def run_subprocess(*args: str, env: dict[str, str], log: Path, timeout: float = 240) -> GateRun:
    """The real ``pytest`` executable on ``checks`` from the repository root, in ``env``."""
    executable = Path(sys.executable).with_name("pytest")
    cmd = [str(executable), "checks", *COMMON_ARGS, "-p", "tests.acceptance.outcome_log", f"--outcome-log={log}"]
    proc = subprocess.run([*cmd, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    record = json.loads(log.read_text()) if log.exists() else {"outcomes": {}, "verdicts": {}}
    return GateRun(proc.returncode, proc.stdout, proc.stderr, record["outcomes"], record["verdicts"])


def read_rows(path: Path) -> list[Row]:
    """A golden file: one tab-separated (requirement, resource, status, reason) row a line, sorted."""
    rows: list[Row] = []
    for line in path.read_text().splitlines():
        requirement, resource, status, reason = line.split("\t")
        rows.append((requirement, resource, status, reason))
    return sorted(rows)


def format_rows(rows: list[Row]) -> str:
    return "".join("\t".join(row) + "\n" for row in sorted(rows))


def node(test: str) -> str:
    """``checks/<topic file>.py::test[param]`` for a check named ``test[param]``, wherever its topic module is."""
    name = test.split("[", 1)[0]
    for module in sorted(CHECKS_DIR.glob("test_*.py")):
        if f"def {name}(" in module.read_text():
            return f"checks/{module.name}::{test}"
    raise LookupError(f"no check named {name} in {CHECKS_DIR}")
