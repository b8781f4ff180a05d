"""What the Phase 2 rules share: the facts about one database, and the server they come from."""

from __future__ import annotations

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
