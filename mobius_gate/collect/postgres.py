"""The read-only psycopg session behind the ``database`` section (see :mod:`mobius_gate.collect.database`).

Every session runs with ``default_transaction_read_only=on`` and psycopg's ``read_only``;
a statement timeout bounds each query; every error text is scrubbed of the password
before it leaves as :class:`~mobius_gate.collect.database.DatabaseUnreachable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mobius_gate.collect.database import DatabaseUnreachable, connection_url, one_line, scrub, url_secrets
from mobius_gate.inventory import Database, DbTable
from mobius_gate.spec import DatabaseSpec

#: Row counts stop here: "at least N" is all a min_rows rule needs.
ROW_COUNT_CAP = 100_000
#: Tables that commonly record applied migrations, in the order they are tried.
MIGRATION_TABLES = ("schema_migrations", "migrations", "_migrations", "applied_migrations")
#: Columns of such a table that hold the migration id, in the order they are tried.
MIGRATION_ID_COLUMNS = ("version", "id", "name", "filename", "migration")
#: Database to list the server's databases from when the URL's own database is missing.
MAINTENANCE_DB = "postgres"
#: libpq's message when the URL's database is missing (connection errors carry no SQLSTATE).
_MISSING_DATABASE = re.compile(r'database "[^"]+" does not exist')


def _declared_tables(spec: DatabaseSpec) -> list[str]:
    names: list[str] = []
    for migration in spec.migrations:
        names.extend(migration.tables)
    names.extend(spec.tables)
    return list(dict.fromkeys(names))


def server_label(url: str) -> str:
    """``postgresql://u:pw@10.1.2.3:5432/db`` → ``10.1.2.3:5432`` (never credentials)."""
    try:
        params = conninfo_to_dict(connection_url(url))
    except psycopg.ProgrammingError:
        return "(unparsable database URL)"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return scrub(f"{host}:{port}", url_secrets(url))


def connect(
    url: str, dbname: str | None = None, *, password: str | None = None, timeout_s: float = 10.0
) -> psycopg.Connection:
    """A read-only session on ``dbname`` (default: the URL's database) of the URL's server."""
    extra: dict[str, str | int] = {
        "connect_timeout": max(1, int(timeout_s)),
        "application_name": "mobius-gate",
        # Server-side guarantee: every transaction of this session is READ ONLY.
        "options": f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_s * 1000)}",
    }
    if dbname:
        extra["dbname"] = dbname
    if password is not None:
        extra["password"] = password
    try:
        conninfo = make_conninfo(connection_url(url), **extra)
    except psycopg.ProgrammingError as exc:
        raise DatabaseUnreachable(f"invalid database URL: {one_line(exc, url_secrets(url, password))}") from None
    conn = psycopg.connect(conninfo, autocommit=False)
    conn.read_only = True
    return conn


def _database_names(url: str, password: str | None, timeout_s: float) -> set[str]:
    """Names of the server's databases, read through the URL's database or ``postgres``."""
    try:
        conn = connect(url, password=password, timeout_s=timeout_s)
    except psycopg.OperationalError as exc:
        # The URL names a database that does not exist (e.g. .../mobius_chat): list from postgres.
        if not _MISSING_DATABASE.search(str(exc)):
            raise
        conn = connect(url, MAINTENANCE_DB, password=password, timeout_s=timeout_s)
    with conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate").fetchall()
    return {r[0] for r in rows}


def _table_facts(conn: psycopg.Connection, tables: Sequence[str]) -> list[DbTable]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ANY(current_schemas(false)) AND table_name = ANY(%s) "
        "ORDER BY table_name, ordinal_position",
        [list(tables)],
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    facts = []
    for table in tables:
        if table not in columns:
            continue
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) AS capped").format(sql.Identifier(table)),
            [ROW_COUNT_CAP],
        ).fetchone()
        facts.append(
            DbTable(
                name=table, columns=columns[table], row_count=count[0] if count else None, row_count_cap=ROW_COUNT_CAP
            )
        )
    return facts


def _applied_migrations(conn: psycopg.Connection) -> tuple[str | None, list[str] | None]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ANY(current_schemas(false)) AND table_name = ANY(%s)",
        [list(MIGRATION_TABLES)],
    ).fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    for table in MIGRATION_TABLES:
        column = next((c for c in MIGRATION_ID_COLUMNS if c in found.get(table, set())), None)
        if column is None:
            continue
        ids = conn.execute(
            sql.SQL("SELECT {}::text FROM {} LIMIT 10000").format(sql.Identifier(column), sql.Identifier(table))
        ).fetchall()
        return table, [r[0] for r in ids if r[0] is not None]
    return None, None


def database_facts(
    url: str, databases: Iterable[DatabaseSpec], *, password: str | None = None, timeout_s: float = 10.0
) -> list[Database]:
    """Facts about each declared database; raises :class:`DatabaseUnreachable` if the server is not."""
    server = server_label(url)
    try:
        present = _database_names(url, password, timeout_s)
        facts = []
        for spec in databases:
            if spec.name not in present:
                facts.append(Database(name=spec.name, server=server, exists=False))
                continue
            with connect(url, spec.name, password=password, timeout_s=timeout_s) as conn:
                tables = _table_facts(conn, _declared_tables(spec))
                tracking, applied = _applied_migrations(conn)
            facts.append(
                Database(
                    name=spec.name,
                    server=server,
                    exists=True,
                    tables=tables,
                    applied_migrations=applied,
                    migrations_table=tracking,
                )
            )
        return facts
    except psycopg.Error as exc:
        raise DatabaseUnreachable(f"PostgreSQL at {server}: {one_line(exc, url_secrets(url, password))}") from None


def metadata_ids_present(
    url: str,
    database: str,
    table: str,
    id_column: str,
    ids: Sequence[str],
    *,
    password: str | None = None,
    timeout_s: float = 10.0,
) -> list[str]:
    """The subset of ``ids`` that has a row in ``database.table`` (compared as text)."""
    server = server_label(url)
    if not ids:
        return []
    try:
        with connect(url, database, password=password, timeout_s=timeout_s) as conn:
            rows = conn.execute(
                sql.SQL("SELECT DISTINCT {col}::text FROM {tbl} WHERE {col}::text = ANY(%s)").format(
                    col=sql.Identifier(id_column), tbl=sql.Identifier(table)
                ),
                [list(ids)],
            ).fetchall()
    except psycopg.Error as exc:
        secrets = url_secrets(url, password)
        raise DatabaseUnreachable(f"PostgreSQL at {server}/{database}: {one_line(exc, secrets)}") from None
    found = {r[0] for r in rows}
    return [i for i in ids if i in found]
