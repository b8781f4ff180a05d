"""Phase 2 §2.1 Chat Database: the database exists and its migrations are applied.

Every rule judges the facts the database collector gathered once, read-only,
from the server named by ``--db-url`` / ``$CHAT_RAG_DATABASE_URL`` (reach Cloud
SQL through the Cloud SQL Auth Proxy; see ``mobius_gate/collect/database.py``).
"""

from __future__ import annotations

from mobius_gate.fixes import Fix
from mobius_gate.inventory import Database
from mobius_gate.requirements import check
from mobius_gate.rules.database import facts_of, recorded, server
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.spec import Checklist, DatabaseSpec, Migration
from mobius_gate.sql_fixes import create_database, run_migration
from mobius_gate.verdict import Verdict


@check(
    "DB-EXISTS",
    each(lambda spec: spec.cloud_sql.databases, lambda db: db.name),
    section=lambda _, spec: spec.cloud_sql.section,
)
def test_database_exists(db: DatabaseSpec, judge: Judge) -> Verdict:
    """§2.1 Chat Database: the database exists on the server of ``--db-url``.

    > gcloud sql connect mobius-platform-db --user=postgres --project=$PROD_PROJECT
    > # - Ensure mobius_chat database exists
    """
    facts = facts_of(judge, db.name)
    if isinstance(facts, Verdict):
        return facts
    if not facts.exists:
        fix = create_database(judge.requirement, judge.resource, judge.spec, db.name)
        reason = f"database {db.name} does not exist on {server(facts)}"
        return judge.failed(reason, expected=f"database {db.name}", actual="absent", fix=fix)
    return judge.passed(f"database {db.name} exists on {server(facts)}")


def _migrations(spec: Checklist) -> list[tuple[DatabaseSpec, Migration]]:
    return [(db, migration) for db in spec.cloud_sql.databases for migration in db.migrations]


def _missing_schema(facts: Database, tables: dict[str, list[str]]) -> list[str]:
    """``table`` for an absent table, ``table.column`` for each absent column."""
    missing = []
    for table, columns in tables.items():
        found = facts.table(table)
        if found is None:
            missing.append(table)
            continue
        missing.extend(f"{table}.{c}" for c in columns if c not in found.columns)
    return missing


@check(
    "DB-MIGRATION",
    each(_migrations, lambda s: f"{s[0].name}/{s[1].id}"),
    section=lambda s, _: s[1].section,
)
def test_migration_applied(subject: tuple[DatabaseSpec, Migration], judge: Judge) -> Verdict:
    """§2.1 Chat Database: the migration's tables and columns exist (else its record in the migrations table).

    > # Run migrations:
    > # - 013_chat_progress_events.sql (for live streaming)
    """
    db, migration = subject
    facts = facts_of(judge, db.name)
    if isinstance(facts, Verdict):
        return facts
    run = run_migration(judge.requirement, judge.resource, judge.spec, db.name, migration.id)
    if not facts.exists:
        fix = create_database(judge.requirement, judge.resource, judge.spec, db.name, "then run the migrations")
        reason = f"database {db.name} does not exist on {server(facts)}, so {migration.id} is not applied"
        return judge.failed(reason, expected=f"database {db.name}", actual="absent", fix=fix)
    applied = recorded(facts, migration.id)
    if not migration.tables:
        return _judge_record(migration, facts, applied, judge, run)
    missing = ", ".join(_missing_schema(facts, migration.tables))
    declared = "; ".join(f"{t}({', '.join(c)})" for t, c in migration.tables.items())
    if missing:
        reason = f"migration {migration.id} is not applied: missing {missing}"
        return judge.failed(reason, expected=declared, actual=f"missing {missing}", fix=run)
    note = "" if applied is None else f"; {'recorded' if applied else 'not recorded'} in {facts.migrations_table}"
    return judge.passed(f"migration {migration.id} applied: {declared}{note}")


def _judge_record(migration: Migration, facts: Database, recorded: bool | None, judge: Judge, fix: Fix) -> Verdict:
    """A migration declaring no tables is judged by its record in the migrations table alone."""
    if recorded is None:
        return judge.errored(
            f"cannot confirm {migration.id}: the checklist declares none of its tables and no migrations table was read"
        )
    if recorded:
        return judge.passed(f"migration {migration.id} recorded in {facts.migrations_table}")
    reason = f"migration {migration.id} is not recorded in {facts.migrations_table}"
    return judge.failed(reason, expected=f"{migration.id} recorded", actual="not recorded", fix=fix)
