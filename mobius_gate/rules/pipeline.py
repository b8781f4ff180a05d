"""The complete verdict on one subject, in one place for the plugin, the engine and reports.

1. a section the requirement needs that could not be read → ``error`` (``not_collected`` → ``na``);
2. a subject whose service is not deployed → ``na`` (SVC-DEPLOYED fails it);
3. the pure rule, through a :class:`~mobius_gate.rules.judge.Judge`;
4. an error that names no fix gets the read-only :func:`~mobius_gate.rules.common.inspect_note`;
5. a failing or erring *symptom* gets its likely cause: the other verdicts on the same inventory
   (:func:`mobius_gate.engine.verdicts_of`) looked up in the symptom table (:mod:`mobius_gate.diagnose`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import Inventory
from mobius_gate.redact import redact
from mobius_gate.rules.common import inspect_note, verdict
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import Deployed
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict

if TYPE_CHECKING:
    from mobius_gate.requirements import BoundRule


def judge_subject(
    bound: BoundRule, subject: Any, spec: Checklist, inv: Inventory, *, diagnosed: bool = True
) -> Verdict:
    """The verdict on ``subject``; ``diagnosed=False`` leaves out step 5 (the facts diagnoses derive from)."""
    ident = bound.over.ident(subject)
    section = bound.section_of(subject, spec)
    result = _unreadable(bound, ident, section, inv)
    if result is None:
        result = _rule(bound, subject, Judge(bound.requirement.id, ident, section, spec, inv))
    if result.status == "error" and not result.fix:
        result = replace(
            result, fix=inspect_note(result.requirement, result.resource, inv.project, inv.region, result.reason)
        )
    if diagnosed and result.status in ("fail", "error") and not result.diagnosis:
        cause = diagnose(result, spec, inv)
        result = replace(result, diagnosis=cause) if cause else result
    return result


def _unreadable(bound: BoundRule, ident: str, section: str, inv: Inventory) -> Verdict | None:
    """error / na when a section the requirement needs could not be read / was not collected."""
    req = bound.requirement
    for name in req.needs:
        facts = getattr(inv, name, None)
        if facts is None:
            return Verdict(req.id, ident, "na", f"{name} is not collected by this version", section=section)
        if facts.status == "unavailable":
            note = inspect_note(req.id, ident, inv.project, inv.region, facts.cause)
            return Verdict(req.id, ident, "error", f"cannot judge: {redact(facts.cause)}", fix=note, section=section)
        if facts.status == "not_collected":
            return Verdict(req.id, ident, "na", f"not collected: {redact(facts.cause)}", section=section)
    return None


def _rule(bound: BoundRule, subject: Any, judge: Judge) -> Verdict:
    """The rule on its typed subject; a service that is not deployed is ``na`` without running it."""
    needs_service = bound.over.needs_service
    if needs_service is None:
        return bound.rule(subject, judge)
    svc = needs_service(subject)
    service = judge.inv.service(svc.name)
    judge = judge.about(svc.name)
    if service is None:
        return verdict("na", judge.requirement, svc.name, "not deployed (see SVC-DEPLOYED)", section=judge.section)
    key = bound.over.key(subject) if bound.over.key is not None else ""
    return bound.rule(Deployed(svc, service, key), judge)
