"""Canaries planted in the emulator's service env never appear in any report file."""

from __future__ import annotations

from pathlib import Path

from tests.reports.conftest import run_with_reports
from tests.trust.test_no_secret_leaks import CANARIES, SCENARIO

#: Those the gate can meet without a database (the --db-url pieces are that test's own).
PLANTED = {where: canary for where, canary in CANARIES.items() if not where.startswith("--db-url")}


def test_no_canary_in_any_report_file(tmp_path: Path) -> None:
    scenario = tmp_path / "canaries.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    run = run_with_reports(tmp_path / "out", tmp_path / "t", f"--emulator={scenario}", f"--compare={scenario}")
    assert run.gate.returncode == 1, run.gate.stdout[-2000:]
    files = {p.name: p.read_bytes() for p in run.out.iterdir() if p.is_file()}
    assert {"conformance.json", "junit.xml", "report.html", "summary.md", "conformance.csv", "conformance.html",
            "history.sqlite", "compare.md", "compare.json"} <= set(files)  # fmt: skip
    leaks = [f"{name}: {where}" for name, data in files.items() for where, c in PLANTED.items() if c.encode() in data]
    assert not leaks, leaks
    # The credentials were met and named (so their absence means redaction, not a miss):
    assert "SVC-PLAINTEXT-CREDS mobius-chat-worker" in files["junit.xml"].decode()
    assert "DB_PASS" in files["conformance.json"].decode()
