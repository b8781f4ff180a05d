"""Issue 10's acceptance, literally: a standalone emulator process seeded with prod, the gate run as a user runs it.

``python -m mobius_gate.fixtures.emulator --scenario prod --port P`` (its CLI defaults: every
long-running operation answers ``done: false`` twice first), then ``pytest checks
--project=mobiusos-new --emulator=URL`` with: ``--remediate=plan`` (0 writes, the chain in
order) → ``--remediate=apply --yes --max-changes=20 --secret-value jwt-secret=@FILE`` → a
plain run (only what needs a human value fails) → a second apply (0 changes, audit unchanged).
The gate runs in-process; the emulator is a separate process.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import LOOPBACK_ENV
from tests.remediate.conftest import ADVISORIES, NEEDS_A_HUMAN, REPO, assert_never_deleted, audit_lines, journal

pytestmark = pytest.mark.servers

#: The prod chain as the plan prints it (the default --max-changes=10, no secret value supplied).
CHAIN = [
    r"1\. \[would apply\] services\.enable redis\.googleapis\.com",
    r"2\. \[would apply\] services\.enable vpcaccess\.googleapis\.com",
    r"3\. \[would apply\] redis\.create mobius-redis",
    r"4\. \[would apply\] vpcaccess\.create mobius-redis-connector",
    r"5\. \[would apply\] secrets\.create jwt-secret",
    r"6\. \[skipped\] secrets\.versions\.add jwt-secret",
    r"7\. \[would apply\] secrets\.iam\.add jwt-secret",
    r"8\. \[skipped\] run\.deploy mobius-chat-api",
    r"10\. \[would apply\] run\.deploy mobius-skills-scraper ",
    r"14\. \[held back\] run\.deploy mobius-dbt-ui",
    r"16\. \[held back\] run\.update mobius-rag",
]


@pytest.fixture(scope="module")
def standalone() -> Iterator[str]:
    """The emulator CLI on a free port, as a user starts it; its URL."""
    env = {**{k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}, **LOOPBACK_ENV}
    cmd = [sys.executable, "-m", "mobius_gate.fixtures.emulator", "--scenario", "prod", "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].split()[0]
        assert httpx.get(f"{url}/_emulator/config", timeout=5).json()["lro_polls"] == 2
        yield url
        assert_never_deleted(url)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_plan_apply_plain_run_apply_again(standalone: str, gate, tmp_path: Path) -> None:
    url = standalone
    plan = gate(url, "--remediate=plan")
    assert plan.returncode == 1 and journal(url) == []  # 0 writes
    summary = plan.remediation()
    found = [re.search(pattern, summary) for pattern in CHAIN]
    assert all(found), [p for p, m in zip(CHAIN, found, strict=True) if not m]
    assert [m.start() for m in found] == sorted(m.start() for m in found)  # in dependency order
    assert "to make every change in one run: --remediate=apply --max-changes=12" in summary
    assert "nothing was written (plan)" in summary
    assert "REDIS_URL: (unset) → redis://<REDIS_IP>:6379/0" in plan.output  # filled once mobius-redis exists
    assert "- mobius-gate remediation -" in plan.output.split("mobius-gate conformance")[0]  # beside each failure

    refused = gate(url, "--remediate=apply")  # the project is not in remediate.allow_projects
    unnamed = gate(url, "--remediate=apply", "--yes", project=None)  # --yes, but no --project
    for run, why in (
        (refused, "ERROR: --remediate=apply: project mobiusos-new is not in remediate.allow_projects"),
        (unnamed, "ERROR: --remediate=apply changes a project: name it with --project"),
    ):
        (line,) = [x for x in run.output.splitlines() if x.strip()]  # one line
        assert run.returncode == 4 and line.startswith(why)
    assert journal(url) == []

    audit, secret = tmp_path / "audit.jsonl", tmp_path / "jwt-secret"
    secret.write_text("jwt-smoke-canary-0d1e")
    apply = ("--remediate=apply", "--yes", "--max-changes=20", f"--audit-log={audit}")
    first = gate(url, *apply, f"--secret-value=jwt-secret=@{secret}")
    assert first.counts() == "13 applied, 0 unchanged, 0 failed, 3 skipped, 0 held; 13 check(s) repaired"
    lines = audit_lines(audit)
    assert len(lines) == 13 and all(e["diff"] and e["result"] == "applied" for e in lines)
    assert "jwt-smoke-canary-0d1e" not in first.output + audit.read_text()

    plain = gate(url)
    failed = {(v["requirement"], v["resource"]) for v in plain.gate.verdicts.values() if v["status"] == "fail"}
    assert plain.returncode == 1 and failed == NEEDS_A_HUMAN | ADVISORIES
    assert "mobius-gate remediation" not in plain.output

    before, writes = audit.read_bytes(), len(journal(url))
    second = gate(url, *apply)
    assert second.counts() == "0 applied, 0 unchanged, 0 failed, 3 skipped, 0 held; 0 check(s) repaired"
    assert audit.read_bytes() == before and len(journal(url)) == writes
    assert "needs a value only a human has: <chat-rag-database-url>" in second.output  # listed for a human
