"""The end-to-end flows of checklist §4.4, as plain functions over HTTP.

Used by the e2e tests and the benchmark, against the local stack or the
deployed images alike: they only speak the services' HTTP contracts.
A flow that does not finish within its bound raises :class:`FlowStalled` with
the symptom the checklist names and, where the cause can be seen, a diagnosis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

WAITING = "waiting for worker"
CHAT_STEPS = ("started", "retrieving", "retrieved", "generating", "completed")


class FlowStalled(AssertionError):
    """A flow that did not complete in time: ``symptom`` (what a user sees) and ``diagnosis`` (why)."""

    def __init__(self, symptom: str, diagnosis: str, last: dict[str, Any] | None = None) -> None:
        super().__init__(f"{symptom} — {diagnosis}")
        self.symptom = symptom
        self.diagnosis = diagnosis
        self.last = last or {}


@dataclass(frozen=True)
class Endpoints:
    chat_api: str
    rag_api: str
    scraper_api: str
    chat_worker: str | None = None
    scraper_worker: str | None = None


def token(secret: str, subject: str = "mobius-gate-e2e", ttl_s: int = 3600) -> str:
    """A JWT as the chat API accepts it: HS256 signed with ``JWT_SECRET``."""
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + ttl_s}, secret, algorithm="HS256")


def health(base_url: str | None) -> dict[str, Any] | None:
    """A service's ``/health`` body (whatever its status code), or None if nothing answers."""
    if not base_url:
        return None
    try:
        response = httpx.get(f"{base_url}/health", timeout=2.0, trust_env=False)
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return {**body, "http_status": response.status_code}


def _redis_identity(label: str | None) -> tuple[str, int, str] | None:
    if not label:
        return None
    parts = urlsplit(label)
    return (parts.hostname or "", parts.port or 6379, parts.path.strip("/") or "0")


def diagnose_waiting(api: dict[str, Any] | None, worker: dict[str, Any] | None) -> str:
    """Why a chat request stays "waiting for worker" (checklist: Common Issues)."""
    if worker is None:
        return (
            "chat worker not running: its /health does not answer — deploy mobius-chat-worker with "
            "--min-instances=1 --no-cpu-throttling and check its logs for 'Worker listening'"
        )
    if worker.get("worker_thread") != "running":
        return (
            f"chat worker is up but its consumer thread stopped ({worker.get('error') or 'no error given'}) — "
            "workers need --no-cpu-throttling; check its logs"
        )
    if api is not None:
        api_redis, worker_redis = _redis_identity(api.get("redis")), _redis_identity(worker.get("redis"))
        if api.get("queue_type") != worker.get("queue_type"):
            return (
                f"API QUEUE_TYPE={api.get('queue_type')} but worker QUEUE_TYPE={worker.get('queue_type')} — "
                "set QUEUE_TYPE=redis on both"
            )
        if api_redis != worker_redis:
            return (
                f"API and worker do not share Redis: API REDIS_URL={api.get('redis')}, worker "
                f"REDIS_URL={worker.get('redis')} — give both the same REDIS_URL (and --vpc-connector)"
            )
    return "worker is up on the same Redis but has not taken the job — check its logs for 'Worker listening'"


class Mobius:
    """A client for the three flows."""

    def __init__(self, endpoints: Endpoints, jwt_secret: str, timeout: float = 10.0) -> None:
        self.endpoints = endpoints
        # trust_env=False: no HTTP(S)_PROXY/ALL_PROXY from the environment — requests stay where they point.
        self.http = httpx.Client(timeout=timeout, trust_env=False)
        self.auth = {"Authorization": f"Bearer {token(jwt_secret)}"}

    def close(self) -> None:
        self.http.close()

    # -- chat ------------------------------------------------------------------------------------------
    def ask(self, question: str) -> str:
        response = self.http.post(f"{self.endpoints.chat_api}/chat", json={"question": question}, headers=self.auth)
        response.raise_for_status()
        return str(response.json()["id"])

    def chat(self, request_id: str) -> dict[str, Any]:
        response = self.http.get(f"{self.endpoints.chat_api}/chat/{request_id}", headers=self.auth)
        response.raise_for_status()
        return response.json()

    def wait_answer(self, request_id: str, timeout: float = 15.0, poll: float = 0.05) -> dict[str, Any]:
        """Poll until the request is completed; a bounded wait that names what it is stuck on."""
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            state = self.chat(request_id)
            if state["status"] in ("completed", "failed"):
                return state
            time.sleep(poll)
        status = state.get("status", "unknown")
        symptom = f"chat request {request_id} still {status!r} after {timeout:.1f}s"
        if status == WAITING:
            diagnosis = diagnose_waiting(health(self.endpoints.chat_api), health(self.endpoints.chat_worker))
        elif status == "processing":
            diagnosis = (
                "a worker took the job and did not finish it (killed or stuck) — it is retried when one restarts"
            )
        else:
            diagnosis = "the job was queued but not taken yet"
        raise FlowStalled(symptom, diagnosis, state)

    # -- RAG -------------------------------------------------------------------------------------------
    def upload(self, filename: str, content: str, source_uri: str | None = None) -> dict[str, Any]:
        body = {"filename": filename, "content": content, "source_uri": source_uri}
        response = self.http.post(f"{self.endpoints.rag_api}/documents", json=body)
        response.raise_for_status()
        return response.json()

    def wait_document(
        self, document_id: str, status: str = "embedded", timeout: float = 15.0, poll: float = 0.05
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.http.get(f"{self.endpoints.rag_api}/documents/{document_id}")
            response.raise_for_status()
            state = response.json()
            if state["status"] in (status, "failed"):
                return state
            time.sleep(poll)
        raise FlowStalled(
            f"document {document_id} still {state.get('status')!r} after {timeout:.1f}s",
            "the RAG chunking/embedding workers did not process it — check they run (Starting chunking worker...)",
            state,
        )

    def search(self, query: str, k: int = 5, rag_api: str | None = None) -> dict[str, Any]:
        response = self.http.post(f"{rag_api or self.endpoints.rag_api}/search", json={"query": query, "k": k})
        response.raise_for_status()
        return response.json()

    # -- scraper ---------------------------------------------------------------------------------------
    def scrape(self, url: str) -> str:
        response = self.http.post(f"{self.endpoints.scraper_api}/scrape", json={"url": url})
        response.raise_for_status()
        return str(response.json()["id"])

    def wait_scrape(self, job_id: str, timeout: float = 15.0, poll: float = 0.05) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.http.get(f"{self.endpoints.scraper_api}/scrape/{job_id}")
            response.raise_for_status()
            state = response.json()
            if state["status"] in ("completed", "failed"):
                return state
            time.sleep(poll)
        worker = health(self.endpoints.scraper_worker)
        cause = "scraper worker not running" if worker is None else "scraper worker did not take the job"
        raise FlowStalled(f"scrape job {job_id} still {state.get('status')!r} after {timeout:.1f}s", cause, state)
