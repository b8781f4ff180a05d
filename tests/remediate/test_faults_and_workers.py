"""The same end state under 20 % injected faults (in-process) and with xdist workers (-n 2, a subprocess).

The two applies run at the same time on two emulators: the faulty one mostly waits on the
retries' back-off, the other on its workers starting.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.acceptance.gate import run_subprocess
from tests.remediate.conftest import ADVISORIES, NEEDS_A_HUMAN, PROD, audit_lines, end_state, failing, journal

pytestmark = pytest.mark.servers


def test_same_end_state_with_faults_and_with_workers(emulator, gate, loopback_env, tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text("jwt-value-for-faults")
    args = ("--remediate=apply", "--yes", "--max-changes=20", f"--secret-value=jwt-secret=@{secret}")
    serial, workers = emulator("prod", fault_rate=0.2, seed=4), emulator("prod")
    cmd = [f"--project={PROD}", f"--emulator={workers.url}", *args, f"--audit-log={tmp_path / 'workers.jsonl'}"]

    with ThreadPoolExecutor(1) as pool:
        parallel = pool.submit(run_subprocess, *cmd, "-n", "2", env=loopback_env, log=tmp_path / "outcomes.json")
        first = gate(serial.url, *args, f"--audit-log={tmp_path / 'serial.jsonl'}")
        second = parallel.result()

    assert "2 workers" in second.stdout, second.stdout[:2000]
    assert serial.stats()["faults"] > 0
    serial.configure(fault_rate=0.0)
    for output in (first.output, second.stdout + second.stderr):
        assert "13 applied, 0 unchanged, 0 failed" in output, output[-3000:]
    assert len(audit_lines(tmp_path / "serial.jsonl")) == len(audit_lines(tmp_path / "workers.jsonl")) == 13
    # one writer per resource: the controller applied, the workers only judged
    writes = [sorted(w["path"] for w in journal(emu.url) if w["status"] == 200) for emu in (serial, workers)]
    assert writes[0] == writes[1]
    # what the emulators hold now (read without faults): the same state, complete but for what needs a human
    serial_state, workers_state = end_state(serial.url), end_state(workers.url)
    assert serial_state == workers_state
    assert failing(serial_state) == NEEDS_A_HUMAN | ADVISORIES
