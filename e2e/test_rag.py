"""RAG (checklist §4.4): upload → chunked → embedded → searchable; a chat answer cites the document."""

from __future__ import annotations

from typing import Any

import psycopg
import redis
from mobius_gate.fixtures.stack.vector_index import DEFAULT_KEY

from e2e.flows import Mobius

RUNBOOK = """\
Mobius Redis runbook.

The Memorystore instance mobius-redis runs Redis 7.0 on the basic tier with one gigabyte of memory.
Cloud Run services reach its private IP through the VPC connector mobius-redis-connector.

The nightly maintenance window for the {codename} cluster opens at 03:40 UTC on Tuesdays.
During that window the chat worker drains its queue before the failover starts.
"""


def test_upload_is_chunked_embedded_and_searchable(mobius: Mobius, stack: Any, stack_kind: str) -> None:
    codename = "zephyr7"
    uploaded = mobius.upload("runbook.md", RUNBOOK.format(codename=codename), f"gs://mobius-rag-uploads/{codename}.md")
    document = mobius.wait_document(uploaded["id"])

    assert document["status"] == "embedded"
    assert document["chunk_count"] >= 2
    with psycopg.connect(stack.database_url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM published_rag_metadata WHERE document_id = %s ORDER BY chunk_index", (uploaded["id"],)
            )
        ]
    assert len(ids) == document["chunk_count"]
    if stack_kind == "local":  # deployed, the index is Vertex AI Vector Search, not Redis
        indexed = redis.Redis.from_url(stack.redis_url)
        assert all(indexed.hexists(DEFAULT_KEY, vid) for vid in ids), "every metadata row has a vector"

    found = mobius.search(f"When does the {codename} maintenance window open?")
    top = found["results"][0]
    assert top["document_id"] == uploaded["id"]
    assert "03:40 UTC" in top["content"]
    assert found["missing_metadata"] == [], found


def test_chat_answer_about_uploaded_document_cites_it(mobius: Mobius) -> None:
    codename = "orion7"
    source = f"gs://mobius-rag-uploads/{codename}-runbook.md"
    uploaded = mobius.upload("runbook.md", RUNBOOK.format(codename=codename), source)
    mobius.wait_document(uploaded["id"])

    state = mobius.wait_answer(mobius.ask(f"When does the maintenance window for {codename} open?"))

    assert state["status"] == "completed"
    assert "03:40 UTC" in state["answer"]
    assert source in state["answer"]
    assert any(c["document_id"] == uploaded["id"] and c["source_uri"] == source for c in state["citations"])
    retrieved = next(e for e in state["events"] if e["event_type"] == "retrieved")
    assert source in retrieved["payload"]["sources"]
