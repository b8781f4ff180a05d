"""The nightly job: schema-valid (GitHub workflow and Cloud Build schemas vendored by check-jsonschema,
offline), shaped as asked, and its gate step's command runs on the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.acceptance.gate import REPO

WORKFLOW = REPO / ".github" / "workflows" / "nightly-conformance.yml"
CLOUDBUILD = REPO / "reports" / "nightly" / "cloudbuild.yaml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("path", "schema"), [(WORKFLOW, "github-workflows"), (CLOUDBUILD, "cloudbuild")])
def test_files_follow_their_schemas(path: Path, schema: str) -> None:
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", f"vendor.{schema}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return workflow["jobs"]["gate"]["steps"]


def _uses(workflow: dict[Any, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in _steps(workflow) if s.get("uses", "").startswith(action + "@")]


def test_scheduled_with_wif_matrix_history_upload_and_failing_verdicts(workflow: dict[Any, Any]) -> None:
    on = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on
    assert workflow["permissions"]["id-token"] == "write"
    (auth,) = _uses(workflow, "google-github-actions/auth")
    assert set(auth["with"]) == {"workload_identity_provider", "service_account"}
    matrix = workflow["jobs"]["gate"]["strategy"]["matrix"]["include"]
    assert [m["project"] for m in matrix] == ["mobiusos-new", "mobiusos-staging"]
    restore, save = _uses(workflow, "actions/cache/restore"), _uses(workflow, "actions/cache/save")
    assert restore and save and restore[0]["with"]["path"].endswith("history.sqlite") and save[0]["if"] == "always()"
    (upload,) = _uses(workflow, "actions/upload-artifact")
    assert upload["with"]["path"] == "${{ env.REPORT_DIR }}" and upload["if"] == "always()"
    last = _steps(workflow)[-1]
    assert last["if"] == "steps.gate.outputs.exit != '0'" and "exit 1" in last["run"]
    names = [s.get("id") or s.get("uses") for s in _steps(workflow)]
    assert names.index("auth") < names.index("gate")


def _gate_script(workflow: dict[Any, Any], values: dict[str, str]) -> str:
    step = next(s for s in _steps(workflow) if s.get("id") == "gate")
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: values[m.group(1)], step["run"])


def _run_gate_step(workflow: dict[Any, Any], tmp_path: Path, values: dict[str, str], scenario: str) -> str:
    """The gate step of one matrix entry, the emulator standing in for GCP (``MOBIUS_GATE_ARGS``); its exit."""
    output = tmp_path / "github-output"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "REPORT_DIR": str(tmp_path / "reports" / values["environment"]),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_WORKSPACE": str(REPO),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "MOBIUS_GATE_ARGS": f"--emulator={scenario}",
    }
    for name in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    env.pop("CHAT_RAG_DATABASE_URL", None)  # the step's own env sets it from the secret
    script = _gate_script(workflow, values).replace("-n auto", "-n 0")  # xdist's option, no workers: the suite's budget
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]  # `set +e`: the exit is an output
    return output.read_text().strip()


def test_gate_step_runs_on_the_emulator(workflow: dict[Any, Any], tmp_path: Path) -> None:
    """The production matrix entry on the emulator's production."""
    values = {"project": "mobiusos-new", "compare": "staging", "environment": "production"}
    report_dir = tmp_path / "reports" / "production"
    exit_line = _run_gate_step(workflow, tmp_path, values, "prod")
    assert exit_line == "exit=1"  # FAIL → the last step fails the job
    doc = json.loads((report_dir / "conformance.json").read_text())
    assert doc["run"]["verdict"] == "FAIL" and doc["gap"]["right"]["label"] == "Production"
    assert (report_dir / "history.sqlite").is_file() and (tmp_path / "step-summary.md").read_text().startswith("# ❌")


def test_nightly_judges_the_database_and_waives_only_the_live_flows(workflow: dict[Any, Any]) -> None:
    """The database URL comes from the environment's secret through the Auth Proxy; the waivers file is
    committed, valid, and waives the live flows only (with a reason and an expiry)."""
    from mobius_gate.waivers import load_waivers

    gate = next(s for s in _steps(workflow) if s.get("id") == "gate")
    assert gate["env"]["CHAT_RAG_DATABASE_URL"] == "${{ secrets.CHAT_RAG_DATABASE_URL }}"
    assert '--waivers="$GITHUB_WORKSPACE/reports/nightly/waivers.yaml"' in gate["run"]
    proxy = next(s for s in _steps(workflow) if "cloud-sql-proxy" in s.get("run", ""))
    assert "${{ matrix.sql_instance }}" in proxy["run"] and "--port=5432" in proxy["run"]
    assert _steps(workflow).index(proxy) < _steps(workflow).index(gate)
    matrix = workflow["jobs"]["gate"]["strategy"]["matrix"]["include"]
    assert all(m["sql_instance"] == f"{m['project']}:us-central1:mobius-platform-db" for m in matrix)
    assert workflow["jobs"]["gate"]["environment"] == "${{ matrix.environment }}"
    (waiver,) = load_waivers(REPO / "reports" / "nightly" / "waivers.yaml").items
    assert (waiver.requirement, waiver.resource) == ("VER-E2E-*", "*") and "--live-flows" in waiver.reason
    build = yaml.safe_load(CLOUDBUILD.read_text(encoding="utf-8"))
    (secret,) = build["availableSecrets"]["secretManager"]
    step = next(s for s in build["steps"] if s["id"] == "gate")
    assert secret["env"] == "CHAT_RAG_DATABASE_URL" and step["secretEnv"] == ["CHAT_RAG_DATABASE_URL"]
    assert "--waivers=reports/nightly/waivers.yaml" in step["args"][1] and "cloud-sql-proxy" in step["args"][1]


def test_staging_entry_without_a_database_is_incomplete_not_green(workflow: dict[Any, Any], tmp_path: Path) -> None:
    """Staging on the emulator without the database secret: the live flows waived, the database not
    judged → INCOMPLETE (6), which still fails the job."""
    values = {"project": "mobiusos-staging", "compare": "", "environment": "staging"}
    assert _run_gate_step(workflow, tmp_path, values, "staging") == "exit=6"
    doc = json.loads((tmp_path / "reports" / "staging" / "conformance.json").read_text())
    waived = {c["requirement"] for c in doc["checks"] if c["outcome"] == "waived"}
    unjudged = {c["requirement"] for c in doc["checks"] if c["unjudged"]}
    assert waived == {"VER-E2E-CHAT", "VER-E2E-RAG", "VER-E2E-SCRAPER"}
    assert unjudged == {"DB-EXISTS", "DB-MIGRATION", "DB-RAG-META", "DB-RAG-CONSISTENT"}
