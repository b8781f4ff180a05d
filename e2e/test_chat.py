"""Chat (checklist §4.4): submit a question, the worker picks it up, progress events arrive in order,
the answer appears. Plus the API's authentication and the worker's §4.3 log lines."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from mobius_gate.fixtures.stack.settings import log_lines

from e2e.flows import CHAT_STEPS, Mobius, token


def test_chat_api_rejects_requests_without_a_valid_jwt(mobius: Mobius) -> None:
    url = f"{mobius.endpoints.chat_api}/chat"
    http = mobius.http  # a client that ignores proxy settings, without the client's own headers
    assert http.post(url, json={"question": "hi"}).status_code == 401
    forged = {"Authorization": f"Bearer {token('not-the-deployed-secret-' + 'x' * 16)}"}
    assert http.post(url, json={"question": "hi"}, headers=forged).status_code == 401
    assert http.post(url, json={"question": "hi"}, headers=mobius.auth).status_code == 202


def test_question_is_answered_with_ordered_progress_events(mobius: Mobius, stack: Any) -> None:
    request_id = mobius.ask("Which queue does the chat worker listen on?")
    state = mobius.wait_answer(request_id, timeout=15)

    assert state["status"] == "completed", state
    assert state["answer"]
    events = state["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert tuple(e["event_type"] for e in events) == CHAT_STEPS
    stamps = [e["created_at"] for e in events]
    assert stamps == sorted(stamps)
    with psycopg.connect(stack.database_url) as conn:
        rows = conn.execute(
            "SELECT seq, event_type FROM chat_progress_events WHERE request_id = %s ORDER BY seq", (request_id,)
        ).fetchall()
    assert [(e["seq"], e["event_type"]) for e in events] == rows


@pytest.mark.parametrize(
    "service",
    ["mobius-chat-worker", "mobius-skills-scraper-worker", "mobius-rag-chunking-worker", "mobius-rag-embedding-worker"],
)
def test_worker_logs_the_checklist_start_lines_in_order(stack: Any, service: str) -> None:
    expected = list(log_lines(service))
    # /health answers once the consumer thread runs, which may be just before it logs: a bounded wait.
    deadline = time.monotonic() + 5.0
    logged = stack.log_text(service).splitlines()
    while not set(expected) <= set(logged) and time.monotonic() < deadline:
        time.sleep(0.05)
        logged = stack.log_text(service).splitlines()
    positions = [logged.index(line) for line in expected if line in logged]
    assert len(positions) == len(expected), f"{service} log lacks some of {expected}: {logged[:10]}"
    assert positions == sorted(positions)
