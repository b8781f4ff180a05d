"""The symptom table (mobius_gate/symptoms.py) and the one derivation of diagnoses from verdicts."""

from __future__ import annotations

import pytest

from e2e.flows import diagnose_search, diagnose_waiting
from mobius_gate.diagnose import diagnoses_from, observed, text_of
from mobius_gate.engine import judge_all, verdicts_of
from mobius_gate.inventory import EnvVar, Inventory, LogEntry, Section
from mobius_gate.requirements import CATALOGUE
from mobius_gate.spec import Checklist
from mobius_gate.symptoms import ROWS, STARTS_THEN_SHUTS_DOWN, SYMPTOMS, TABLE, WAITING_FOR_WORKER
from mobius_gate.verdict import Verdict, failed, passed
from tests.checks.factory import conformant, resolved_spec, with_env, with_service

WORKER, API = "mobius-chat-worker", "mobius-chat-api"
CPU_FIX = "gcloud run services update mobius-chat-worker --no-cpu-throttling"


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return resolved_spec()


def test_every_row_names_catalogue_requirements_and_formats() -> None:
    assert len(ROWS) == len(TABLE), "row keys are unique"
    for row in TABLE:
        assert row.cause in CATALOGUE and set(row.symptoms) <= set(CATALOGUE), row.key
        assert row.env is None or row.cause == "SVC-ENV", row.key
        assert row.text.format(service="s", reason="r", expected="e", actual="a"), row.key
        assert row.fix, row.key
    assert {"VER-LOGS", "VER-HEALTH", "VER-E2E-CHAT", "DB-RAG-CONSISTENT"} <= SYMPTOMS


def cpu_throttled(resource: str = WORKER) -> Verdict:
    return failed("SVC-CPU-ALWAYS", resource, "CPU is throttled", actual="CPU throttled", fix=f"{CPU_FIX} --x")


def test_a_symptom_takes_its_cause_from_the_other_verdicts(spec: Checklist) -> None:
    logs = failed("VER-LOGS", WORKER, "missing lines")
    [found] = diagnoses_from(logs, [logs, cpu_throttled()], spec)
    assert found.issue == STARTS_THEN_SHUTS_DOWN
    assert found.cause.startswith(f"{WORKER} runs with CPU throttling")
    assert found.fix == f"{CPU_FIX} --x", "the cause verdict's own fix"
    assert diagnoses_from(logs, [passed("SVC-CPU-ALWAYS", WORKER, "ok")], spec) == []
    assert diagnoses_from(logs, [cpu_throttled("mobius-skills-scraper-worker")], spec) == [], "another service"
    assert diagnoses_from(passed("VER-LOGS", WORKER, "ok"), [cpu_throttled()], spec) == []
    assert diagnoses_from(failed("SVC-IMAGE", WORKER, "x"), [cpu_throttled()], spec) == [], "not a symptom"


def test_a_flow_takes_the_causes_of_the_workers_it_pairs_with(spec: Checklist) -> None:
    chat = failed("VER-E2E-CHAT", API, "timed out")
    shared = failed("SVC-REDIS-SHARED", f"{API}+{WORKER}", "differ", actual="REDIS_URL=differ")
    listening = failed("VER-LOGS", WORKER, "revision r logged 1 of 3 start lines")
    found = diagnoses_from(
        chat, [cpu_throttled(), shared, listening, cpu_throttled("mobius-rag-embedding-worker")], spec
    )
    assert [d.issue for d in found] == [STARTS_THEN_SHUTS_DOWN, WAITING_FOR_WORKER, WAITING_FOR_WORKER]
    assert found[1].cause == f"{API} and {WORKER} do not share one Redis queue (REDIS_URL=differ): " + (
        "the worker polls a queue the API never writes to"
    )
    assert found[2].cause == f"{WORKER} is not consuming the queue (revision r logged 1 of 3 start lines)"


def test_queue_type_row_reads_only_the_queue_type_env_verdict(spec: Checklist) -> None:
    logs = failed("VER-LOGS", WORKER, "missing lines")
    queue = failed("SVC-ENV", WORKER, "x", expected="'redis'", actual="'memory'", details={"env": "QUEUE_TYPE"})
    other = failed("SVC-ENV", WORKER, "x", expected="'a'", actual="'b'", details={"env": "ENV"})
    [found] = diagnoses_from(logs, [queue, other], spec)
    assert found.cause.startswith(f"{WORKER} has QUEUE_TYPE 'memory', not 'redis'")


def test_a_symptoms_own_reading_only_when_no_other_check_names_the_issue(spec: Checklist) -> None:
    resource = "mobius_chat/published_rag_metadata"
    consistent = failed("DB-RAG-CONSISTENT", resource, "30% (3 of 10) of the ids have no row")
    [own] = diagnoses_from(consistent, [consistent], spec)
    assert own.cause == "the metadata sync is incomplete: 30% (3 of 10) of the ids have no row"
    assert own.fix is None, "its own fix is already the verdict's"
    meta = failed("DB-RAG-META", resource, "published_rag_metadata has 0 row(s)", fix="cd mobius-dbt && sync")
    [found] = diagnoses_from(consistent, [consistent, meta], spec)
    assert found.cause.startswith("published_rag_metadata has 0 row(s): the vector index finds matches")
    assert found.fix == "cd mobius-dbt && sync"


def _crafted(spec: Checklist) -> list[Inventory]:
    inv = conformant(spec).model_copy(update={"log_entries": Section[LogEntry](items=[])})  # no worker logged
    env = [e if e.name != "QUEUE_TYPE" else EnvVar(name="QUEUE_TYPE", value="memory") for e in inv.service(WORKER).env]  # type: ignore[union-attr]
    return [
        inv,
        with_service(inv, WORKER, cpu_always_allocated=False, ready=False, ready_message="boom"),
        with_service(inv, WORKER, vpc_connector=None, vpc_egress=None, env=env),
        with_env(inv, WORKER, "REDIS_URL", "redis://10.9.9.9:6379/0"),
    ]


def test_the_gates_diagnosis_is_the_derivation_over_the_same_inventorys_verdicts(spec: Checklist) -> None:
    seen = 0
    for inv in _crafted(spec):
        bare = verdicts_of(spec, inv)
        for verdict, own in zip(judge_all(spec, inv), bare, strict=True):
            assert (verdict.requirement, verdict.resource) == (own.requirement, own.resource)
            assert verdict.diagnosis == text_of(diagnoses_from(own, bare, spec)), verdict.message()
            seen += bool(verdict.diagnosis)
    assert seen >= 3


def test_verdicts_of_is_memoized_per_inventory(spec: Checklist) -> None:
    inv = conformant(spec)
    assert verdicts_of(spec, inv) is verdicts_of(spec, inv)
    assert verdicts_of(spec, inv.model_copy()) is not verdicts_of(spec, inv)
    assert all(v.diagnosis is None for v in verdicts_of(spec, with_service(inv, WORKER, cpu_always_allocated=False)))


def _prefix(key: str) -> str:
    """A row's text up to its first placeholder."""
    row = ROWS[key]
    return f'"{row.issue}" — ' + row.text.split("{", 1)[0]


def test_the_local_flows_use_the_gates_rows() -> None:
    api = {"queue_type": "redis", "redis": "redis://127.0.0.1:6379/1"}
    worker = {"worker_thread": "running", "queue_type": "redis", "redis": "redis://127.0.0.1:6379/2"}
    assert diagnose_waiting(api, worker).startswith(f'"{WAITING_FOR_WORKER}" — {API} and {WORKER} do not share')
    assert diagnose_waiting(api, worker).endswith(f"; fix: {ROWS['redis-not-shared'].fix}")
    assert diagnose_waiting(api, None) == observed("not-listening", WORKER, reason="its /health does not answer").text()
    search = {"results": [], "vector_matches": 3, "missing_metadata": ["a:0", "b:0"]}
    assert (diagnose_search(search) or "").startswith(_prefix("rag-metadata"))
    assert (diagnose_search(search) or "").endswith(f"; fix: {ROWS['rag-metadata'].fix}")
    assert diagnose_search({**search, "results": [{"id": "a:0"}]}) is None
