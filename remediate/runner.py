"""One remediation per run, on the controller: plan from every failing verdict, then preview or apply.

Runs where the inventory is acquired (:attr:`InventorySource.after_acquire`), before any check
is judged and while an in-process emulator still serves; under xdist the controller does it
before the workers start, so each resource is changed by one process only and the workers
judge the repaired inventory the controller hands them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mobius_gate.remediate.actions import ACTIONS, ApplyContext
from mobius_gate.remediate.audit import AuditLog, principal_of
from mobius_gate.remediate.diff import field_diff
from mobius_gate.remediate.model import Change, Plan
from mobius_gate.remediate.planner import build_plan
from mobius_gate.remediate.rollback import add_rollbacks
from mobius_gate.remediate.values import REDIS_IP, Supplied, resolve

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.calls import CallContext, describe
from mobius_gate.collect.clients import Clients
from mobius_gate.engine import judge_all
from mobius_gate.fixes import Step
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings

#: Bound on one apply (every call, wait and re-collection), seconds: Memorystore creates take minutes.
APPLY_BUDGET_S = 45 * 60.0
_DONE = ("applied", "unchanged")
#: Sections re-collected right after each change to them, because later steps read values from them
#: (``<REDIS_IP>``: the new instance's host); every action reads the resource it changes itself, and
#: every section is collected again once the last change is made.
EACH_STEP = frozenset({"redis_instances"})


@dataclass
class Result:
    """What the run's remediation did, for the summary, the reports and the workers."""

    mode: str
    plan: Plan
    #: The run's --max-changes (what the held-back list names).
    max_changes: int = 0
    audit_path: str | None = None
    audit_lines: int = 0
    principal: str = ""
    #: (requirement, resource) of checks that failed before and pass after an applied change.
    repaired: set[tuple[str, str]] = field(default_factory=set)


class Remediator:
    """``after_acquire`` hook of the inventory source: returns the inventory the checks judge."""

    def __init__(self, settings: Settings, *, audit_explicit: bool = True) -> None:
        self.settings = settings
        self.options = settings.remediation
        #: Whether --audit-log was given (an ephemeral emulator's changes are audited only then).
        self.audit_explicit = audit_explicit
        self.values = Supplied(self.options.secret_values)
        self.result: Result | None = None

    def __call__(self, inv: Inventory, source: Any) -> Inventory:
        spec = self.settings.spec
        verdicts = judge_all(spec, inv)
        where = Step("run.traffic", "", inv.project, inv.region)
        if self.options.mode is None:  # --rollback alone: only the rollbacks asked for
            plan = Plan()
            add_rollbacks(plan, [], inv, self.options.rollback, where)
        else:
            accounts = {svc.name: svc.service_account for svc in spec.services if svc.service_account}
            strict, values = self.settings.strict, self.values
            plan = build_plan(verdicts, spec.redis.name, block_advisories=strict, supplied=values, accounts=accounts)
            add_rollbacks(plan, verdicts, inv, self.options.rollback, where)
        if not self.options.writes:
            self.result = Result("plan", plan, self.options.max_changes)
            self._walk(plan, inv, None, None)
            return inv
        ctx = self._context(source)
        assert ctx is not None and source.target is not None  # options refuse apply on saved state
        kept = None if self.ephemeral and not self.audit_explicit else self.options.audit_log
        audit = AuditLog(kept, principal_of(ctx.clients.credentials, source.target.is_emulator), inv.project)
        where = str(kept) if kept else None
        self.result = Result("apply", plan, self.options.max_changes, where, principal=audit.principal)
        before = {(v.requirement, v.resource) for v in verdicts if v.status == "fail"}
        inv = self._walk(plan, inv, ctx, (audit, source))
        self.result.audit_lines = audit.written
        after = {(v.requirement, v.resource) for v in judge_all(spec, inv) if v.status == "pass"}
        self.result.repaired = before & after & plan.checks_of("applied")
        return inv

    @property
    def ephemeral(self) -> bool:
        """``--emulator=SCENARIO``: an in-process emulator whose state is thrown away at exit."""
        emulator = self.settings.emulator
        return bool(emulator) and not str(emulator).startswith(("http://", "https://"))

    def _context(self, source: Any) -> ApplyContext | None:
        target = getattr(source, "target", None)
        if target is None:
            return None
        options = source.collect_options()
        calls = CallContext(target, options, time.monotonic() + APPLY_BUDGET_S, lambda: Clients(target))
        return ApplyContext(calls)

    def _walk(self, plan: Plan, inv: Inventory, ctx: ApplyContext | None, sink: Any) -> Inventory:
        """Each change in order: gate it (dependencies, values, --max-changes), then preview or apply it."""
        budget = self.options.max_changes
        changed_sections: set[str] = set()
        for change in plan.changes:
            if change.state != "planned" or not self._gate(change, plan, inv, budget):
                continue
            change.shown = self._display(change.step, inv)
            change.diff = field_diff(change.shown, inv)
            if sink is None:
                budget -= 1
                continue
            inv = self._apply(change, inv, ctx, sink, changed_sections)
            budget -= change.state == "applied"
        if changed_sections:  # what the checks judge: everything collected again, not the cached inventory
            source = sink[1]
            inv = collect_inventory(source.target, source.collect_options())
        return inv

    def _gate(self, change: Change, plan: Plan, inv: Inventory, budget: int) -> bool:
        blocked = [plan.changes[i] for i in change.needs if plan.changes[i].state not in (*_DONE, "planned")]
        if blocked:
            first = blocked[0]
            change.state = "held" if first.state == "held" else "skipped"
            change.why = f"needs {first.step.operation} {first.step.target} ({first.state}: {first.why})"
            return False
        missing = [
            m for m in self._display_resolution(change.step, inv).missing if not self._pending_redis(m, change, plan)
        ]
        if missing:
            change.state = "skipped"
            names = ", ".join(missing)
            change.why = f"needs a value only a human has: {names} (supply it with --secret-value NAME=@FILE)"
            return False
        if budget <= 0:
            change.state, change.why = "held", f"beyond --max-changes={self.options.max_changes}"
            return False
        return True

    def _pending_redis(self, placeholder: str, change: Change, plan: Plan) -> bool:
        """``<REDIS_IP>`` in a plan is filled once the planned instance exists (not a human value)."""
        return placeholder == f"<{REDIS_IP}>" and any(
            plan.changes[i].step.operation == "redis.create" for i in change.needs
        )

    def _display_resolution(self, step: Step, inv: Inventory) -> Any:
        return resolve(step, inv, self.settings.spec.redis.name, self.values, reveal=False)

    def _display(self, step: Step, inv: Inventory) -> Step:
        return self._display_resolution(step, inv).step

    def _apply(self, change: Change, inv: Inventory, ctx: Any, sink: Any, changed: set[str]) -> Inventory:
        audit, source = sink
        action = ACTIONS[change.step.operation]
        step = resolve(change.step, inv, self.settings.spec.redis.name, self.values, reveal=True).step
        seen = len(ctx.conflicts)
        try:
            outcome = action.apply(ctx, step)
        except Exception as exc:  # the API refused, a conflict persisted, an operation failed: reported
            change.state, change.why = "failed", describe(exc)
            audit.record(change, f"failed: {change.why}", ctx.conflicts[seen:])
            return inv
        change.operation_name = outcome.operation
        if not outcome.changed:
            change.state, change.why = "unchanged", outcome.note or "already as wanted"
            return inv
        change.state = "applied"
        if ctx.conflicts[seen:]:
            change.why = f"retried once after a concurrent change ({ctx.conflicts[seen]})"
        audit.record(change, "applied", ctx.conflicts[seen:])
        changed.add(action.section)
        if action.section in EACH_STEP:  # later steps read their values (REDIS_URL's host) from it
            return self._recollect(inv, source, {action.section})
        return inv

    def _recollect(self, inv: Inventory, source: Any, sections: set[str]) -> Inventory:
        """Collect ``sections`` again from the API (not the run's cached inventory) and merge them in."""
        fresh = collect_inventory(source.target, source.collect_options(), sections=sections)
        return inv.model_copy(update={name: fresh.section(name) for name in sections})
