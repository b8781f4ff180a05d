"""VER-E2E-* flow logic against a tiny chat API served by uvicorn on loopback.

The health probe (VER-HEALTH's collector) is exercised on the same app.
The app behaves like the deployed chat API of §4.4: POST /chat queues a
request, GET /chat/{id} reports its status (completed once a "worker" has seen
it ``polls_needed`` times) and DELETE /chat/{id} removes it. Each test checks
the outcome *and* that the flow cleaned up what it created.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from mobius_gate.collect.flows import dig, run_flow, run_flows
from mobius_gate.collect.health import probe
from mobius_gate.inventory import Inventory, Section, Service
from mobius_gate.spec import Checklist, E2EFlow, E2ELiveSpec, load_checklist
from tests.checks.factory import CHECKS as phase4

pytestmark = pytest.mark.servers

TOKEN = "e2e-Bearer-Token-123"


@dataclass
class ChatBackend:
    """State of the fake chat API; tests set its behaviour."""

    polls_needed: int = 2
    final_status: str = "completed"
    submit_status: int = 202
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    auth_headers: list[str | None] = field(default_factory=list)
    counter: int = 0
    #: GET /health answers 503 this many times first (a cold start).
    health_failures: int = 0


def chat_app(backend: ChatBackend) -> FastAPI:
    app = FastAPI()

    @app.post("/chat")
    async def submit(request: Request) -> Response:
        backend.auth_headers.append(request.headers.get("authorization"))
        body = await request.json()
        if backend.submit_status >= 400:
            return JSONResponse({"error": "queue unavailable"}, status_code=backend.submit_status)
        backend.counter += 1
        request_id = f"req-{backend.counter}"
        backend.requests[request_id] = {"message": body["message"], "polls": 0}
        return JSONResponse({"request_id": request_id, "status": "queued"}, status_code=backend.submit_status)

    @app.get("/chat/{request_id}")
    async def status(request_id: str) -> Response:
        job = backend.requests.get(request_id)
        if job is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        job["polls"] += 1
        if backend.polls_needed and job["polls"] > backend.polls_needed:
            done = backend.final_status == "completed"
            return JSONResponse({"status": backend.final_status, "response": "OK" if done else ""})
        return JSONResponse({"status": "queued", "response": None})

    @app.get("/health")
    async def health() -> Response:
        if backend.health_failures > 0:
            backend.health_failures -= 1
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.delete("/chat/{request_id}")
    async def delete(request_id: str) -> Response:
        if backend.requests.pop(request_id, None) is None:
            return Response(status_code=404)
        backend.deleted.append(request_id)
        return Response(status_code=204)

    return app


@pytest.fixture
def backend() -> ChatBackend:
    return ChatBackend()


@pytest.fixture
def base_url(backend: ChatBackend) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(chat_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test chat API did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def spec() -> Checklist:
    """The checklist with short waits (the flows themselves are the checklist's)."""
    data = load_checklist().resolve("mobiusos-new").model_dump()
    data["e2e_live"].update(timeout_s=0.5, poll_interval_s=0.02, request_timeout_s=2.0)
    return Checklist.model_validate(data)


def chat(spec: Checklist) -> E2EFlow:
    assert spec.e2e_live.chat is not None
    return spec.e2e_live.chat


def live(spec: Checklist) -> E2ELiveSpec:
    return spec.e2e_live


def test_chat_flow_passes_and_cleans_up(spec: Checklist, backend: ChatBackend, base_url: str) -> None:
    result = run_flow(chat(spec), live(spec), base_url)
    assert result.ok, result.reason
    assert result.captured == {"request_id": "req-1"}
    assert backend.deleted == ["req-1"] and backend.requests == {}


def test_worker_never_picks_up_times_out_and_cleans_up(spec: Checklist, backend: ChatBackend, base_url: str) -> None:
    backend.polls_needed = 0  # never completes: "Waiting for worker..."
    started = time.monotonic()
    result = run_flow(chat(spec), live(spec), base_url)
    assert not result.ok
    assert result.step == "wait for response"
    assert "still status='queued' after 0.5 s (waiting for completed)" in result.reason
    assert time.monotonic() - started < 5, "the wait is bounded by timeout_s"
    assert backend.deleted == ["req-1"] and backend.requests == {}


def test_failed_job_fails_the_flow(spec: Checklist, backend: ChatBackend, base_url: str) -> None:
    backend.final_status = "failed"
    result = run_flow(chat(spec), live(spec), base_url)
    assert not result.ok
    assert "status became 'failed'" in result.reason
    assert backend.deleted == ["req-1"]


def test_rejected_submit_fails_without_cleanup_errors(spec: Checklist, backend: ChatBackend, base_url: str) -> None:
    backend.submit_status = 503
    result = run_flow(chat(spec), live(spec), base_url)
    assert not result.ok and result.step == "submit question"
    assert "answered 503 (expected 200, 201, 202)" in result.reason
    assert result.cleanup_errors == []


def test_an_unimplemented_endpoint_is_not_served_and_judged_an_error(
    spec: Checklist, backend: ChatBackend, base_url: str
) -> None:
    """501 Not Implemented (a stub, a proxy) is no evidence the flow is broken: VER-E2E-CHAT cannot judge."""
    backend.submit_status = 501
    result = run_flow(chat(spec), live(spec), base_url)
    assert (result.ok, result.not_served, result.step) == (False, True, "submit question")
    services = Section[Service](items=[Service(name="mobius-chat-api", uri=base_url)])
    inv = Inventory(project="mobiusos-new", region="us-central1", source="test", services=services)
    inv = inv.model_copy(update={"live_flows": run_flows(spec, services.items)})
    bound = phase4.test_live_chat_flow.mobius_rule
    [(_, flow)] = list(bound.subjects(spec))
    verdict = bound.judge(flow, spec, inv)
    assert verdict.status == "error", verdict.message()
    assert "the flow endpoint is not served" in verdict.reason and "answered 501" in verdict.reason
    backend.submit_status = 503  # a real answer of the service: still a failure
    inv = inv.model_copy(update={"live_flows": run_flows(spec, services.items)})
    assert bound.judge(flow, spec, inv).status == "fail"


def test_bearer_token_is_sent_and_never_reported(
    spec: Checklist, backend: ChatBackend, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOBIUS_E2E_TOKEN", TOKEN)
    result = run_flow(chat(spec), live(spec), base_url)
    assert backend.auth_headers == [f"Bearer {TOKEN}"]
    assert TOKEN not in repr(result)


def test_unreachable_service_fails_after_bounded_retries(spec: Checklist) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = run_flow(chat(spec), live(spec), f"http://127.0.0.1:{port}", sleep=lambda _: None)
    assert not result.ok
    assert "ConnectError" in result.reason


def test_live_chat_check_uses_the_service_uri(spec: Checklist, backend: ChatBackend, base_url: str) -> None:
    bound = phase4.test_live_chat_flow.mobius_rule
    [(resource, flow)] = list(bound.subjects(spec))
    assert resource == "mobius-chat-api"
    assert bound.extra_marks and phase4.test_live_chat_flow.pytestmark[-1].name == "e2e_live"
    inv = Inventory(
        project="mobiusos-new",
        region="us-central1",
        source="test",
        services=Section[Service](items=[Service(name="mobius-chat-api", uri=base_url)]),
    )
    assert inv.live_flows.status == "not_collected"
    assert bound.judge(flow, spec, inv).status == "na"  # not selected: never run
    inv = inv.model_copy(update={"live_flows": run_flows(spec, inv.services.items)})
    verdict = bound.judge(flow, spec, inv)
    assert verdict.status == "pass", verdict.message()
    backend.polls_needed = 0
    inv = inv.model_copy(update={"live_flows": run_flows(spec, inv.services.items)})
    verdict = bound.judge(flow, spec, inv)
    assert verdict.status == "fail"
    assert "Chat: submit a question" in verdict.reason
    # No single command fixes a flow: the fix reads the logs of the API and of the worker it pairs with.
    assert (verdict.fix or "").startswith(
        "gcloud run services logs read mobius-chat-api --region=us-central1 --project=mobiusos-new && "
        "gcloud run services logs read mobius-chat-worker --region=us-central1 --project=mobiusos-new"
    ), verdict.message()
    assert verdict.expected and verdict.actual
    undeployed = Inventory(project="mobiusos-new", region="us-central1", source="test")
    assert bound.judge(flow, spec, undeployed.model_copy(update={"live_flows": inv.live_flows})).status == "na"


def test_dig() -> None:
    doc = {"a": {"b": [{"c": 1}]}}
    assert dig(doc, "a.b.0.c") == 1
    assert dig(doc, "a.x") is None
    assert dig(doc, "a.b.5") is None


# --- the health probe on the same app ---------------------------------------------------------------


def test_health_probe_retries_a_cold_start(backend: ChatBackend, base_url: str) -> None:
    backend.health_failures = 1
    result = probe("mobius-chat-api", f"{base_url}/health", timeout_s=2)
    assert (result.status_code, result.attempts, result.error) == (200, 2, None)
    assert result.latency_ms is not None and result.latency_ms >= 0


def test_health_probe_reports_the_last_5xx(backend: ChatBackend, base_url: str) -> None:
    backend.health_failures = 10
    result = probe("mobius-chat-api", f"{base_url}/health", timeout_s=2, attempts=2)
    assert (result.status_code, result.attempts) == (503, 2)


def test_health_probe_unreachable_is_an_error_not_an_exception() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = probe("mobius-chat-api", f"http://127.0.0.1:{port}/health", timeout_s=1, attempts=2)
    assert result.status_code is None
    assert result.error is not None and result.error.startswith("ConnectError")
    assert result.attempts == 2


def test_a_poll_that_fails_as_time_runs_out_names_the_state_and_the_error(spec: Checklist) -> None:
    """The last poll's transport error is kept beside the state last seen, not lost to "timed out"."""
    now = [0.0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(202, json={"request_id": "req-1"})
        if request.method == "DELETE":
            return httpx.Response(204)
        if now[0] >= 9.5:
            now[0] += 0.3  # each failed attempt costs time, until the deadline passes
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"status": "queued"})

    def sleep(seconds: float) -> None:
        now[0] += seconds

    settings = spec.e2e_live.model_copy(update={"timeout_s": 10.0, "poll_interval_s": 0.5})
    client = httpx.Client(transport=httpx.MockTransport(handler))
    result = run_flow(chat(spec), settings, "http://chat.test", client=client, sleep=sleep, clock=lambda: now[0])
    assert not result.ok and result.step == "wait for response"
    assert result.reason.startswith("wait for response: still status='queued' after 10 s"), result.reason
    assert "last poll: GET /chat/req-1 failed: ConnectError: connection refused" in result.reason, result.reason
