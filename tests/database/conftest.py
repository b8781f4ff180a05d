"""Phase 2 test fixtures: a real PostgreSQL (``pg_database``, from the server fixtures) and seeding helpers.

``pg_database`` gives a throwaway database per test; the checklist used by these
tests names *that* database instead of ``mobius_chat`` (databases are
server-wide, so a fixed name would collide between xdist workers). Seeding is
done by the test with its own connection; the collector under test only reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from mobius_gate.spec import Checklist, load_checklist

PROJECT = "mobiusos-new"
REGION = "us-central1"


def dbname_of(url: str) -> str:
    return str(conninfo_to_dict(url)["dbname"])


def spec_for(database: str) -> Checklist:
    """The resolved checklist with its chat database renamed to ``database``."""
    spec = load_checklist().resolve(PROJECT, REGION)
    data = spec.model_dump()
    for db in data["cloud_sql"]["databases"]:
        if db["name"] == "mobius_chat":
            db["name"] = database
    data["vector_search"]["database"] = database
    return Checklist.model_validate(data)


def seed_migration(url: str, applied: Sequence[str] = ("001_init", "013_chat_progress_events")) -> None:
    """What 013_chat_progress_events.sql creates, plus a schema_migrations record."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE chat_progress_events (id bigserial PRIMARY KEY, request_id text NOT NULL, "
            "seq int NOT NULL, event_type text NOT NULL, payload jsonb, created_at timestamptz DEFAULT now())"
        )
        conn.execute("CREATE TABLE schema_migrations (version text PRIMARY KEY)")
        for version in applied:
            conn.execute("INSERT INTO schema_migrations VALUES (%s)", [version])


def seed_metadata(url: str, ids: Sequence[str], *, create: bool = True) -> None:
    """``published_rag_metadata`` with one row per id."""
    with psycopg.connect(url, autocommit=True) as conn:
        if create:
            conn.execute(
                "CREATE TABLE published_rag_metadata (id text PRIMARY KEY, document_id text, chunk_index int, "
                "content text, source_uri text)"
            )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO published_rag_metadata VALUES (%s, %s, %s, %s, %s)",
                [
                    (i, f"doc-{n // 10}", n % 10, f"content of {i}", f"gs://mobius-rag-uploads/{i}.pdf")
                    for n, i in enumerate(ids)
                ],
            )


def drop_table(url: str, table: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))


@pytest.fixture
def chat_db(pg_database: str) -> str:
    """A throwaway database seeded like staging's mobius_chat: migration applied, metadata synced."""
    seed_migration(pg_database)
    seed_metadata(pg_database, [f"chunk-{n:04d}" for n in range(1, 11)])
    return pg_database
