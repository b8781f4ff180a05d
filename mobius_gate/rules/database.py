"""What the Phase 2 rules share: the facts about one database, and the server they come from."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mobius_gate.inventory import Database
from mobius_gate.rules.judge import Judge
from mobius_gate.verdict import Verdict


def server(facts: Database) -> str:
    """``host:port`` of the server the facts come from (the collector never records credentials)."""
    return facts.server or "the --db-url server"


def facts_of(judge: Judge, name: str) -> Database | Verdict:
    """The collected facts about database ``name``, or the error saying none were recorded."""
    facts = judge.inv.database_facts(name)
    if facts is None:
        return judge.errored(f"the database collector recorded nothing about {name}")
    return facts


def migration_recorded(migration_id: str, applied: Iterable[str]) -> bool:
    """``013_chat_progress_events`` is recorded as itself, with ``.sql``, or by its number (``013``/``13``)."""
    number = re.match(r"^(\d+)", migration_id)
    for value in applied:
        stem = value.strip().removesuffix(".sql")
        if stem == migration_id:
            return True
        if number and stem.lstrip("0") == number.group(1).lstrip("0"):
            return True
    return False


def recorded(facts: Database, migration_id: str) -> bool | None:
    """Whether the migrations table records ``migration_id``; None when no such table was read."""
    applied = facts.applied_migrations
    return None if applied is None else migration_recorded(migration_id, applied)
