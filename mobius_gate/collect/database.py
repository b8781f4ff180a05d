"""Phase 2 facts from PostgreSQL, gathered once and strictly read-only.

The URL (``--db-url`` or ``$CHAT_RAG_DATABASE_URL``) names a *server*; for every
database the checklist declares (``cloud_sql.databases``) the collector records
whether it exists, the declared tables with their columns and a bounded row
count, and the ids of a migrations-tracking table if there is one. Every session
runs with ``default_transaction_read_only=on`` (and psycopg's ``read_only``), so
no statement can write; a statement timeout bounds each query.

Password: taken from the URL, else ``$PGPASSWORD`` (libpq reads it), else from
the Secret Manager secret named by ``$MOBIUS_GATE_DB_PASSWORD_SECRET``
(``db-password-mobius-rag`` or ``projects/P/secrets/S/versions/V``). It is never
printed: messages name the server as ``host:port`` only, and every error text is
scrubbed of the password (and of its pieces) before it leaves this module. A URL
whose password is not percent-encoded (it holds ``/``, ``@``, ``?`` or spaces) is
read the way a person means it: the userinfo ends at the last ``@``.

Reaching Cloud SQL from a workstation or CI runner: start the Cloud SQL Auth
Proxy and point the URL at it::

    cloud-sql-proxy --port 5432 mobiusos-new:us-central1:mobius-platform-db
    # (add --private-ip when the instance has only a private address and the
    #  runner is inside the VPC)
    export PGPASSWORD=...   # or MOBIUS_GATE_DB_PASSWORD_SECRET=db-password-mobius-rag
    pytest checks -m database --db-url postgresql://postgres@127.0.0.1:5432/mobius_chat
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mobius_gate.inventory import Database, DbTable, Section
from mobius_gate.redact import MASK, redact
from mobius_gate.spec import DatabaseSpec

if TYPE_CHECKING:  # the API call machinery loads only when collecting (checks import migration_recorded)
    from mobius_gate.collect.calls import CallContext

#: Row counts stop here: "at least N" is all a min_rows rule needs.
ROW_COUNT_CAP = 100_000
#: Tables that commonly record applied migrations, in the order they are tried.
MIGRATION_TABLES = ("schema_migrations", "migrations", "_migrations", "applied_migrations")
#: Columns of such a table that hold the migration id, in the order they are tried.
MIGRATION_ID_COLUMNS = ("version", "id", "name", "filename", "migration")
#: Env var naming the Secret Manager secret that holds the database password.
PASSWORD_SECRET_ENV = "MOBIUS_GATE_DB_PASSWORD_SECRET"
#: Database to list the server's databases from when the URL's own database is missing.
MAINTENANCE_DB = "postgres"
#: libpq's message when the URL's database is missing (connection errors carry no SQLSTATE).
_MISSING_DATABASE = re.compile(r'database "[^"]+" does not exist')


class DatabaseUnreachable(Exception):
    """The server could not be reached or refused us; the message is safe to print (one line)."""


def _userinfo_split(url: str) -> tuple[str, str, str] | None:
    """(``scheme``, userinfo, the rest) of a ``postgres[ql]://`` URL, the userinfo ending at the last ``@``.

    None when the URL has no userinfo, or when its only ``@`` stands in the query string.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("postgres", "postgresql") or "@" not in rest:
        return None
    userinfo, _, after = rest.rpartition("@")
    query = rest.find("?")
    if rest.count("@") == 1 and 0 <= query < rest.find("@"):
        return None
    return scheme, userinfo, after


def connection_url(url: str) -> str:
    """``url`` with its userinfo percent-encoded, so a password holding ``/``, ``@`` or spaces reads whole.

    A well-formed URL (already encoded) comes back equivalent: its userinfo is decoded, then encoded again.
    """
    parts = _userinfo_split(url)
    if parts is None:
        return url
    scheme, userinfo, after = parts
    user, colon, password = userinfo.partition(":")
    return f"{scheme}://{quote(unquote(user), safe='')}{colon}{quote(unquote(password), safe='')}@{after}"


def url_secrets(url: str, password: str | None = None) -> list[str]:
    """What must never be printed: the URL's password (raw and decoded), its pieces, and ``password``.

    Pieces matter when a malformed URL was split by a parser at a ``/``, ``@`` or space;
    pieces shorter than four characters are left (they would mask ordinary words).
    """
    parts = _userinfo_split(url)
    found = [password] if password else []
    if parts is not None and ":" in parts[1]:
        raw = parts[1].partition(":")[2]
        found += [raw, unquote(raw), *(p for p in re.split(r"[/@\s:?#%]+", raw) if len(p) >= 4)]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every literal occurrence of ``secrets`` masked, then :func:`redact`-ed."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return redact(text) or ""


def server_label(url: str) -> str:
    """``postgresql://u:pw@10.1.2.3:5432/db`` → ``10.1.2.3:5432`` (never credentials)."""
    try:
        params = conninfo_to_dict(connection_url(url))
    except psycopg.ProgrammingError:
        return "(unparsable database URL)"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return scrub(f"{host}:{port}", url_secrets(url))


def _one_line(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return scrub(text, secrets) or type(exc).__name__


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
        raise DatabaseUnreachable(f"invalid database URL: {_one_line(exc, url_secrets(url, password))}") from None
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


def _declared_tables(spec: DatabaseSpec) -> list[str]:
    names: list[str] = []
    for migration in spec.migrations:
        names.extend(migration.tables)
    names.extend(spec.tables)
    return list(dict.fromkeys(names))


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
        raise DatabaseUnreachable(f"PostgreSQL at {server}: {_one_line(exc, url_secrets(url, password))}") from None


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
        raise DatabaseUnreachable(f"PostgreSQL at {server}/{database}: {_one_line(exc, secrets)}") from None
    found = {r[0] for r in rows}
    return [i for i in ids if i in found]


def password_secret_name(project: str) -> str | None:
    """The Secret Manager version to read the password from, per ``$MOBIUS_GATE_DB_PASSWORD_SECRET``."""
    value = os.environ.get(PASSWORD_SECRET_ENV, "").strip()
    if not value:
        return None
    if value.startswith("projects/"):
        return value if "/versions/" in value else f"{value}/versions/latest"
    name, _, version = value.partition(":")
    return f"projects/{project}/secrets/{name}/versions/{version or 'latest'}"


def collect_database(
    url: str | None, databases: Iterable[DatabaseSpec], *, password: str | None = None, timeout_s: float = 10.0
) -> Section[Database]:
    """The ``database`` section: not_collected without a URL, unavailable when unreachable."""
    if not url:
        return Section[Database].not_collected(
            "no database URL: pass --db-url or set CHAT_RAG_DATABASE_URL (the README's Phase 2 section shows "
            "the Cloud SQL Auth Proxy)"
        )
    try:
        return Section[Database](items=database_facts(url, databases, password=password, timeout_s=timeout_s))
    except DatabaseUnreachable as exc:
        return Section[Database].unavailable(str(exc))


def db_password(ctx: CallContext) -> str | None:
    """The password from Secret Manager when ``$MOBIUS_GATE_DB_PASSWORD_SECRET`` names one (never printed)."""
    name = password_secret_name(ctx.project)
    if name is None:
        return None
    client = ctx.clients.secretmanager
    response = ctx.call(
        lambda timeout: client.access_secret_version(request={"name": name}, retry=None, timeout=timeout)
    )
    return response.payload.data.decode("utf-8")


def collect(ctx: CallContext) -> Section[Database]:
    """Registry entry: the ``database`` section for the checklist's databases."""
    from mobius_gate.collect.checklist_inputs import checklist_of

    spec = checklist_of(ctx)
    if not ctx.options.db_url:
        return collect_database(None, spec.cloud_sql.databases)
    try:
        password = db_password(ctx)
    except Exception as exc:  # a password that cannot be read: the section is unavailable
        return Section[Database].unavailable(
            f"reading the database password from Secret Manager failed: {_one_line(exc)}"
        )
    return collect_database(
        ctx.options.db_url, spec.cloud_sql.databases, password=password, timeout_s=max(1.0, min(10.0, ctx.remaining()))
    )
