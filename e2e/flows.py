"""The end-to-end flows of checklist §4.4, as plain functions over HTTP.

The client itself (:class:`~mobius_gate.fixtures.stack.client.StackClient`: submit, read,
bounded waits) lives in the stack package, which the benchmark uses too; this module adds
the checklist's diagnoses: a flow that does not finish within its bound raises
:class:`FlowStalled` with the symptom the checklist names and its likely cause.

The local stack has no verdicts, so what a stalled flow observes (a worker whose
``/health`` does not answer, an API and worker on different ``REDIS_URL`` s, a search whose
matches have no metadata) is mapped onto the rows of the gate's symptom table
(:data:`mobius_gate.symptoms.TABLE`, filled by :func:`mobius_gate.diagnose.observed`): the
same issues, texts and fixes the gate prints after "Likely cause:".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mobius_gate.fixtures.stack.client import WAITING, Endpoints, FlowStalled, StackClient, health, token

from mobius_gate.diagnose import Diagnosis, observed

__all__ = [
    "CHAT_STEPS",
    "WAITING",
    "Endpoints",
    "FlowStalled",
    "Mobius",
    "diagnose_search",
    "diagnose_waiting",
    "health",
    "token",
]

CHAT_STEPS = ("started", "retrieving", "retrieved", "generating", "completed")
CHAT_API, CHAT_WORKER = "mobius-chat-api", "mobius-chat-worker"
SCRAPER_WORKER = "mobius-skills-scraper-worker"
#: The RAG worker a document waits for, by the status it stays in.
RAG_WORKERS = {"uploaded": "mobius-rag-chunking-worker", "chunked": "mobius-rag-embedding-worker"}


def _redis_identity(label: str | None) -> tuple[str, int, str] | None:
    if not label:
        return None
    parts = urlsplit(label)
    return (parts.hostname or "", parts.port or 6379, parts.path.strip("/") or "0")


def _not_consuming(worker: str, body: dict[str, Any] | None, otherwise: str) -> Diagnosis:
    """The "worker not listening" row: a worker that does not answer, or whose consumer thread stopped."""
    if body is None:
        return observed("not-listening", worker, reason="its /health does not answer")
    if body.get("worker_thread") not in (None, "running"):
        return observed(
            "not-listening", worker, reason=f"its consumer thread stopped: {body.get('error') or 'no error given'}"
        )
    return observed("not-listening", worker, reason=otherwise)


def diagnose_waiting(api: dict[str, Any] | None, worker: dict[str, Any] | None) -> str:
    """Why a chat request stays "waiting for worker", as a row of the symptom table (checklist: Common Issues)."""
    if worker is None or worker.get("worker_thread") != "running" or api is None:
        return _not_consuming(CHAT_WORKER, worker, "up, but it has not taken the job").text()
    if api.get("queue_type") != worker.get("queue_type"):
        odd, other = (worker, api) if api.get("queue_type") == "redis" else (api, worker)
        name = CHAT_WORKER if odd is worker else CHAT_API
        return observed(
            "queue-type", name, actual=repr(odd.get("queue_type")), expected=repr(other.get("queue_type"))
        ).text()
    if _redis_identity(api.get("redis")) != _redis_identity(worker.get("redis")):
        actual = f"REDIS_URL differs: {CHAT_API}={api.get('redis')}, {CHAT_WORKER}={worker.get('redis')}"
        return observed("redis-not-shared", f"{CHAT_API} and {CHAT_WORKER}", actual=actual).text()
    return observed("not-listening", CHAT_WORKER, reason="up on the same Redis, but it has not taken the job").text()


def diagnose_search(found: dict[str, Any]) -> str | None:
    """A search whose vector matches have no ``published_rag_metadata`` rows: the "RAG returns 0 results" row."""
    missing = found.get("missing_metadata") or []
    if not missing or found.get("results"):
        return None
    reason = f"published_rag_metadata has no row for the {len(missing)} id(s) the vector index matched"
    return observed("rag-metadata", "mobius-rag", reason=reason).text()


class Mobius(StackClient):
    """The stack client, naming the checklist's likely cause when a flow stalls."""

    def stalled(self, flow: str, state: dict[str, Any]) -> str:
        status = state.get("status", "unknown")
        if flow == "rag":
            worker = RAG_WORKERS.get(status, "the RAG chunking/embedding workers")
            return observed("not-listening", worker, reason=f"the document stayed {status!r}").text()
        if flow == "scraper":
            body = health(self.endpoints.scraper_worker)
            return _not_consuming(SCRAPER_WORKER, body, "up, but it has not taken the job").text()
        if status == WAITING:
            return diagnose_waiting(health(self.endpoints.chat_api), health(self.endpoints.chat_worker))
        if status == "processing":
            reason = "it took the job and did not finish it (killed or stuck); the job is retried when one restarts"
            return observed("not-listening", CHAT_WORKER, reason=reason).text()
        return observed("not-listening", CHAT_WORKER, reason=f"the job stayed {status!r}").text()
