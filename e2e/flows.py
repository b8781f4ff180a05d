"""The end-to-end flows of checklist §4.4, as plain functions over HTTP.

The client itself (:class:`~mobius_gate.fixtures.stack.client.StackClient`: submit, read,
bounded waits) lives in the stack package, which the benchmark uses too; this module adds
the checklist's diagnoses: a flow that does not finish within its bound raises
:class:`FlowStalled` with the symptom the checklist names and, where the cause can be
seen, a diagnosis.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mobius_gate.fixtures.stack.client import WAITING, Endpoints, FlowStalled, StackClient, health, token

__all__ = ["CHAT_STEPS", "WAITING", "Endpoints", "FlowStalled", "Mobius", "diagnose_waiting", "health", "token"]

CHAT_STEPS = ("started", "retrieving", "retrieved", "generating", "completed")


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


class Mobius(StackClient):
    """The stack client, naming the checklist's likely cause when a flow stalls."""

    def stalled(self, flow: str, state: dict[str, Any]) -> str:
        if flow == "rag":
            return (
                "the RAG chunking/embedding workers did not process it — check they run (Starting chunking worker...)"
            )
        if flow == "scraper":
            worker = health(self.endpoints.scraper_worker)
            return "scraper worker not running" if worker is None else "scraper worker did not take the job"
        status = state.get("status", "unknown")
        if status == WAITING:
            return diagnose_waiting(health(self.endpoints.chat_api), health(self.endpoints.chat_worker))
        if status == "processing":
            return "a worker took the job and did not finish it (killed or stuck) — it is retried when one restarts"
        return "the job was queued but not taken yet"
