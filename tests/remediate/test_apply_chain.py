"""Apply on prod with operations that take polls: stopped by --max-changes=10, then continued to the end.

The emulator answers every long-running operation ``done: false`` twice first (``lro_polls=2``,
the CLI's default), as the real APIs do. A canary sits in a supplied secret value and in a
plaintext env value of the project; neither may reach the terminal or the audit log. (A second
apply that changes nothing: ``test_acceptance_smoke.py``.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator, run_model

from tests.remediate.conftest import ADVISORIES, NEEDS_A_HUMAN, PROD, REGION, audit_lines, journal

pytestmark = pytest.mark.servers

JWT_CANARY = "jwt-canary-7f3a91"
ENV_CANARY = "env-canary-5c02e8"
#: Operations that return a long-running operation in the first apply (2 enables, Redis, connector, 3 deploys).
FIRST_LROS = 7


def _plant_env_canary(emu: Emulator) -> None:
    """mobius-rag's env carries the canary as a password: in its plaintext database URL (prod's
    SVC-PLAINTEXT-CREDS finding) and in a REDIS_URL the plan replaces (so the audited diff's "before")."""
    name = run_model.service_name(PROD, REGION, "mobius-rag")
    svc = emu.store.find(name)
    assert svc is not None
    env = svc["template"]["containers"][0]["env"]
    for var in env:
        if var["name"] == "CHAT_RAG_DATABASE_URL":
            var["value"] = f"postgresql://postgres:{ENV_CANARY}@34.123.45.67:5432/mobius_chat"
    env.append({"name": "REDIS_URL", "value": f"redis://default:{ENV_CANARY}@10.99.0.9:6379/0"})
    emu.store.put(name, svc)


def _operation_polls(emu: Emulator) -> int:
    return sum(n for route, n in emu.stats()["by_route"].items() if route.startswith("GET") and "/operations/" in route)


def test_apply_stops_at_max_changes_then_a_second_apply_completes(emulator, gate, tmp_path: Path) -> None:
    emu = emulator("prod", lro_polls=2)
    _plant_env_canary(emu)
    audit, secret = tmp_path / "audit.jsonl", tmp_path / "jwt"
    secret.write_text(JWT_CANARY + "\n")
    args = ("--remediate=apply", "--yes", f"--audit-log={audit}", f"--secret-value=jwt-secret=@{secret}")

    first = gate(emu.url, *args)  # the default --max-changes=10
    assert first.counts().startswith("10 applied, 0 unchanged, 0 failed, 3 skipped, 3 held"), first.output[-3000:]
    held = "held back (3, beyond --max-changes=10): run.deploy mobius-rag-embedding-worker, run.deploy mobius-dbt-ui"
    assert held in first.output
    assert "run --remediate=apply again (it continues where this run stopped), or re-run with --max-changes=3" in (
        first.output
    )
    assert _operation_polls(emu) >= 2 * FIRST_LROS  # each operation answered done:false twice, then done
    assert len(audit_lines(audit)) == 10 == len(journal(emu.url)) - 1  # + the deploy's invoker grant

    second = gate(emu.url, *args)  # continues where the first stopped
    assert second.counts().startswith("3 applied, 0 unchanged, 0 failed, 3 skipped, 0 held"), second.output[-3000:]
    assert "held back" not in second.remediation()
    lines = audit_lines(audit)
    assert len(lines) == 13 and {e["result"] for e in lines} == {"applied"}
    assert all(e["diff"] and e["principal"] == "emulator" and e["project"] == PROD for e in lines)
    operations = [e["operation"] for e in lines]
    assert operations[:4] == ["services.enable", "services.enable", "redis.create", "vpcaccess.create"]
    assert [e["resource"] for e in lines[10:]] == [
        "run/mobius-rag-embedding-worker",
        "run/mobius-dbt-ui",
        "run/mobius-rag",
    ]
    redis_url = next(d for d in lines[12]["diff"] if d["field"] == "env.REDIS_URL")
    assert "redacted" in redis_url["before"] and re.fullmatch(r"redis://10\.\d+\.0\.3:6379/0", redis_url["after"])
    version = next(e for e in lines if e["operation"] == "secrets.versions.add")
    assert version["diff"] == [{"field": "enabled versions", "before": 0, "after": 1}]

    # complete: what fails is what a human must supply (and the advisories, left alone)
    failed = {(v["requirement"], v["resource"]) for v in second.gate.verdicts.values() if v["status"] == "fail"}
    assert failed == NEEDS_A_HUMAN | ADVISORIES
    assert "<chat-rag-database-url>" in second.output  # what stays for a human is printed
    for run in (first, second):
        assert JWT_CANARY not in run.output and ENV_CANARY not in run.output
    assert JWT_CANARY not in audit.read_text() and ENV_CANARY not in audit.read_text()
