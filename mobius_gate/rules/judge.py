"""The judge a rule returns through: bound to one requirement, resource and checklist section.

It also carries what a rule may read (the resolved checklist and the inventory)
and builds the rule's fixes, so a rule never restates its requirement ID.
Every verdict it makes is redacted (:func:`mobius_gate.rules.common.verdict`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mobius_gate.fixes import Fix, Step, Where, operations_checked, update_service
from mobius_gate.inventory import Inventory
from mobius_gate.rules.common import Findings, verdict
from mobius_gate.spec import Checklist, ServiceSpec
from mobius_gate.verdict import Status, Verdict


@dataclass(frozen=True)
class Judge:
    requirement: str
    resource: str
    section: str
    spec: Checklist
    inv: Inventory

    @property
    def where(self) -> Where:
        return Where(self.inv.project, self.inv.region)

    def about(self, resource: str) -> Judge:
        """The same judge for another resource (a pair, a database table)."""
        return replace(self, resource=resource)

    def _verdict(self, status: Status, reason: str, **kw: Any) -> Verdict:
        kw.setdefault("section", self.section)
        return verdict(status, self.requirement, self.resource, reason, **kw)

    def passed(self, reason: str, **kw: Any) -> Verdict:
        return self._verdict("pass", reason, **kw)

    def failed(self, reason: str, **kw: Any) -> Verdict:
        return self._verdict("fail", reason, **kw)

    def errored(self, reason: str, **kw: Any) -> Verdict:
        return self._verdict("error", reason, **kw)

    def na(self, reason: str, **kw: Any) -> Verdict:
        return self._verdict("na", reason, **kw)

    def findings(
        self, found: Findings, *, what: str, fix: Fix | None, ok: str, consequence: str | None = None
    ) -> Verdict:
        """fail listing every deviation; else error when something is unknown; else pass."""
        if found.wrong:
            reason = found.reason(what, consequence)
            return self.failed(reason, expected=found.expected(), actual=found.actual(), fix=fix)
        if found.unknown:
            return self.errored(f"{what}: {found.unknown_clause()}")
        return self.passed(ok)

    # --- fixes (their operations are checked against REQUIREMENT_OPERATIONS) -------------------------

    def fix(self, steps: tuple[Step, ...] | list[Step] = (), note: str | None = None) -> Fix:
        return operations_checked(Fix(self.requirement, self.resource, tuple(steps), note))

    def update(self, svc: ServiceSpec, **params: Any) -> Fix:
        """``gcloud run services update SVC --flag=value ...`` for this requirement."""
        return operations_checked(update_service(self.requirement, svc, self.where, **params))

    def then(self, first: Fix, *more: Fix | tuple[Step, ...], note: str | None = None) -> Fix:
        """``first``'s steps followed by ``more``'s, as this requirement's fix."""
        steps = list(first.steps)
        for part in more:
            steps += part.steps if isinstance(part, Fix) else list(part)
        return self.fix(steps, note if note is not None else first.note)
