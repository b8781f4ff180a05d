"""VER-HEALTH and VER-LOGS collected through the real collectors from the emulator's scenarios.

The emulator derives each revision's logs and health answers from its current
configuration, as Cloud Run would run it; these tests check the whole path:
official clients → emulator → inventory → rule → diagnosis.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.scenario import SCENARIO_DIR

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.clients import Clients
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import Inventory
from mobius_gate.spec import Checklist, load_checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as phase4

pytestmark = pytest.mark.servers

PROJECT = "mobiusos-new"
REGION = "us-central1"
WORKER = "mobius-chat-worker"
SECTIONS = {"services", "health", "log_entries"}
OPTIONS = CollectOptions(timeout_s=30, retry_attempts=2, retry_initial_s=0.05)


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return load_checklist().resolve(PROJECT, REGION)


@contextmanager
def running(scenario: str | Path) -> Iterator[Emulator]:
    with Emulator(scenario, project=PROJECT) as emu:
        yield emu


def collect(emu: Emulator, sections: set[str] = SECTIONS) -> Inventory:
    return collect_inventory(Target(PROJECT, REGION, emu.url), OPTIONS, sections)


def verdicts(test: object, spec: Checklist, inv: Inventory) -> dict[str, Verdict]:
    """The rule on every subject, with the diagnosis the plugin adds, by resource."""
    bound = test.mobius_rule  # type: ignore[attr-defined]
    out = {}
    for name, subject in bound.subjects(spec):
        verdict = bound.judge(subject, spec, inv)
        out[name] = Verdict(**{**verdict.to_dict(), "diagnosis": diagnose(verdict, spec, inv)})
    return out


def statuses(found: dict[str, Verdict]) -> dict[str, str]:
    return {name: v.status for name, v in found.items()}


def entries_list_calls(emu: Emulator) -> int:
    return sum(n for route, n in emu.stats()["by_route"].items() if route.endswith("/v2/entries:list"))


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"extends: {SCENARIO_DIR / 'staging.yaml'}\n{text}", encoding="utf-8")
    return path


def test_staging_passes_health_and_logs(spec: Checklist) -> None:
    with running("staging") as emu:
        inv = collect(emu)
    logs = verdicts(phase4.test_worker_start_lines, spec, inv)
    health = verdicts(phase4.test_health_endpoint, spec, inv)
    assert set(statuses(logs).values()) == {"pass"}, [v.message() for v in logs.values()]
    assert set(statuses(health).values()) == {"pass"}, [v.message() for v in health.values()]
    assert len(logs) == 4 and len(health) == 3
    assert all(p.latency_ms is not None for p in inv.health.items)


def test_throttled_worker_fails_logs_with_cpu_diagnosis(spec: Checklist) -> None:
    with running("worker-cpu-throttled") as emu:
        inv = collect(emu)
    logs = verdicts(phase4.test_worker_start_lines, spec, inv)
    assert statuses(logs) == {
        WORKER: "fail",
        "mobius-skills-scraper-worker": "pass",
        "mobius-rag-chunking-worker": "pass",
        "mobius-rag-embedding-worker": "pass",
    }
    failing = logs[WORKER]
    assert "'[WORKER] Worker listening for chat requests'" in failing.reason
    assert failing.diagnosis is not None
    assert failing.diagnosis.startswith('"Worker starts then shuts down" — mobius-chat-worker runs with CPU throttling')
    assert "gcloud run services update mobius-chat-worker --no-cpu-throttling" in failing.diagnosis
    assert 'Likely cause: "Worker starts then shuts down"' in failing.message()
    assert set(statuses(verdicts(phase4.test_health_endpoint, spec, inv)).values()) == {"pass"}


def test_worker_without_connector_cannot_reach_redis(spec: Checklist) -> None:
    with running("worker-no-connector") as emu:
        inv = collect(emu)
    failing = verdicts(phase4.test_worker_start_lines, spec, inv)[WORKER]
    assert failing.status == "fail"
    assert "Redis connection failed" in failing.reason
    assert failing.diagnosis is not None and failing.diagnosis.startswith('"Service can\'t reach Redis"')
    assert "--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only" in failing.diagnosis


def test_one_log_query_per_collection() -> None:
    with running("worker-cpu-throttled") as emu:
        emu.reset_stats()
        inv = collect(emu, {"log_entries"})
        assert entries_list_calls(emu) == 1
        assert {e.service for e in inv.log_entries.items} == {
            WORKER,
            "mobius-skills-scraper-worker",
            "mobius-rag-chunking-worker",
            "mobius-rag-embedding-worker",
        }
        assert not any("/health HTTP" in e.text for e in inv.log_entries.items), "the filter keeps request logs out"
        collect(emu)
        assert entries_list_calls(emu) == 2


def test_repairing_throttling_changes_the_next_runs_logs(spec: Checklist) -> None:
    with running("worker-cpu-throttled") as emu:
        before = verdicts(phase4.test_worker_start_lines, spec, collect(emu))[WORKER]
        clients = Clients(Target(PROJECT, REGION, emu.url))
        client = clients.run_services
        service = client.get_service(name=f"projects/{PROJECT}/locations/{REGION}/services/{WORKER}")
        service.template.containers[0].resources.cpu_idle = False
        client.update_service(service=service).result(timeout=10)
        inv = collect(emu)
        after = verdicts(phase4.test_worker_start_lines, spec, inv)[WORKER]
    assert before.status == "fail"
    assert after.status == "pass", after.message()
    revisions = {e.revision for e in inv.logs_of(WORKER)}
    assert len(revisions) == 2, "the throttled revision's entries are still there, but no longer judged"


def test_health_failures_and_overrides(spec: Checklist, tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """
patches:
  - resource: services/mobius-chat-api
    unset: [template.vpcAccess]
resources:
  health_overrides:
    mobius-rag: {status: 503, body: {status: migrating}}
""",
    )
    with running(path) as emu:
        inv = collect(emu)
    health = verdicts(phase4.test_health_endpoint, spec, inv)
    assert statuses(health) == {"mobius-chat-api": "fail", "mobius-skills-scraper": "pass", "mobius-rag": "fail"}
    assert "answered 503 (after 3 attempts)" in health["mobius-rag"].reason
    assert health["mobius-rag"].diagnosis is None
    assert health["mobius-chat-api"].diagnosis is not None
    assert health["mobius-chat-api"].diagnosis.startswith('"Service can\'t reach Redis" — mobius-chat-api')


def test_log_override_silences_a_worker(spec: Checklist, tmp_path: Path) -> None:
    path = scenario(
        tmp_path,
        """
resources:
  log_overrides:
    mobius-rag-chunking-worker:
      lines:
        - "connecting to postgresql://rag:Hunter2Pass@10.20.0.5:5432/rag"
        - {severity: ERROR, text: "ModuleNotFoundError: No module named 'app'"}
""",
    )
    with running(path) as emu:
        inv = collect(emu)
        logs = verdicts(phase4.test_worker_start_lines, spec, inv)
    assert "Hunter2Pass" not in inv.model_dump_json(), "log text is redacted when collected"
    failing = logs["mobius-rag-chunking-worker"]
    assert failing.status == "fail"
    assert "ModuleNotFoundError" in failing.reason
    assert failing.diagnosis is None, "configuration is conformant: no cause to name"
    assert logs["mobius-rag-embedding-worker"].status == "pass"


def test_logging_disabled_fails_and_forbidden_is_unavailable(spec: Checklist, tmp_path: Path) -> None:
    staging = load_checklist().apis.required
    enabled = [a for a in staging if a != "logging.googleapis.com"]
    with running(scenario(tmp_path, f"apis: {{enabled: {enabled}}}\n")) as emu:
        inv = collect(emu)
    assert inv.log_entries.status == "disabled"
    failing = verdicts(phase4.test_worker_start_lines, spec, inv)[WORKER]
    assert failing.status == "fail"
    assert failing.fix == f"gcloud services enable logging.googleapis.com --project={PROJECT}"
    forbidden = scenario(tmp_path, "apis: {forbidden: [logging.googleapis.com]}\n")
    with running(forbidden) as emu:
        inv = collect(emu)
    assert inv.log_entries.status == "unavailable"
    assert "permission denied listing log entries" in (inv.log_entries.cause or "")
