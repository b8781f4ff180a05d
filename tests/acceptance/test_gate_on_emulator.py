"""The release gate on the bundled emulator scenarios, run in-process (``pytest.main``).

Pins every verdict and reason of every bundled scenario against ``golden/<scenario>.tsv``,
which checks fail on each scenario and what the user reads (summary, fix, diagnosis),
advisory vs ``--block-advisories``, saving and replaying an inventory, and a forbidden API. One
module, so that one xdist worker (``--dist loadfile``) runs each scenario once for all
of them. The real executable, xdist and the no-credentials path: ``test_gate_command``.

Golden files: one ``requirement  resource  status  reason`` row per check (``?  <test>
noverdict`` for a check that records none, e.g. the opt-in live flows), so a changed
verdict or reason shows as a one-line diff. After changing a rule on purpose, rewrite
them with ``MOBIUS_GOLDEN_UPDATE=1 pytest tests/acceptance`` and review the diff.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import mobius_gate.fixtures.emulator
import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.engine import judge_all
from mobius_gate.plugin.judging import redacted
from mobius_gate.release import EXIT_FAIL, EXIT_INCOMPLETE
from mobius_gate.spec import load_checklist
from tests.acceptance.gate import Row, format_rows, node, read_rows, stable

pytestmark = pytest.mark.servers

GOLDEN = Path(__file__).resolve().parent / "golden"
PROJECT = "mobiusos-new"
SPEC = load_checklist().resolve(PROJECT)
SCENARIOS = sorted(
    p.stem for p in (Path(mobius_gate.fixtures.emulator.__file__).resolve().parent / "scenarios").glob("*.yaml")
)

NOT_DEPLOYED = [
    "mobius-chat-api",
    "mobius-chat-worker",
    "mobius-skills-scraper",
    "mobius-skills-scraper-worker",
    "mobius-rag-chunking-worker",
    "mobius-rag-embedding-worker",
    "mobius-dbt-ui",
    "module-hub",
]

#: Production on 2026-02-04, as the checklist's Executive Summary describes it.
PROD_FAILURES = {
    node("test_api_enabled[redis.googleapis.com]"),
    node("test_api_enabled[vpcaccess.googleapis.com]"),
    node("test_redis_instance[mobius-redis]"),
    node("test_vpc_connector[mobius-redis-connector]"),
    node("test_secret_ready[jwt-secret]"),
    *(node(f"test_service_deployed[{name}]") for name in NOT_DEPLOYED),
    node("test_vpc_connector_attached[mobius-rag]"),
    node("test_vpc_egress[mobius-rag]"),
    node("test_env_value[mobius-rag:REDIS_URL]"),
}
PROD_ADVISORY = {
    node("test_cloudsql_private_ip[mobius-platform-db]"),
    node("test_no_plaintext_credentials[mobius-rag]"),
}

WORKER_LOGS = node("test_worker_start_lines[mobius-chat-worker]")

#: The checklist's "Common Issues" states: scenario → (the exact failing checks, the diagnosis shown).
COMMON_ISSUES = {
    "worker-cpu-throttled": (
        {node("test_cpu_always_allocated[mobius-chat-worker]"), WORKER_LOGS},
        '"Worker starts then shuts down"',
    ),
    "worker-no-connector": (
        {
            node("test_vpc_connector_attached[mobius-chat-worker]"),
            node("test_vpc_egress[mobius-chat-worker]"),
            WORKER_LOGS,
        },
        '"Service can\'t reach Redis"',
    ),
    "redis-url-mismatch": (
        {
            node("test_redis_url_points_at_instance[mobius-chat-worker]"),
            node("test_redis_shared[mobius-chat-api+mobius-chat-worker]"),
            WORKER_LOGS,
        },
        '"Waiting for worker"',
    ),
    "public-dbt-ui": ({node("test_ingress[mobius-dbt-ui]")}, None),
}


def test_there_is_a_golden_file_for_every_scenario_and_no_other() -> None:
    assert SCENARIOS, "no bundled scenarios found"
    assert sorted(p.stem for p in GOLDEN.glob("*.tsv")) == SCENARIOS


def judged_rows(scenario: str) -> list[Row]:
    """The scenario's verdicts judged in-process: collected from its emulator, every rule through the engine
    (the same ``BoundRule.judge`` and redaction the plugin applies; test_the_plugin_reports_the_engine_s_verdicts
    holds the two paths equal)."""
    with Emulator(scenario, project=PROJECT) as emu:
        inv = collect_inventory(Target(PROJECT, SPEC.region_for(PROJECT), emu.url), CollectOptions(spec=SPEC))
    return sorted((v.requirement, v.resource, v.status, stable(v.reason)) for v in map(redacted, judge_all(SPEC, inv)))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_verdicts_equal_the_golden_file(scenario: str) -> None:
    rows = judged_rows(scenario)
    golden = GOLDEN / f"{scenario}.tsv"
    got = format_rows(rows)
    if os.environ.get("MOBIUS_GOLDEN_UPDATE"):
        golden.write_text(got)
    want = golden.read_text()
    assert rows == read_rows(golden), "verdicts changed:\n" + "".join(
        difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden/{scenario}.tsv", "this run")
    )


@pytest.mark.parametrize("scenario", ["prod", "redis-url-mismatch"])
def test_the_plugin_reports_the_engine_s_verdicts(gate, scenario: str) -> None:
    run = gate("--project=mobiusos-new", f"--emulator={scenario}")
    assert run.returncode in (EXIT_INCOMPLETE, EXIT_FAIL), run.stderr[-2000:]  # no scenario has a database
    assert run.rows() == read_rows(GOLDEN / f"{scenario}.tsv")


def test_staging_is_conformant_but_incomplete_without_database_and_live_flows(gate) -> None:
    run = gate("--project=mobiusos-new", "--emulator=staging")
    assert run.returncode == EXIT_INCOMPLETE, run.stdout[-3000:]
    assert not run.with_outcome("failed") and not run.with_outcome("error")
    assert len(run.with_outcome("passed")) > 150
    assert "release gate: INCOMPLETE (exit 6)" in run.stdout


def test_prod_fails_exactly_the_pinned_set(gate) -> None:
    run = gate("--project=mobiusos-new", "--emulator=prod")
    assert run.returncode == 1
    assert run.with_outcome("failed") == PROD_FAILURES
    assert not run.with_outcome("error")
    assert run.with_outcome("xfailed") == PROD_ADVISORY
    assert "Pr0d-Passw0rd!" not in run.stdout + run.stderr
    assert "Traceback" not in run.stdout
    assert "release gate: FAIL" in run.stdout


def test_prod_advisories_block_only_with_block_advisories(gate, emulator_url) -> None:
    prod = f"--emulator={emulator_url('prod')}"
    relaxed = gate(prod, "--requirement=DB-PRIVATE-IP,SVC-PLAINTEXT-CREDS")
    assert relaxed.returncode == 0
    assert relaxed.with_outcome("xfailed") == PROD_ADVISORY
    strict = gate(prod, "--requirement=DB-PRIVATE-IP,SVC-PLAINTEXT-CREDS", "--block-advisories")
    assert strict.returncode == 1
    assert strict.with_outcome("failed") == PROD_ADVISORY
    assert "Pr0d-Passw0rd!" not in strict.stdout


@pytest.mark.parametrize("scenario", sorted(COMMON_ISSUES))
def test_common_issue_scenarios_fail_exactly_their_checks(gate, scenario: str) -> None:
    failing, diagnosis = COMMON_ISSUES[scenario]
    run = gate("--project=mobiusos-new", f"--emulator={scenario}")
    assert run.returncode == 1
    assert run.with_outcome("failed") == failing
    assert not run.with_outcome("error")
    if diagnosis:
        assert f"Likely cause: {diagnosis}" in run.stdout
        assert "likely causes (Common Issues & Fixes):" in run.stdout


def test_cpu_throttling_message_names_the_fix(gate, emulator_url) -> None:
    run = gate(f"--emulator={emulator_url('worker-cpu-throttled')}", "--requirement=SVC-CPU-ALWAYS")
    assert run.with_outcome("failed") == {node("test_cpu_always_allocated[mobius-chat-worker]")}
    assert re.search(
        r"\[SVC-CPU-ALWAYS\] mobius-chat-worker: .*Fix: gcloud run services update mobius-chat-worker "
        r"--no-cpu-throttling --region=us-central1 --project=mobiusos-new",
        run.stdout,
    ), run.stdout[-2000:]


def test_save_and_replay_inventory(gate, emulator_url, tmp_path) -> None:
    saved = tmp_path / "inv.json"
    first = gate(f"--emulator={emulator_url('prod')}", f"--save-gate-inventory={saved}")
    assert saved.exists()
    assert "Pr0d-Passw0rd!" not in saved.read_text(), "a saved inventory must not carry credentials"
    replay = gate(f"--gate-inventory={saved}")
    assert replay.returncode == first.returncode == 1
    assert replay.outcomes == first.outcomes
    assert replay.rows() == first.rows()


def test_a_forbidden_api_makes_its_checks_errors_never_passes(gate, tmp_path) -> None:
    scenario = tmp_path / "forbidden-secrets.yaml"
    scenario.write_text("extends: staging\napis:\n  forbidden: [secretmanager.googleapis.com]\n")
    run = gate(f"--emulator={scenario}")
    assert run.returncode == EXIT_INCOMPLETE  # could not judge: never a pass, and not a deviation either
    secret_checks = {node for node in run.outcomes if "test_secret_ready" in node or "test_referenced_secrets" in node}
    assert secret_checks and run.with_outcome("error") == secret_checks
    assert not run.with_outcome("failed")
    assert "permission denied listing Secret Manager secrets" in run.stdout
    assert "release gate: INCOMPLETE (exit 6)" in run.stdout
