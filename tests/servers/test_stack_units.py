"""Pure pieces of the local stack: models, chunking, deploy env, diagnosis, scraper allow-list."""

from __future__ import annotations

import asyncio
import threading
import uuid

import httpx
import pytest
from mobius_gate.fixtures.stack import rag
from mobius_gate.fixtures.stack.deploy_env import Backends, service_env
from mobius_gate.fixtures.stack.models import (
    Context,
    ExtractiveLLM,
    HashingEmbedder,
    ProviderError,
    load_embedder,
    load_llm,
)
from mobius_gate.fixtures.stack.queues import SCRAPER_QUEUE
from mobius_gate.fixtures.stack.settings import log_lines, logger
from mobius_gate.fixtures.stack.worker_server import worker_app

from e2e.flows import diagnose_waiting
from mobius_gate.spec import load_checklist


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashing_embedder_is_deterministic_normalised_and_topical() -> None:
    e = HashingEmbedder()
    redis_text = e.embed_one("The VPC connector reaches the Redis private IP")
    assert redis_text == HashingEmbedder().embed_one("The VPC connector reaches the Redis private IP")
    assert abs(_cos(redis_text, redis_text) - 1.0) < 1e-9
    close = e.embed_one("Which connector reaches Redis?")
    far = e.embed_one("Tuesday lunch menu: soup and bread")
    assert _cos(redis_text, close) > _cos(redis_text, far) + 0.2
    assert e.embed_one("") == [0.0] * e.dim


def test_extractive_llm_answers_from_context_and_cites_it() -> None:
    contexts = [
        Context("Bananas are yellow. The maintenance window opens at 03:40 UTC.", "gs://b/runbook.md", "d1", 0),
        Context("Unrelated text about soup.", "gs://b/menu.md", "d2", 0),
    ]
    answer = ExtractiveLLM().answer("When does the maintenance window open?", contexts)
    assert "The maintenance window opens at 03:40 UTC. [1]" in answer.text
    assert "Bananas" not in answer.text
    assert "[1] gs://b/runbook.md" in answer.text
    assert answer.citations == [contexts[0]]
    nothing = ExtractiveLLM().answer("What is quantum chromodynamics?", contexts)
    assert nothing.citations == [] and "could not find" in nothing.text


def test_providers_are_pluggable_and_fail_in_one_line() -> None:
    assert isinstance(load_llm("local"), ExtractiveLLM)
    assert isinstance(load_embedder("mobius_gate.fixtures.stack.models:HashingEmbedder"), HashingEmbedder)
    with pytest.raises(ProviderError, match="'vertex' is not available in the local stack"):
        load_llm("vertex")
    with pytest.raises(ProviderError, match="cannot be loaded"):
        load_embedder("no_such_module_xyz:Factory")


def test_chunks_keep_sentences_whole_and_bounded() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60)) + "\n\nA second paragraph."
    chunks = rag.chunk_text(text, max_chars=200)
    assert all(len(c) <= 200 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert chunks[-1] == "A second paragraph."
    assert " ".join(chunks[:-1]) == " ".join(text.split("\n\n")[0].split())


def test_deploy_env_is_the_checklists_with_placeholders_filled() -> None:
    spec = load_checklist().resolve("mobiusos-new")
    backends = Backends("redis://127.0.0.1:1/0", "postgresql://u@127.0.0.1:2/mobius_chat", "s3cret")
    worker = service_env(spec, "mobius-chat-worker", backends)
    assert worker["QUEUE_TYPE"] == "redis"
    assert worker["REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert worker["CHAT_RAG_DATABASE_URL"] == "postgresql://u@127.0.0.1:2/mobius_chat"
    assert worker["JWT_SECRET"] == "s3cret"
    assert worker["VERTEX_MODEL"] == "gemini-2.5-flash"
    assert "present" not in worker.values()
    assert service_env(spec, "mobius-rag-chunking-worker", backends)["WORKER_TYPE"] == "chunking"
    assert service_env(spec, "mobius-rag", backends)["CHAT_RAG_DATABASE_URL"] == backends.database_url
    assert service_env(spec, "mobius-skills-scraper", backends) == {
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "GCS_BUCKET": "mobius-rag-uploads",
    }


def test_scraper_queue_is_the_one_its_log_line_names() -> None:
    assert SCRAPER_QUEUE in log_lines("mobius-skills-scraper-worker")[0]


def test_scraper_fetches_only_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from mobius_gate.fixtures.stack.scraper_worker import allowed

    monkeypatch.delenv("SCRAPER_ALLOWED_HOSTS", raising=False)
    assert allowed("http://127.0.0.1:8000/x")
    assert not allowed("https://example.com/")
    assert not allowed("http://127.0.0.1@example.com/"), "userinfo does not make a host loopback"
    assert not allowed("http://127.0.0.1.example.com/")
    monkeypatch.setenv("SCRAPER_ALLOWED_HOSTS", "*")
    assert allowed("https://example.com/")


#: The symptom-table rows (mobius_gate/symptoms.py) the local diagnoses use.
WAITING_ROW = '"Waiting for worker" —'
LISTENING = f"{WAITING_ROW} mobius-chat-worker is not consuming the queue"
API = {"queue_type": "redis", "redis": "redis://127.0.0.1:6379/1"}
WORKER = {"worker_thread": "running", "queue_type": "redis", "redis": "redis://127.0.0.1:6379/1"}


@pytest.mark.parametrize(
    ("api", "worker", "starts_with"),
    [
        (API, None, f"{WAITING_ROW} mobius-chat-worker is not consuming the queue (its /health does not answer)"),
        (
            API,
            {**WORKER, "worker_thread": "stopped", "error": "boom"},
            f"{LISTENING} (its consumer thread stopped: boom)",
        ),
        (API, {**WORKER, "redis": "redis://127.0.0.1:6379/2"}, f"{WAITING_ROW} mobius-chat-api and mobius-chat-worker"),
        (API, {**WORKER, "redis": "redis://10.0.0.3:6379/1"}, f"{WAITING_ROW} mobius-chat-api and mobius-chat-worker"),
        (
            API,
            {**WORKER, "queue_type": "memory"},
            f"{WAITING_ROW} mobius-chat-worker has QUEUE_TYPE 'memory', not 'redis'",
        ),
        (API, WORKER, f"{LISTENING} (up on the same Redis"),
        ({**API, "redis": "redis://127.0.0.1/0"}, {**WORKER, "redis": "redis://127.0.0.1:6379"}, f"{LISTENING} (up on"),
    ],
)
def test_waiting_for_worker_diagnosis(api: dict, worker: dict | None, starts_with: str) -> None:
    assert diagnose_waiting(api, worker).startswith(starts_with)


def test_worker_app_logs_its_start_lines_in_a_fixed_order(capsys: pytest.CaptureFixture[str]) -> None:
    """Both lines come from the lifespan, before /health answers, however late the thread gets going."""
    service = f"test-worker-{uuid.uuid4().hex[:6]}"  # a fresh logger, writing to the captured stdout
    release = threading.Event()

    def run(stop: threading.Event) -> None:
        release.wait(5)  # a consumer thread that is slow to start
        logger(service).info("thread running")
        stop.wait(5)

    app = worker_app(service, run, dict, started_line="started in background", starting_line="starting")

    async def serve() -> tuple[dict, list[str]]:
        async with app.router.lifespan_context(app):  # what uvicorn runs before serving
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
                health = (await client.get("/health")).json()
            before = capsys.readouterr().out.splitlines()
            release.set()
        return health, before

    health, before = asyncio.run(serve())
    assert health["worker_thread"] == "running"
    assert before == ["starting", "started in background"]
    assert capsys.readouterr().out.splitlines() == ["thread running"]
