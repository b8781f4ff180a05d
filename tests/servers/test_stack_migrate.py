"""Migrations: the checklist's tables and columns, recorded in schema_migrations, idempotent."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from mobius_gate.fixtures.stack.migrate import MigrationError, apply_migrations, discover

from mobius_gate.spec import load_checklist

pytestmark = pytest.mark.servers


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [r[0] for r in rows]


def test_migrations_create_the_checklist_tables(pg_database: str) -> None:
    applied = apply_migrations(pg_database)
    assert applied == [m.id for m in discover()]
    database = load_checklist().cloud_sql.databases[0]
    with psycopg.connect(pg_database) as conn:
        for migration in database.migrations:
            assert migration.id in applied
            for table, columns in migration.tables.items():
                assert _columns(conn, table)[: len(columns)] == columns
        for table, spec in database.tables.items():
            assert set(spec.columns) <= set(_columns(conn, table))
        recorded = [r[0] for r in conn.execute("SELECT id FROM schema_migrations ORDER BY id")]
    assert recorded == applied


def test_second_run_applies_nothing(pg_database: str) -> None:
    apply_migrations(pg_database)
    assert apply_migrations(pg_database) == []


def test_failed_migration_is_not_recorded(pg_database: str, tmp_path: Path) -> None:
    (tmp_path / "001_ok.sql").write_text("CREATE TABLE ok (x int);")
    (tmp_path / "002_bad.sql").write_text("CREATE TABLE bad (x nosuchtype);")
    with pytest.raises(MigrationError, match=r"^migration 002_bad failed: .*nosuchtype"):
        apply_migrations(pg_database, tmp_path)
    with psycopg.connect(pg_database) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM schema_migrations")] == ["001_ok"]
        assert conn.execute("SELECT to_regclass('bad')").fetchone() == (None,)
