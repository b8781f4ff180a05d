"""Failure modes from the checklist's "Common Issues", each asserting the symptom it names.

Each test starts its own service processes on a Redis database of its own, so
the main stack's workers cannot interfere. Guards under test (removing one
makes its test fail): the API's worker-liveness check ("waiting for worker"),
the REDIS_URL comparison in :func:`e2e.flows.diagnose_waiting`, RAG's
metadata join and its diagnosis, the reliable queue's recovery on restart and
lease expiry. Diagnoses are the gate's symptom-table rows (``mobius_gate/symptoms.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import redis
from mobius_gate.fixtures.stack.launcher import App, LocalStack, wait_all
from mobius_gate.fixtures.stack.migrate import apply_migrations
from mobius_gate.fixtures.stack.queues import CHAT_QUEUE

from e2e.flows import WAITING, Endpoints, FlowStalled, Mobius, diagnose_search
from mobius_gate.diagnose import observed

BOUND_S = 2.0
NO_HEALTH = "its /health does not answer"
#: Pause after each step of the worker that gets killed (it never finishes the pause).
KILLED_STEP_DELAY_S = 5.0


def _client(stack: LocalStack, chat_api: App, chat_worker: App | None = None) -> Mobius:
    endpoints = Endpoints(
        chat_api=chat_api.url,
        rag_api=stack["mobius-rag"].url,
        scraper_api=stack["mobius-skills-scraper"].url,
        chat_worker=chat_worker.url if chat_worker else None,
    )
    return Mobius(endpoints, stack.jwt_secret)


def test_worker_not_running_chat_stays_waiting_for_worker(
    local_stack: LocalStack, spawn: Callable[..., App], spare_redis: Callable[[int], str]
) -> None:
    api = spawn("mobius-chat-api", REDIS_URL=spare_redis(0))
    client = _client(local_stack, api, chat_worker=None)
    request_id = client.ask("Is anyone there?")

    started = time.monotonic()
    with pytest.raises(FlowStalled) as stalled:
        client.wait_answer(request_id, timeout=BOUND_S)
    elapsed = time.monotonic() - started

    assert elapsed < BOUND_S + 1.5, "the flow reports within a bounded time"
    assert client.chat(request_id)["status"] == WAITING
    assert f"still {WAITING!r}" in stalled.value.symptom
    assert stalled.value.diagnosis == observed("not-listening", "mobius-chat-worker", reason=NO_HEALTH).text()
    assert stalled.value.diagnosis.startswith('"Waiting for worker" — mobius-chat-worker is not consuming the queue')


def test_api_and_worker_on_different_redis_urls_is_diagnosed(
    local_stack: LocalStack, spawn: Callable[..., App], spare_redis: Callable[[int], str]
) -> None:
    api_redis, worker_redis = spare_redis(1), spare_redis(2)
    api = spawn("mobius-chat-api", REDIS_URL=api_redis, wait=False)
    worker = spawn("mobius-chat-worker", REDIS_URL=worker_redis, wait=False)
    wait_all([api, worker])
    client = _client(local_stack, api, worker)
    request_id = client.ask("Why is nobody answering?")

    with pytest.raises(FlowStalled) as stalled:
        client.wait_answer(request_id, timeout=BOUND_S)

    assert client.chat(request_id)["status"] == WAITING
    assert stalled.value.diagnosis.startswith(
        '"Waiting for worker" — mobius-chat-api and mobius-chat-worker do not share one Redis queue'
    )
    assert api_redis in stalled.value.diagnosis and worker_redis in stalled.value.diagnosis
    assert redis.Redis.from_url(api_redis).llen(CHAT_QUEUE) == 1, "the job sits in the API's Redis"


def test_empty_published_rag_metadata_returns_zero_results(
    local_stack: LocalStack, mobius: Mobius, spawn: Callable[..., App], pg_database: str
) -> None:
    codename = "vega7"
    text = f"The {codename} index is rebuilt every Sunday at 02:15 UTC by the embedding worker."
    uploaded = mobius.upload("vega.md", text)
    mobius.wait_document(uploaded["id"])
    question = f"When is the {codename} index rebuilt?"
    assert mobius.search(question)["results"], "control: with metadata the document is found"

    apply_migrations(pg_database)  # a production database where the metadata sync never ran
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT count(*) FROM published_rag_metadata").fetchone() == (0,)
    rag = spawn("mobius-rag", CHAT_RAG_DATABASE_URL=pg_database)  # same vector index (Redis)

    found = mobius.search(question, rag_api=rag.url)

    assert found["results"] == []
    assert found["vector_matches"] > 0, "the index still has the vectors"
    assert f"{uploaded['id']}:0" in found["missing_metadata"]
    assert found["diagnosis"].startswith("RAG returns 0 results")
    assert "published_rag_metadata" in found["diagnosis"]
    assert (diagnose_search(found) or "").startswith('"RAG returns 0 results" — published_rag_metadata has no row')
    assert "run dbt sync" in (diagnose_search(found) or ""), "the gate's row for DB-RAG-META, with its fix"


def _wait_event(client: Mobius, request_id: str, event_type: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.chat(request_id)
        if any(e["event_type"] == event_type for e in state["events"]):
            return state
        time.sleep(0.02)
    raise AssertionError(f"no {event_type!r} event for {request_id} within {timeout}s")


def _kill_mid_job(
    local_stack: LocalStack, spawn: Callable[..., App], spare_redis: Callable[[int], str], n: int
) -> tuple[Mobius, str, str, App]:
    """Start an API and a slow worker on their own Redis, submit, SIGKILL the worker mid-job.

    The worker pauses ``KILLED_STEP_DELAY_S`` after each step, so it is still mid-job when
    killed even if this process is descheduled for a while after seeing "started"; the kill
    cuts the pause short, so the delay costs no time.
    """
    queue_redis = spare_redis(n)
    api = spawn("mobius-chat-api", REDIS_URL=queue_redis, wait=False)
    worker = spawn(
        "mobius-chat-worker",
        REDIS_URL=queue_redis,
        WORKER_ID="worker-a",
        CHAT_WORKER_STEP_DELAY=str(KILLED_STEP_DELAY_S),
        wait=False,
    )
    wait_all([api, worker])
    client = _client(local_stack, api, worker)
    request_id = client.ask("Which connector reaches the Redis private IP?")
    _wait_event(client, request_id, "started")
    worker.kill()
    state = client.chat(request_id)
    assert state["status"] == "processing", "killed mid-job"
    assert state["events"][-1]["event_type"] != "completed"
    assert redis.Redis.from_url(queue_redis).llen(f"{CHAT_QUEUE}:processing:worker-a") == 1
    return client, request_id, queue_redis, worker


def _assert_completed_after_restart(state: dict[str, Any]) -> None:
    assert state["status"] == "completed", state
    assert state["attempts"] == 2
    types = [e["event_type"] for e in state["events"]]
    assert types.count("started") == 2 and types[-1] == "completed"
    assert [e["seq"] for e in state["events"]] == list(range(1, len(types) + 1)), "still in order"


def test_worker_killed_mid_job_completes_after_restart(
    local_stack: LocalStack, spawn: Callable[..., App], spare_redis: Callable[[int], str]
) -> None:
    client, request_id, queue_redis, _killed = _kill_mid_job(local_stack, spawn, spare_redis, 3)

    spawn("mobius-chat-worker", REDIS_URL=queue_redis, WORKER_ID="worker-a")  # Cloud Run restarts it

    _assert_completed_after_restart(client.wait_answer(request_id, timeout=10))
    assert redis.Redis.from_url(queue_redis).llen(f"{CHAT_QUEUE}:processing:worker-a") == 0


def test_worker_killed_mid_job_is_reclaimed_by_another_worker(
    local_stack: LocalStack, spawn: Callable[..., App], spare_redis: Callable[[int], str]
) -> None:
    client, request_id, queue_redis, _killed = _kill_mid_job(local_stack, spawn, spare_redis, 4)

    spawn("mobius-chat-worker", REDIS_URL=queue_redis, WORKER_ID="worker-b")  # a new instance, new id

    state = client.wait_answer(request_id, timeout=local_stack.lease_s + 8)
    _assert_completed_after_restart(state)
    second_start = [e for e in state["events"] if e["event_type"] == "started"][1]
    assert second_start["payload"]["worker"] == "worker-b"
