"""--remediate on the prod scenario through the real clients over HTTP: plan, apply, idempotence, audit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.remediate.conftest import end_state

pytestmark = pytest.mark.servers

SECRET = "jwt-canary-value-7f3a91"
#: What only a human can supply in prod: the database URL, the Vertex index ids, module-hub's URLs.
NEEDS_A_HUMAN = {
    ("SVC-DEPLOYED", "mobius-chat-api"),
    ("SVC-DEPLOYED", "mobius-chat-worker"),
    ("SVC-DEPLOYED", "module-hub"),
}
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
    r"16\. \[held back\] run\.update mobius-rag",
]


def test_plan_writes_nothing_and_lists_the_chain_in_order(prod, gate) -> None:
    run = gate(prod, "--remediate=plan")
    assert run.returncode == 1, run.stdout
    assert prod.stats()["writes"] == 0
    summary = run.stdout.split("mobius-gate remediation ===")[-1]
    positions = [re.search(pattern, summary) for pattern in CHAIN]
    assert all(positions), [p for p, m in zip(CHAIN, positions, strict=True) if not m]
    assert [m.start() for m in positions] == sorted(m.start() for m in positions)
    assert "held back (" in summary and "beyond --max-changes=10" in run.stdout
    assert "nothing was written (plan)" in summary
    assert "REDIS_URL: (unset) → redis://<REDIS_IP>:6379/0" in run.stdout  # filled once mobius-redis exists
    # each failing check shows its own ordered change beside its failure
    assert "- mobius-gate remediation -" in run.stdout.split("mobius-gate conformance")[0]


def test_apply_repairs_the_chain_then_changes_nothing(prod, gate, tmp_path: Path) -> None:
    audit, secret = tmp_path / "audit.jsonl", tmp_path / "jwt"
    secret.write_text(SECRET)
    args = ("--remediate=apply", "--yes", "--max-changes=20", f"--audit-log={audit}")
    first = gate(prod, *args, f"--secret-value=jwt-secret=@{secret}")
    assert first.returncode == 1, first.stdout  # three deploys wait for a human value
    assert re.search(r"3 failed, \d+ passed, .*13 repaired", first.stdout), first.stdout[-2000:]
    lines = first.audit(audit)
    assert len(lines) == 13 and {e["result"] for e in lines} == {"applied"}
    assert all(e["diff"] and e["principal"] == "emulator" and e["project"] == "mobiusos-new" for e in lines)
    assert [e["operation"] for e in lines][:4] == [
        "services.enable",
        "services.enable",
        "redis.create",
        "vpcaccess.create",
    ]
    rag = next(e for e in lines if e["resource"] == "run/mobius-rag")
    redis_url = next(d for d in rag["diff"] if d["field"] == "env.REDIS_URL")
    assert redis_url["before"] is None and re.fullmatch(r"redis://10\.\d+\.0\.3:6379/0", redis_url["after"])
    version = next(e for e in lines if e["operation"] == "secrets.versions.add")
    assert SECRET not in first.stdout and SECRET not in audit.read_text()
    assert version["diff"] == [{"field": "enabled versions", "before": 0, "after": 1}]

    state = end_state(prod)
    assert {k for k, v in state.items() if v == "fail" and k[0] != "DB-PRIVATE-IP"} - {
        ("SVC-PLAINTEXT-CREDS", "mobius-rag")
    } == NEEDS_A_HUMAN

    prod.reset_stats()
    second = gate(prod, *args)
    assert prod.stats()["writes"] == 0
    assert len(second.audit(audit)) == 13
    assert "0 applied" in second.stdout and "0 check(s) repaired" in second.stdout
    assert "<chat-rag-database-url>" in second.stdout  # the manual commands are printed


def test_max_changes_holds_back_the_rest(prod, gate, tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    run = gate(prod, "--remediate=apply", "--yes", "--max-changes=3", f"--audit-log={audit}")
    assert len(run.audit(audit)) == 3 == prod.stats()["writes"]  # operation polls are GETs
    assert "held back (" in run.stdout and "3 applied" in run.stdout
    assert "[held back] vpcaccess.create mobius-redis-connector" in run.stdout


def test_apply_needs_the_project_named_and_allowed(prod, gate) -> None:
    run = gate(prod, "--remediate=apply")
    assert run.returncode == 4 and "not in remediate.allow_projects" in run.stdout
    assert prod.stats()["writes"] == 0
