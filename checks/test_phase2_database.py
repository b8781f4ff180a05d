"""Phase 2 — Database Migrations (checklist §2.1 Chat Database, §2.2 RAG Metadata Sync).

Every rule judges the facts the database collector gathered once, read-only,
from the server named by ``--db-url`` / ``$CHAT_RAG_DATABASE_URL`` (reach Cloud
SQL through the Cloud SQL Auth Proxy; see ``mobius_gate/collect/database.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mobius_gate.collect.database import migration_recorded
from mobius_gate.inventory import Database, Inventory
from mobius_gate.requirements import check
from mobius_gate.rules.common import errored, failed, guarded, not_applicable, passed
from mobius_gate.spec import Checklist, DatabaseSpec, Migration, TableSpec
from mobius_gate.verdict import Verdict

#: The source of the §2.1 migrations (the checklist runs them through ``gcloud sql connect``).
SQLADMIN_API = "sqladmin.googleapis.com"


def _connect_hint(spec: Checklist, database: str) -> str:
    sql = spec.cloud_sql
    project = sql.connection_name.split(":", 1)[0]
    return f"gcloud sql connect {sql.instance} --user=postgres --database={database} --project={project}"


def _create_db_fix(spec: Checklist, database: str) -> str:
    project = spec.cloud_sql.connection_name.split(":", 1)[0]
    return f"gcloud sql databases create {database} --instance={spec.cloud_sql.instance} --project={project}"


def _sync_fix() -> str:
    return (
        "cd mobius-dbt && python scripts/sync_mart_to_chat.py --dest prod "
        "(or copy published_rag_metadata from staging if the Vertex index is shared)"
    )


def _server(facts: Database) -> str:
    """``host:port`` of the server the facts come from (the collector never records credentials)."""
    return facts.server or "the --db-url server"


def _facts(inv: Inventory, name: str, requirement: str) -> Database | Verdict:
    facts = inv.database_facts(name)
    if facts is None:
        return errored(requirement, name, f"the database collector recorded nothing about {name}")
    return facts


def _missing_db(requirement: str, resource: str, db: Database, spec: Checklist, what: str, section: str) -> Verdict:
    return failed(
        requirement,
        resource,
        f"database {db.name} does not exist on {_server(db)}, so {what}",
        expected=f"database {db.name}",
        actual="absent",
        fix=f"{_create_db_fix(spec, db.name)}, then run the migrations",
        section=section,
    )


# --- DB-EXISTS ------------------------------------------------------------------------------------


def _databases(spec: Checklist) -> Iterator[tuple[str, DatabaseSpec]]:
    for db in spec.cloud_sql.databases:
        yield db.name, db


@check("DB-EXISTS", subjects=_databases)
@guarded("DB-EXISTS", label=lambda db: db.name)
def test_database_exists(db: DatabaseSpec, spec: Checklist, inv: Inventory) -> Verdict:
    """§2.1 Chat Database: the database exists on the server of ``--db-url``.

    > gcloud sql connect mobius-platform-db --user=postgres --project=$PROD_PROJECT
    > # - Ensure mobius_chat database exists
    """
    facts = _facts(inv, db.name, "DB-EXISTS")
    if isinstance(facts, Verdict):
        return facts
    if not facts.exists:
        return failed(
            "DB-EXISTS",
            db.name,
            f"database {db.name} does not exist on {_server(facts)}",
            expected=f"database {db.name}",
            actual="absent",
            fix=_create_db_fix(spec, db.name),
            section=spec.cloud_sql.section,
        )
    return passed(
        "DB-EXISTS", db.name, f"database {db.name} exists on {_server(facts)}", section=spec.cloud_sql.section
    )


# --- DB-MIGRATION ---------------------------------------------------------------------------------


def _migrations(spec: Checklist) -> Iterator[tuple[str, tuple[DatabaseSpec, Migration]]]:
    for db in spec.cloud_sql.databases:
        for migration in db.migrations:
            yield f"{db.name}/{migration.id}", (db, migration)


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


@check("DB-MIGRATION", subjects=_migrations)
@guarded("DB-MIGRATION", label=lambda s: f"{s[0].name}/{s[1].id}")
def test_migration_applied(subject: tuple[DatabaseSpec, Migration], spec: Checklist, inv: Inventory) -> Verdict:
    """§2.1 Chat Database: the migration's tables and columns exist (else its record in the migrations table).

    > # Run migrations:
    > # - 013_chat_progress_events.sql (for live streaming)
    """
    db, migration = subject
    resource = f"{db.name}/{migration.id}"
    facts = _facts(inv, db.name, "DB-MIGRATION")
    if isinstance(facts, Verdict):
        return facts
    if not facts.exists:
        return _missing_db("DB-MIGRATION", resource, facts, spec, f"{migration.id} is not applied", migration.section)
    if not migration.tables:
        return _judge_record(resource, migration, facts, spec, db.name)
    missing = _missing_schema(facts, migration.tables)
    declared = "; ".join(f"{t}({', '.join(c)})" for t, c in migration.tables.items())
    if missing:
        return failed(
            "DB-MIGRATION",
            resource,
            f"migration {migration.id} is not applied: missing {', '.join(missing)}",
            expected=declared,
            actual=f"missing {', '.join(missing)}",
            fix=f"{_connect_hint(spec, db.name)} and run \\i {migration.id}.sql",
            section=migration.section,
        )
    note = ""
    if facts.applied_migrations is not None:
        recorded = migration_recorded(migration.id, facts.applied_migrations)
        note = f"; {'recorded' if recorded else 'not recorded'} in {facts.migrations_table}"
    return passed(
        "DB-MIGRATION", resource, f"migration {migration.id} applied: {declared}{note}", section=migration.section
    )


def _judge_record(resource: str, migration: Migration, facts: Database, spec: Checklist, database: str) -> Verdict:
    """A migration declaring no tables is judged by its record in the migrations table alone."""
    if facts.applied_migrations is None:
        return errored(
            "DB-MIGRATION",
            resource,
            f"cannot confirm {migration.id}: the checklist declares none of its tables and no migrations table "
            "was read",
            section=migration.section,
        )
    if migration_recorded(migration.id, facts.applied_migrations):
        return passed(
            "DB-MIGRATION",
            resource,
            f"migration {migration.id} recorded in {facts.migrations_table}",
            section=migration.section,
        )
    return failed(
        "DB-MIGRATION",
        resource,
        f"migration {migration.id} is not recorded in {facts.migrations_table}",
        expected=f"{migration.id} recorded",
        actual="not recorded",
        fix=f"{_connect_hint(spec, database)} and run \\i {migration.id}.sql",
        section=migration.section,
    )


# --- DB-RAG-META ----------------------------------------------------------------------------------


def _tables(spec: Checklist) -> Iterator[tuple[str, tuple[DatabaseSpec, str, TableSpec]]]:
    for db in spec.cloud_sql.databases:
        for name, table in db.tables.items():
            yield f"{db.name}/{name}", (db, name, table)


@check("DB-RAG-META", subjects=_tables)
@guarded("DB-RAG-META", label=lambda s: f"{s[0].name}/{s[1]}")
def test_rag_metadata_populated(
    subject: tuple[DatabaseSpec, str, TableSpec], spec: Checklist, inv: Inventory
) -> Verdict:
    """§2.2 RAG Metadata Sync: the table exists with its columns and at least ``min_rows`` rows.

    > # - Ensure published_rag_metadata table exists
    > The `published_rag_metadata` table must be populated for RAG to work:
    > python scripts/sync_mart_to_chat.py --dest prod
    """
    db, name, table = subject
    resource = f"{db.name}/{name}"
    facts = _facts(inv, db.name, "DB-RAG-META")
    if isinstance(facts, Verdict):
        return facts
    if not facts.exists:
        return _missing_db("DB-RAG-META", resource, facts, spec, f"{name} cannot exist", table.section)
    found = facts.table(name)
    if found is None:
        return failed(
            "DB-RAG-META",
            resource,
            f"table {name} does not exist in {db.name}",
            expected=f"table {name}({', '.join(table.columns)}) with >= {table.min_rows} rows",
            actual="absent",
            fix=f"run the chat migrations on {db.name} ({_connect_hint(spec, db.name)}), then {_sync_fix()}",
            section=table.section,
        )
    missing = [c for c in table.columns if c not in found.columns]
    if missing:
        return failed(
            "DB-RAG-META",
            resource,
            f"table {name} lacks column(s) {', '.join(missing)}",
            expected=", ".join(table.columns),
            actual=", ".join(found.columns),
            fix=f"run the chat migrations on {db.name} ({_connect_hint(spec, db.name)})",
            section=table.section,
        )
    rows = found.row_count
    if rows is None:
        return errored("DB-RAG-META", resource, f"the rows of {name} were not counted", section=table.section)
    shown = f">= {rows}" if found.row_count_cap is not None and rows >= found.row_count_cap else str(rows)
    if rows < table.min_rows:
        return failed(
            "DB-RAG-META",
            resource,
            f"{name} has {rows} row(s), fewer than the required {table.min_rows}",
            expected=f">= {table.min_rows} rows",
            actual=f"{rows} rows",
            fix=_sync_fix(),
            section=table.section,
        )
    return passed("DB-RAG-META", resource, f"{name} has {shown} rows (>= {table.min_rows})", section=table.section)


# --- DB-RAG-CONSISTENT ----------------------------------------------------------------------------


def _consistency(spec: Checklist) -> Iterator[tuple[str, Any]]:
    vs = spec.vector_search
    yield f"{vs.database}/{vs.metadata_table}", vs


@check("DB-RAG-CONSISTENT", subjects=_consistency)
@guarded("DB-RAG-CONSISTENT", label=lambda vs: f"{vs.database}/{vs.metadata_table}")
def test_vector_ids_have_metadata(vs: Any, spec: Checklist, inv: Inventory) -> Verdict:
    """Notes from Staging Debugging: ids the vector index returns have a metadata row.

    > 4. **RAG Data Sync** - Vertex AI Vector Search had vectors but Postgres `published_rag_metadata` was empty
    > RAG found matches but couldn't return content
    """
    resource = f"{vs.database}/{vs.metadata_table}"
    probe = next((n for n in inv.vector_neighbors.items if n.service == vs.service), None)
    if probe is None:
        return not_applicable(
            "DB-RAG-CONSISTENT",
            resource,
            f"no vector index to compare: {inv.vector_neighbors.cause or f'{vs.service} names none'}",
            section=vs.section,
        )
    where = f"index endpoint {probe.index_endpoint} (deployed index {probe.deployed_index_id})"
    if not probe.ids:
        return not_applicable(
            "DB-RAG-CONSISTENT", resource, f"{where} returned no datapoints to compare", section=vs.section
        )
    facts = inv.database_facts(vs.database)
    if facts is not None and (not facts.exists or facts.table(vs.metadata_table) is None):
        # No database or no metadata table: every returned id lacks its row.
        missing, total = len(probe.ids), len(probe.ids)
    else:
        absent = probe.missing_ids
        if absent is None:
            return errored(
                "DB-RAG-CONSISTENT",
                resource,
                f"the metadata rows of the ids from {where} were not read",
                section=vs.section,
            )
        missing, total = len(absent), len(probe.ids)
    fraction = missing / total
    shown = f"{fraction:.0%} ({missing} of {total})"
    if fraction > vs.max_missing_fraction:
        sample = ", ".join((probe.missing_ids or probe.ids)[:3])
        return failed(
            "DB-RAG-CONSISTENT",
            resource,
            f"{shown} of the datapoint ids {where} returned have no row in {vs.metadata_table} "
            f"(e.g. {sample}): RAG finds matches but cannot return their content",
            expected=f"<= {vs.max_missing_fraction:.0%} missing",
            actual=f"{shown} missing",
            fix=_sync_fix(),
            section=vs.section,
            details={"missing_fraction": f"{fraction:.4f}"},
        )
    return passed(
        "DB-RAG-CONSISTENT",
        resource,
        f"{total - missing} of {total} ids from {where} have metadata rows ({shown} missing)",
        section=vs.section,
        details={"missing_fraction": f"{fraction:.4f}"},
    )


# --- DB-PRIVATE-IP (advisory) ---------------------------------------------------------------------


def _instance(spec: Checklist) -> Iterator[tuple[str, Any]]:
    yield spec.cloud_sql.instance, spec.cloud_sql


@check("DB-PRIVATE-IP", subjects=_instance)
@guarded("DB-PRIVATE-IP", label=lambda sql: sql.instance)
def test_cloudsql_private_ip(sql: Any, spec: Checklist, inv: Inventory) -> Verdict:
    """Executive Summary (advisory): the Cloud SQL instance has a private IP and no public one.

    > | **Cloud SQL** | Private IP | Public IP | Consider private for security |
    """
    section = "Executive Summary"
    if sql.private_ip == "ignore":
        return not_applicable("DB-PRIVATE-IP", sql.instance, "private_ip: ignore in the checklist", section=section)
    instance = inv.sql_instance(sql.instance)
    project = sql.connection_name.split(":", 1)[0]
    if instance is None:
        cause = f" ({inv.sql_instances.cause})" if inv.sql_instances.cause else ""
        listing = f"gcloud sql instances list --project={project}"
        if inv.sql_instances.status == "disabled":
            fix = f"gcloud services enable {SQLADMIN_API} --project={project} && {listing}"
        else:
            fix = listing
        return failed(
            "DB-PRIVATE-IP",
            sql.instance,
            f"Cloud SQL instance {sql.instance} not found{cause}",
            expected="instance with a private IP",
            actual="absent",
            fix=f"{fix} (then create the instance or correct cloud_sql in checklist.yaml)",
            section=section,
        )
    if instance.public_ip is None:
        return errored(
            "DB-PRIVATE-IP", sql.instance, "whether the instance has a public IP is unknown", section=section
        )
    if instance.public_ip:
        return failed(
            "DB-PRIVATE-IP",
            sql.instance,
            "the Cloud SQL instance has a public IP",
            expected="private IP only",
            actual="public IP assigned",
            fix=(
                f"gcloud sql instances patch {sql.instance} --network=projects/{project}/global/networks/default "
                f"--no-assign-ip --project={project}"
            ),
            section=section,
        )
    network = f" on {instance.private_network}" if instance.private_network else ""
    return passed("DB-PRIVATE-IP", sql.instance, f"private IP only{network}", section=section)
