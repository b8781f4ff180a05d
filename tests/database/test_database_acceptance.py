"""Phase 2 on the emulator plus a real PostgreSQL seeded by each test.

The emulator serves staging (private Cloud SQL) and a Vertex AI index whose
``findNeighbors`` returns ten datapoint ids (``chunk-0001`` … ``chunk-0010``);
each test seeds its throwaway database, collects through the real collectors
(read-only) and judges with the Phase 2 rules and the diagnoses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.scenario import SCENARIO_DIR
from psycopg.conninfo import make_conninfo

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.database import collect_database
from mobius_gate.collect.postgres import connect
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import Inventory
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as phase2
from tests.database.conftest import PROJECT, REGION, dbname_of, drop_table, seed_metadata, seed_migration, spec_for

pytestmark = pytest.mark.servers

DATAPOINTS = [f"chunk-{n:04d}" for n in range(1, 11)]
SCENARIO = f"""
description: staging plus the RAG vector index the chat worker names
extends: {SCENARIO_DIR / "staging.yaml"}
resources:
  indexes:
    mobius-rag-index:
      displayName: mobius-rag
      metadata: {{config: {{dimensions: 16}}}}
      emulator: {{datapoint_ids: {DATAPOINTS}}}
  index_endpoints:
    "4156820718563000320":
      displayName: mobius-rag-endpoint
      deployedIndexes:
        - {{id: mobius_rag_v1, index: "projects/${{PROJECT}}/locations/${{REGION}}/indexes/mobius-rag-index"}}
"""
SECTIONS = {"services", "sql_instances", "database", "vector_neighbors"}


@dataclass(frozen=True)
class SpecOptions(CollectOptions):
    """CollectOptions carrying the checklist under test (the collectors read ``options.spec``)."""

    spec: Checklist | None = None


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    path = Path(tmp_path_factory.mktemp("scenario")) / "staging-rag.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    with Emulator(path, project=PROJECT) as emu:
        yield emu


def collect(emulator: Emulator, db_url: str, spec: Checklist) -> Inventory:
    options = SpecOptions(db_url=db_url, spec=spec, timeout_s=30, retry_attempts=2)
    return collect_inventory(Target(PROJECT, REGION, emulator.url), options, SECTIONS)


def judge(spec: Checklist, inv: Inventory) -> dict[str, Verdict]:
    """Every Phase 2 rule on every subject, diagnosed as the plugin does, by requirement id."""
    out: dict[str, Verdict] = {}
    for test in (
        phase2.test_database_exists,
        phase2.test_migration_applied,
        phase2.test_rag_metadata_populated,
        phase2.test_vector_ids_have_metadata,
        phase2.test_cloudsql_private_ip,
    ):
        bound = test.mobius_rule
        for _, subject in bound.subjects(spec):
            verdict = bound.judge(subject, spec, inv)
            cause = diagnose(verdict, spec, inv)
            out[verdict.requirement] = Verdict(**{**verdict.to_dict(), "diagnosis": cause})
    return out


def test_staging_like_data_passes(emulator: Emulator, chat_db: str) -> None:
    spec = spec_for(dbname_of(chat_db))
    inv = collect(emulator, chat_db, spec)
    verdicts = judge(spec, inv)
    assert {r: v.status for r, v in verdicts.items()} == {
        "DB-EXISTS": "pass",
        "DB-MIGRATION": "pass",
        "DB-RAG-META": "pass",
        "DB-RAG-CONSISTENT": "pass",
        "DB-PRIVATE-IP": "pass",
    }, {r: v.message() for r, v in verdicts.items()}
    assert "recorded in schema_migrations" in verdicts["DB-MIGRATION"].reason
    assert "10 of 10 ids" in verdicts["DB-RAG-CONSISTENT"].reason
    assert inv.vector_neighbors.items[0].ids == DATAPOINTS


def test_no_chat_database_fails_exists_with_diagnosis(emulator: Emulator, pg_database: str) -> None:
    absent = f"{dbname_of(pg_database)}_absent"
    spec = spec_for(absent)
    verdicts = judge(spec, collect(emulator, pg_database, spec))
    exists = verdicts["DB-EXISTS"]
    assert exists.status == "fail"
    assert f"database {absent} does not exist" in exists.reason
    assert f"gcloud sql databases create {absent} --instance=mobius-platform-db" in (exists.fix or "")
    assert exists.diagnosis and "Phase 2 migrations not run" in exists.diagnosis
    assert "Cloud SQL Auth Proxy" in exists.diagnosis
    meta = verdicts["DB-RAG-META"]
    assert meta.status == "fail"
    assert meta.diagnosis and '"RAG returns 0 results"' in meta.diagnosis and "does not exist" in meta.diagnosis
    assert verdicts["DB-RAG-CONSISTENT"].status == "fail"


def test_missing_migration_fails_migration_check(emulator: Emulator, pg_database: str) -> None:
    seed_metadata(pg_database, DATAPOINTS)
    spec = spec_for(dbname_of(pg_database))
    verdicts = judge(spec, collect(emulator, pg_database, spec))
    migration = verdicts["DB-MIGRATION"]
    assert migration.status == "fail"
    assert "missing chat_progress_events" in migration.reason
    assert "\\i 013_chat_progress_events.sql" in (migration.fix or "")
    assert migration.diagnosis and "013_chat_progress_events is not applied" in migration.diagnosis
    assert "its .sql file was not run on this server" in migration.diagnosis
    assert {r: v.status for r, v in verdicts.items() if r != "DB-MIGRATION"} == {
        "DB-EXISTS": "pass",
        "DB-RAG-META": "pass",
        "DB-RAG-CONSISTENT": "pass",
        "DB-PRIVATE-IP": "pass",
    }


def test_missing_migration_column_is_named(emulator: Emulator, pg_database: str) -> None:
    seed_migration(pg_database)
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("ALTER TABLE chat_progress_events DROP COLUMN seq")
    seed_metadata(pg_database, DATAPOINTS)
    spec = spec_for(dbname_of(pg_database))
    migration = judge(spec, collect(emulator, pg_database, spec))["DB-MIGRATION"]
    assert migration.status == "fail"
    assert "chat_progress_events.seq" in migration.reason


def test_empty_metadata_fails_with_rag_diagnosis(emulator: Emulator, pg_database: str) -> None:
    seed_migration(pg_database)
    seed_metadata(pg_database, [])
    spec = spec_for(dbname_of(pg_database))
    verdicts = judge(spec, collect(emulator, pg_database, spec))
    meta = verdicts["DB-RAG-META"]
    assert meta.status == "fail"
    assert "has 0 row(s), fewer than the required 1" in meta.reason
    assert "sync_mart_to_chat.py --dest prod" in (meta.fix or "")
    assert meta.diagnosis and '"RAG returns 0 results"' in meta.diagnosis and "has 0 row(s)" in meta.diagnosis
    consistent = verdicts["DB-RAG-CONSISTENT"]
    assert consistent.status == "fail" and "100% (10 of 10)" in consistent.reason
    assert verdicts["DB-MIGRATION"].status == "pass"


def test_thirty_percent_of_vector_ids_without_metadata(emulator: Emulator, pg_database: str) -> None:
    seed_migration(pg_database)
    seed_metadata(pg_database, DATAPOINTS[:7])
    spec = spec_for(dbname_of(pg_database))
    inv = collect(emulator, pg_database, spec)
    verdicts = judge(spec, inv)
    consistent = verdicts["DB-RAG-CONSISTENT"]
    assert consistent.status == "fail"
    assert "30% (3 of 10)" in consistent.reason
    assert "chunk-0008" in consistent.reason
    assert consistent.details["missing_fraction"] == "0.3000"
    assert consistent.diagnosis and "the metadata sync is incomplete: 30% (3 of 10)" in consistent.diagnosis
    assert verdicts["DB-RAG-META"].status == "pass"
    assert inv.vector_neighbors.items[0].missing_ids == DATAPOINTS[7:]


def test_metadata_table_dropped(emulator: Emulator, chat_db: str) -> None:
    drop_table(chat_db, "published_rag_metadata")
    spec = spec_for(dbname_of(chat_db))
    verdicts = judge(spec, collect(emulator, chat_db, spec))
    assert verdicts["DB-RAG-META"].status == "fail"
    assert "table published_rag_metadata does not exist" in verdicts["DB-RAG-META"].reason
    assert verdicts["DB-RAG-CONSISTENT"].status == "fail"
    assert "100% (10 of 10)" in verdicts["DB-RAG-CONSISTENT"].reason


def test_collection_is_read_only(emulator: Emulator, chat_db: str) -> None:
    spec = spec_for(dbname_of(chat_db))
    with psycopg.connect(chat_db) as conn:
        before = conn.execute("SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables").fetchall()
    collect(emulator, chat_db, spec)
    with connect(chat_db) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO published_rag_metadata (id) VALUES ('written-by-the-gate')")
    with psycopg.connect(chat_db) as conn:
        after = conn.execute("SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables").fetchall()
        rows = conn.execute("SELECT count(*) FROM published_rag_metadata").fetchone()
    assert before == after
    assert rows == (10,)


def test_url_naming_a_missing_database_still_lists_the_server(chat_db: str) -> None:
    spec = spec_for(dbname_of(chat_db))
    url = make_conninfo(chat_db, dbname="mobius_chat_not_here")
    section = collect_database(url, spec.cloud_sql.databases)
    assert section.ok
    assert section.items[0].exists


def test_unreachable_server_is_unavailable_and_redacted() -> None:
    spec = spec_for("mobius_chat")
    section = collect_database(
        "postgresql://postgres:Sup3r-Secret@127.0.0.1:9/mobius_chat", spec.cloud_sql.databases, timeout_s=2
    )
    assert section.status == "unavailable"
    assert "127.0.0.1:9" in (section.cause or "")
    assert "Sup3r-Secret" not in (section.cause or "")


def test_no_url_is_not_collected() -> None:
    section = collect_database(None, spec_for("mobius_chat").cloud_sql.databases)
    assert section.status == "not_collected"
    assert "--db-url" in (section.cause or "")


def test_password_secret_unreadable_makes_database_unavailable(
    emulator: Emulator, chat_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator (like a caller without secretAccessor) does not answer :access.
    monkeypatch.setenv("MOBIUS_GATE_DB_PASSWORD_SECRET", "jwt-secret")
    spec = spec_for(dbname_of(chat_db))
    inv = collect(emulator, chat_db, spec)
    assert inv.database.status == "unavailable"
    assert "reading the database password from Secret Manager failed" in (inv.database.cause or "")
    assert "staging-jwt-signing-key" not in inv.model_dump_json()
