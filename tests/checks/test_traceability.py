"""Traceability: every requirement has rules, every rule of all four phases quotes the checklist verbatim,
every failure is usable.

The last test judges the project as the checklist found it on 2026-02-04 (two
services deployed, Redis and VPC Access APIs off, Vertex AI unknown) and checks
the shape of every message the gate would print.
"""

from __future__ import annotations

import re
from pathlib import Path

import mobius_gate.checks.test_phase1_infrastructure as p1
import mobius_gate.checks.test_phase2_database as p2
import mobius_gate.checks.test_phase3_services as p3
import mobius_gate.checks.test_phase4_verification as p4
import pytest

from mobius_gate.fixes import REQUIREMENT_OPERATIONS, Fix
from mobius_gate.inventory import Inventory
from mobius_gate.requirements import CATALOGUE, RULES, BoundRule
from mobius_gate.spec import Checklist
from tests.checks.factory import (
    LEAKY_DSN,
    conformant,
    judge,
    with_env,
    with_section,
    with_service,
    without,
)

CHECKLIST_MD = Path(__file__).parent / "data" / "production-migration-checklist.md"
#: The check module of each phase.
PHASE_MODULES = {"infra": p1, "database": p2, "services": p3, "verification": p4}
MODULES = tuple(PHASE_MODULES.values())
#: Phases whose fixes are API operations (Phase 2's are SQL / sync commands, Phase 4's read logs).
API_FIX_PHASES = ("infra", "services")


def _rules_of(modules: tuple[object, ...]) -> list[BoundRule]:
    prefixes = tuple(f"{m.__name__}::" for m in modules)  # type: ignore[attr-defined]
    return [bound for key, bound in RULES.items() if key.startswith(prefixes)]


def _all_rules() -> list[BoundRule]:
    return _rules_of(MODULES)


def _my_rules() -> list[BoundRule]:
    """The Phase 1 and Phase 3 rules (the production-as-found judgement below)."""
    return _rules_of((p1, p3))


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_requirement_has_a_rule() -> None:
    covered = {bound.requirement.id for bound in _all_rules()}
    assert set(CATALOGUE) - covered == set()


def test_rules_live_in_the_module_of_their_phase() -> None:
    rules = _all_rules()
    assert {b.requirement.phase for b in rules} == set(PHASE_MODULES)
    for bound in rules:
        module = PHASE_MODULES[bound.requirement.phase]
        assert getattr(module, bound.name).mobius_rule is bound


@pytest.mark.parametrize("bound", _all_rules(), ids=lambda b: b.name)
def test_docstring_quotes_the_checklist_verbatim(bound: BoundRule) -> None:
    source = _normalize(CHECKLIST_MD.read_text(encoding="utf-8"))
    quotes = [line.strip()[2:] for line in bound.doc.splitlines() if line.strip().startswith("> ")]
    assert quotes, f"{bound.name} quotes no checklist line"
    for quote in quotes:
        assert _normalize(quote) in source, f"{bound.name}: not in the checklist: {quote!r}"


def test_every_requirement_with_rules_has_fix_operations() -> None:
    for bound in _all_rules():
        if bound.requirement.phase in API_FIX_PHASES:
            assert bound.requirement.id in REQUIREMENT_OPERATIONS


def _production_as_found(spec: Checklist) -> Inventory:
    """The Executive Summary's production: 2 of 10 services, Redis/VPC APIs off, Vertex AI not enabled."""
    inv = conformant(spec)
    apis = [
        a
        for a in spec.apis.required
        if a not in ("redis.googleapis.com", "vpcaccess.googleapis.com", "aiplatform.googleapis.com")
    ]
    inv = inv.model_copy(update={"apis": inv.apis.model_copy(update={"items": apis})})
    inv = with_section(inv, "redis_instances", "disabled", "redis.googleapis.com is disabled in project mobiusos-new")
    inv = with_section(inv, "connectors", "disabled", "vpcaccess.googleapis.com is disabled in project mobiusos-new")
    for svc in spec.services:
        if svc.name not in ("mobius-rag", "mobius-os"):
            inv = without(inv, "services", svc.name)
    inv = with_service(inv, "mobius-rag", vpc_connector=None, vpc_egress=None, min_instances=0)
    return with_env(inv, "mobius-rag", "DATABASE_URL", LEAKY_DSN)


def test_production_as_found_fails_with_usable_messages(spec: Checklist) -> None:
    inv = _production_as_found(spec)
    verdicts = []
    for bound in _my_rules():
        fn = getattr(PHASE_MODULES[bound.requirement.phase], bound.name)
        verdicts += [judge(fn, subject, spec, inv) for _, subject in bound.subjects(spec)]
    failed = [v for v in verdicts if v.status == "fail"]
    by_requirement = {v.requirement for v in failed}
    assert {
        "INF-API",
        "INF-REDIS",
        "INF-VPC",
        "SVC-DEPLOYED",
        "SVC-VPC-CONNECTOR",
        "SVC-MIN-INSTANCES",
        "SVC-PLAINTEXT-CREDS",
    } <= by_requirement
    assert len([v for v in failed if v.requirement == "SVC-DEPLOYED"]) == 8
    for verdict in failed:
        message = verdict.message()
        assert message.startswith(f"[{verdict.requirement}] {verdict.resource}: "), message
        assert "Fix: gcloud " in message, message
        assert "(checklist § " in message, message
        assert verdict.expected is not None and verdict.actual is not None, message
        if verdict.details.get("fix"):
            assert Fix.from_json(verdict.details["fix"]).command() == verdict.fix
    assert not [v for v in verdicts if v.status == "pass" and v.requirement in ("INF-REDIS", "INF-VPC")]
    assert not [v for v in verdicts if v.status == "error"], [v.message() for v in verdicts if v.status == "error"]
