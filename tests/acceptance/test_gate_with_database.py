"""The whole gate, all four phases, on the emulator plus a real PostgreSQL seeded by the test.

The checklist's chat database is renamed to the throwaway database (databases are
server-wide; a fixed ``mobius_chat`` would collide between runs), then the gate
runs as a user would (in-process): ``pytest checks --emulator=staging --db-url=... --checklist=...``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate.spec import DEFAULT_CHECKLIST
from tests.database.conftest import dbname_of, seed_metadata, seed_migration

pytestmark = pytest.mark.servers

P2 = "checks/test_phase2_database.py::"
#: The staging scenario's vector index returns chunk-0001 .. chunk-0100.
INDEX_IDS = [f"chunk-{n:04d}" for n in range(1, 101)]


@pytest.fixture
def checklist_for(tmp_path: Path):
    def write(database: str) -> Path:
        path = tmp_path / "checklist.yaml"
        path.write_text(DEFAULT_CHECKLIST.read_text().replace("mobius_chat", database))
        return path

    return write


def gate_with_db(gate, checklist: Path, db_url: str):
    return gate("--project=mobiusos-new", "--emulator=staging", f"--checklist={checklist}", f"--db-url={db_url}")


def test_staging_with_a_synced_database_passes_every_phase(gate, checklist_for, pg_database: str) -> None:
    seed_migration(pg_database)
    seed_metadata(pg_database, INDEX_IDS)
    run = gate_with_db(gate, checklist_for(dbname_of(pg_database)), pg_database)
    assert run.returncode == 0, run.stdout[-3000:]
    passed = run.with_outcome("passed")
    for check in ("test_database_exists", "test_migration_applied", "test_rag_metadata_populated"):
        assert any(node.startswith(P2 + check) for node in passed), check
    assert any(node.startswith(P2 + "test_vector_ids_have_metadata") for node in passed)
    assert not run.with_outcome("error") and not run.with_outcome("failed")


def test_a_partial_sync_fails_consistency_with_the_fraction_and_diagnosis(
    gate, checklist_for, pg_database: str
) -> None:
    seed_migration(pg_database)
    seed_metadata(pg_database, INDEX_IDS[:70])
    run = gate_with_db(gate, checklist_for(dbname_of(pg_database)), pg_database)
    assert run.returncode == 1
    failed = run.with_outcome("failed")
    assert len(failed) == 1 and next(iter(failed)).startswith(P2 + "test_vector_ids_have_metadata")
    assert "30%" in run.stdout
    assert '"RAG returns 0 results"' in run.stdout


def test_an_unmigrated_database_fails_migration_and_metadata(gate, checklist_for, pg_database: str) -> None:
    run = gate_with_db(gate, checklist_for(dbname_of(pg_database)), pg_database)
    assert run.returncode == 1
    failed = {node.split("[")[0] for node in run.with_outcome("failed")}
    assert P2 + "test_migration_applied" in failed
    assert P2 + "test_rag_metadata_populated" in failed
