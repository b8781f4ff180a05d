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

The psycopg session itself is :mod:`mobius_gate.collect.postgres`, imported only
when a URL is given (psycopg costs a tenth of a second of start-up).

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

from mobius_gate.inventory import Database, Section
from mobius_gate.redact import MASK, redact
from mobius_gate.spec import DatabaseSpec

if TYPE_CHECKING:  # the API call machinery loads only when collecting (checks import migration_recorded)
    from mobius_gate.collect.calls import CallContext

#: Env var naming the Secret Manager secret that holds the database password.
PASSWORD_SECRET_ENV = "MOBIUS_GATE_DB_PASSWORD_SECRET"


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


def one_line(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return scrub(text, secrets) or type(exc).__name__


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
    from mobius_gate.collect.postgres import database_facts  # psycopg loads only when a database is read

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
            f"reading the database password from Secret Manager failed: {one_line(exc)}"
        )
    return collect_database(
        ctx.options.db_url, spec.cloud_sql.databases, password=password, timeout_s=max(1.0, min(10.0, ctx.remaining()))
    )
