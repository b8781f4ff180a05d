"""Credentials a human supplies end in Secret Manager; one apply ends conformant; notes are not commands;
an ephemeral emulator's apply keeps no audit log unless asked.

In-process gate runs (``run_inprocess``) against emulators these tests own (``lro_polls=0``: fast).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import run_model
from mobius_gate.remediate.model import ManualItem
from mobius_gate.remediate.planner import build_plan
from mobius_gate.remediate.render import summary_lines
from mobius_gate.remediate.runner import Result

from mobius_gate.fixes import Fix, Where, move_to_secret, update_service
from mobius_gate.rules.common import verdict
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist
from tests.remediate.conftest import PROD, REGION, REPO, audit_lines, verdicts

SPEC = load_checklist(DEFAULT_CHECKLIST).resolve(PROD, REGION)
WHERE = Where(PROD, REGION)
DSN_CANARY = "dsn-canary-3b7e55"
SA = "serviceAccount:mobius-platform@mobiusos-new.iam.gserviceaccount.com"


def test_moving_a_credential_grants_access_and_makes_one_update() -> None:
    rag = SPEC.service("mobius-rag")
    moved = move_to_secret("SVC-PLAINTEXT-CREDS", rag, WHERE, "CHAT_RAG_DATABASE_URL", "mobius-rag-db-url:latest")
    redis = update_service("SVC-ENV", rag, WHERE, update_env_vars={"REDIS_URL": "redis://10.0.0.3:6379/0"})
    plan = build_plan(
        [
            verdict("fail", "SVC-ENV", "mobius-rag", "x", fix=redis),  # first: the one the others merge into
            verdict("fail", "SVC-PLAINTEXT-CREDS", "mobius-rag", "x", fix=moved),
        ],
        SPEC.redis.name,
        block_advisories=True,
    )
    ops = [(c.step.operation, c.step.target) for c in plan.changes]
    assert ops == [
        ("secrets.create", "mobius-rag-db-url"),
        ("secrets.versions.add", "mobius-rag-db-url"),
        ("secrets.iam.add", "mobius-rag-db-url"),
        ("run.update", "mobius-rag"),  # one revision: removal, new value, reference
    ]
    update = plan.changes[-1]
    assert dict(update.step.params) == {
        "remove_env_vars": ["CHAT_RAG_DATABASE_URL"],
        "update_env_vars": {"REDIS_URL": "redis://10.0.0.3:6379/0"},
        "update_secrets": {"CHAT_RAG_DATABASE_URL": "mobius-rag-db-url:latest"},
    }
    assert update.needs == [0, 1, 2]  # the grant comes before the reference
    assert plan.changes[2].step.params["member"] == SA
    assert update.checks == [("SVC-ENV", "mobius-rag"), ("SVC-PLAINTEXT-CREDS", "mobius-rag")]


def test_a_note_is_printed_as_text_and_a_command_behind_the_prompt() -> None:
    note = "nothing to change on mobius-chat-api: create or restore the instance, then re-run"
    plan = build_plan(
        [verdict("fail", "SVC-CLOUDSQL", "mobius-chat-api", "x", fix=Fix("SVC-CLOUDSQL", "mobius-chat-api", (), note))],
        SPEC.redis.name,
    )
    plan.manual.append(ManualItem([("ROLLBACK", "mobius-rag")], "gcloud run revisions list --service=mobius-rag", "x"))
    text = "\n".join(summary_lines(Result("plan", plan)))
    assert f"\n      {note}\n" in text and "$ nothing" not in text
    assert "      $ gcloud run revisions list --service=mobius-rag" in text
    assert all(line.split("$ ", 1)[1].startswith(("gcloud ", "echo ")) for line in text.splitlines() if "$ " in line)


def _plain_and_secret_env(emu, service: str) -> tuple[dict[str, str], dict[str, str]]:
    svc = emu.store.find(run_model.service_name(PROD, REGION, service))
    env = svc["template"]["containers"][0]["env"]
    plain = {v["name"]: v.get("value", "") for v in env if "valueSource" not in v}
    refs = {v["name"]: v["valueSource"]["secretKeyRef"]["secret"] for v in env if "valueSource" in v}
    return plain, refs


@pytest.mark.servers
def test_one_apply_stores_supplied_credentials_as_secrets_and_ends_conformant(emulator, gate, tmp_path: Path) -> None:
    emu = emulator("prod", lro_polls=0)
    files = {
        "jwt-secret": "jwt-canary-1",
        "CHAT_RAG_DATABASE_URL": f"postgresql://chat:{DSN_CANARY}@10.20.0.5:5432/mobius_chat",
        "mobius-rag-chat-rag-database-url": f"postgresql://rag:{DSN_CANARY}@10.20.0.5:5432/mobius_rag",
    }
    args = ["--remediate=apply", "--yes", "--block-advisories", "--max-changes=40", f"--audit-log={tmp_path / 'a'}"]
    for name, value in files.items():
        (tmp_path / name).write_text(value + "\n")
        args.append(f"--secret-value={name}=@{tmp_path / name}")
    run = gate(emu.url, *args)
    assert "0 failed" in run.counts(), run.output[-4000:]
    summary = run.remediation()
    assert "secrets.create chat-rag-database-url" in summary  # named in the plan
    assert "--set-secrets=JWT_SECRET=jwt-secret:latest,CHAT_RAG_DATABASE_URL=chat-rag-database-url:latest" in summary
    assert summary.count("run.update mobius-rag ") == 1  # one update, said once

    plain, refs = _plain_and_secret_env(emu, "mobius-chat-api")
    assert "CHAT_RAG_DATABASE_URL" not in plain and refs["CHAT_RAG_DATABASE_URL"] == "chat-rag-database-url"
    plain, refs = _plain_and_secret_env(emu, "mobius-rag")
    assert "CHAT_RAG_DATABASE_URL" not in plain and refs["CHAT_RAG_DATABASE_URL"] == "mobius-rag-chat-rag-database-url"

    after = verdicts(emu.url)  # the next run: the gate's own changes are conformant
    creds = {k: v.status for k, v in after.items() if k[0] in ("SVC-PLAINTEXT-CREDS", "INF-SECRET")}
    failing = {k: after[k].reason for k, s in creds.items() if s != "pass" and s != "na"}  # na: not deployed
    assert not failing and creds[("INF-SECRET", "referenced-by-services")] == "pass", failing
    assert creds[("SVC-PLAINTEXT-CREDS", "mobius-chat-api")] == creds[("SVC-PLAINTEXT-CREDS", "mobius-rag")] == "pass"
    audit = (tmp_path / "a").read_text()
    assert DSN_CANARY not in audit and DSN_CANARY not in run.output and "jwt-canary-1" not in audit + run.output
    rag = [e for e in audit_lines(tmp_path / "a") if e["resource"] == "run/mobius-rag"]
    assert len(rag) == 1 and [d["field"] for d in rag[0]["diff"]].count("env.CHAT_RAG_DATABASE_URL") == 1


@pytest.mark.servers
def test_an_ephemeral_emulator_keeps_no_audit_log_unless_asked(gate, tmp_path: Path) -> None:
    default = REPO / ".mobius-gate" / "audit.jsonl"
    before = default.read_bytes() if default.exists() else None
    run = gate("prod", "--remediate=apply", "--yes", "--max-changes=2")
    assert run.counts().startswith("2 applied"), run.output[-3000:]
    assert "audit: not kept (ephemeral emulator); pass --audit-log to keep it" in run.remediation()
    assert (default.read_bytes() if default.exists() else None) == before
    kept = tmp_path / "kept.jsonl"
    run = gate("prod", "--remediate=apply", "--yes", "--max-changes=2", f"--audit-log={kept}")
    assert f"audit: 2 line(s) appended to {kept} as emulator" in run.remediation()
    assert [json.loads(line)["principal"] for line in kept.read_text().splitlines()] == ["emulator", "emulator"]
