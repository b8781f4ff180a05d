"""Section ``project_iam`` over real HTTP, and INF-SECRET judged from what was collected.

Scenarios are written beside each test (``extends: staging``): the staging project with
its secret-level grants removed and the services' account granted at project level
instead, optionally with the Cloud Resource Manager API forbidden or disabled.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.inventory import IamBinding, Inventory
from mobius_gate.spec import load_checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as p1

pytestmark = pytest.mark.servers

PROJECT, REGION = "mobiusos-new", "us-central1"
SA = f"serviceAccount:mobius-platform@{PROJECT}.iam.gserviceaccount.com"
SECTIONS = {"apis", "services", "secrets", "project_iam"}
FAST = CollectOptions(timeout_s=60, retry_attempts=3, retry_initial_s=0.01, retry_max_s=0.05)
SECRETS = ("jwt-secret", "db-password-mobius-rag")
PROJECT_GRANT = """
extends: staging
{apis}
resources:
  project_iam:
    policy:
      bindings:
        - role: roles/owner
          members: ["user:platform-admin@example.com"]
        - role: roles/secretmanager.secretAccessor
          members: ["serviceAccount:mobius-platform@${{PROJECT}}.iam.gserviceaccount.com"]
        - role: roles/run.invoker
          members: ["serviceAccount:mobius-platform@${{PROJECT}}.iam.gserviceaccount.com"]
patches:
  - {{resource: secrets/jwt-secret, unset: [emulator.iam]}}
  - {{resource: secrets/db-password-mobius-rag, unset: [emulator.iam]}}
{patches}"""


def collect_from(tmp_path: Path, apis: str = "", patches: str = "") -> tuple[Inventory, dict[str, int]]:
    scenario = tmp_path / "project-grant.yaml"
    scenario.write_text(PROJECT_GRANT.format(apis=apis, patches=patches), encoding="utf-8")
    with Emulator(scenario, project=PROJECT) as emu:
        inv = collect_inventory(Target(PROJECT, REGION, endpoint=emu.url), FAST, SECTIONS)
        return inv, emu.stats()["by_route"]


def secret_verdicts(inv: Inventory) -> list[Verdict]:
    spec = load_checklist().resolve(PROJECT, REGION)
    rules = (p1.test_secret_ready, p1.test_referenced_secrets_exist)
    return [
        rule.mobius_rule.judge(subject, spec, inv) for rule in rules for _, subject in rule.mobius_rule.subjects(spec)
    ]


def test_project_level_grant_is_collected_and_passes(tmp_path: Path) -> None:
    inv, routes = collect_from(tmp_path)
    assert inv.project_iam.status == "ok", inv.project_iam.cause
    assert inv.project_iam.items == [
        IamBinding(role="roles/owner", members=["user:platform-admin@example.com"]),
        IamBinding(role="roles/secretmanager.secretAccessor", members=[SA]),
    ]
    for name in SECRETS:
        secret = inv.secret(name)
        assert secret is not None and secret.accessors == [], name  # read: nobody on the secret itself
    assert routes["POST /v3/projects/{project}:getIamPolicy"] == 1
    verdicts = secret_verdicts(inv)
    assert [v.status for v in verdicts] == ["pass"] * len(verdicts), [v.message() for v in verdicts]


def test_grant_on_neither_policy_fails_with_the_grant_command(tmp_path: Path) -> None:
    inv, _ = collect_from(tmp_path, patches='  - {resource: project_iam/policy, unset: ["bindings[1]"]}\n')
    assert inv.project_iam.ok and SA not in inv.project_secret_grantees()
    verdicts = {v.resource: v for v in secret_verdicts(inv)}
    for name in SECRETS:
        verdict = verdicts[name]
        assert verdict.status == "fail", verdict.message()
        assert "on neither the secret's IAM policy nor the project's (both read)" in (verdict.actual or "")
        assert f"gcloud secrets add-iam-policy-binding {name} --member={SA}" in (verdict.fix or "")


def test_project_policy_forbidden_is_an_error_never_a_pass_or_fail(tmp_path: Path) -> None:
    inv, _ = collect_from(tmp_path, "apis: {forbidden: [cloudresourcemanager.googleapis.com]}")
    assert inv.project_iam.status == "unavailable"
    assert (inv.project_iam.cause or "").startswith("permission denied reading the project IAM policy: ")
    assert inv.secrets.ok
    verdicts = {v.resource: v for v in secret_verdicts(inv)}
    for name in SECRETS:
        verdict = verdicts[name]
        assert verdict.status == "error", verdict.message()
        assert "not on the secret's IAM policy; project IAM policy unavailable: permission denied" in verdict.reason


def test_project_policy_api_disabled_is_unavailable_with_the_enable_command(tmp_path: Path) -> None:
    enabled = [a for a in load_checklist().apis.required if a != "cloudresourcemanager.googleapis.com"]
    inv, _ = collect_from(tmp_path, f"apis: {{enabled: [{', '.join(enabled)}]}}")
    assert inv.project_iam.status == "unavailable"  # never "disabled": the policy still exists
    assert inv.project_iam.cause == (
        "cannot read the project IAM policy: cloudresourcemanager.googleapis.com is disabled in project "
        f"{PROJECT} (gcloud services enable cloudresourcemanager.googleapis.com --project={PROJECT})"
    )
    assert {v.status for v in secret_verdicts(inv) if v.resource in SECRETS} == {"error"}


def test_staging_project_policy_grants_no_service_account() -> None:
    with Emulator("staging", project=PROJECT) as emu:
        inv = collect_inventory(Target(PROJECT, REGION, endpoint=emu.url), FAST, SECTIONS)
    assert inv.project_iam.status == "ok"
    # Only secret-access roles are kept (the compute account's roles/editor is not one).
    assert inv.project_iam.items == [IamBinding(role="roles/owner", members=["user:platform-admin@example.com"])]
    assert {v.status for v in secret_verdicts(inv)} == {"pass"}
