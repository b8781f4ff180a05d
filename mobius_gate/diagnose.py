"""Diagnoses: a failing *symptom* check names the likely cause the run's other verdicts show.

One derivation, from verdicts only: for a failing symptom (VER-LOGS, VER-HEALTH, a VER-E2E
flow, DB-RAG-CONSISTENT, ...) every row of :data:`mobius_gate.symptoms.TABLE` that explains
it is looked up, and each failing verdict of the row's cause requirement about a related
resource becomes a :class:`Diagnosis`: the row's issue, its text filled from the cause
verdict, and the cause verdict's own fix. "Related" is the symptom's service (VER-LOGS,
VER-HEALTH, SVC-READY), the flow's service and the workers it pairs with (VER-E2E-*), or
any database resource (DB-*).

:func:`diagnoses_from` is that derivation over a list of verdicts; :func:`diagnoses` and
:func:`diagnose` take the verdicts of every rule judged on the same inventory
(:func:`mobius_gate.engine.verdicts_of`, pure and memoized), which is what the rule pipeline
and the plugin use. The local end-to-end flows, which have no verdicts, fill the same rows
from what they observe (:func:`observed`). Every text is passed through
:func:`mobius_gate.redact.redact`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mobius_gate.inventory import Inventory
from mobius_gate.redact import redact
from mobius_gate.spec import Checklist
from mobius_gate.symptoms import ROWS, SYMPTOMS, Row, rows_for
from mobius_gate.verdict import Verdict

_FLOWS = {"VER-E2E-CHAT": "chat", "VER-E2E-RAG": "rag", "VER-E2E-SCRAPER": "scraper"}


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause: the Common Issue it is, what the facts show, and the fix."""

    issue: str
    cause: str
    fix: str | None = None

    def text(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f'"{self.issue}" — {self.cause}{fix}'


def filled(
    row: Row, *, service: str, reason: str = "", expected: str = "", actual: str = "", fix: str | None
) -> Diagnosis:
    """``row`` with its text filled from a cause (a verdict's fields, or what a local flow observed)."""
    cause = row.text.format(service=service, reason=reason.rstrip("."), expected=expected, actual=actual)
    return Diagnosis(row.issue, redact(cause) or "", redact(fix))


def observed(key: str, service: str, *, reason: str = "", expected: str = "", actual: str = "") -> Diagnosis:
    """Row ``key`` of the symptom table filled from what a local flow observed, with the checklist's fix."""
    row = ROWS[key]
    return filled(row, service=service, reason=reason, expected=expected, actual=actual, fix=row.fix)


def _from_verdict(row: Row, cause: Verdict, *, own: bool) -> Diagnosis:
    return filled(
        row,
        service=" and ".join(cause.resource.split("+")),
        reason=cause.reason,
        expected=cause.expected or "",
        actual=cause.actual or "",
        fix=None if own else cause.fix or row.fix,
    )


def _scope(symptom: Verdict, spec: Checklist) -> set[str] | None:
    """The services whose verdicts may explain ``symptom``; None: any (database symptoms)."""
    if symptom.requirement.startswith("DB-"):
        return None
    kind = _FLOWS.get(symptom.requirement)
    flow = getattr(spec.e2e_live, kind) if kind else None
    if flow is not None:
        api = next((s for s in spec.services if s.name == flow.service), None)
        return {flow.service, *(api.pairs_with if api else ())}
    return set(symptom.resource.split("+"))


def _explains(row: Row, cause: Verdict, scope: set[str] | None) -> bool:
    if cause.status != "fail" or cause.requirement != row.cause:
        return False
    if row.env is not None and cause.details.get("env") != row.env:
        return False
    return scope is None or cause.requirement.startswith("DB-") or bool(set(cause.resource.split("+")) & scope)


def diagnoses_from(symptom: Verdict, verdicts: Iterable[Verdict], spec: Checklist) -> list[Diagnosis]:
    """Every likely cause of a failing ``symptom`` among the run's ``verdicts``, most likely first."""
    if symptom.status not in ("fail", "error") or symptom.requirement not in SYMPTOMS:
        return []
    scope = _scope(symptom, spec)
    key = (symptom.requirement, symptom.resource)
    others = [v for v in verdicts if (v.requirement, v.resource) != key]
    found: list[Diagnosis] = []
    own: list[Diagnosis] = []
    for row in rows_for(symptom.requirement):
        if row.cause == symptom.requirement:
            if symptom.status == "fail":
                own.append(_from_verdict(row, symptom, own=True))
            continue
        found += [_from_verdict(row, cause, own=False) for cause in others if _explains(row, cause, scope)]
    issues = {d.issue for d in found}
    return list(_unique(found + [d for d in own if d.issue not in issues]))


def text_of(found: Iterable[Diagnosis]) -> str | None:
    """The causes as the one line after "Likely cause:", or None."""
    texts = [d.text() for d in _unique(list(found))]
    return " | ".join(texts) if texts else None


def diagnoses(verdict: Verdict, spec: Checklist, inv: Inventory) -> list[Diagnosis]:
    """The likely causes of ``verdict`` among the verdicts of every rule on ``inv``."""
    # Only a failure has a cause to name: an error says the gate could not see (a probe that
    # never got an answer, an unreadable section), so any cause offered would be a guess.
    if verdict.status != "fail" or verdict.requirement not in SYMPTOMS:
        return []
    from mobius_gate.engine import verdicts_of

    return diagnoses_from(verdict, verdicts_of(spec, inv), spec)


def diagnose(verdict: Verdict, spec: Checklist, inv: Inventory) -> str | None:
    """The likely cause(s) of a failing verdict as one line, or None. Pure: judges ``inv`` in-process."""
    return text_of(diagnoses(verdict, spec, inv))


def _unique(items: list[Diagnosis]) -> Iterator[Diagnosis]:
    seen: set[Diagnosis] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
