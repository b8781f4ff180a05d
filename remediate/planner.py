"""Failing verdicts → one :class:`~mobius_gate.remediate.model.Plan` in dependency order.

Each failing check's structured fix (``details['fix']``) is split into steps; identical steps
of several checks become one change that repairs them all; Cloud Run updates of one service
merge into one revision when their flags do not overlap. Deletes, reads and what only a human
runs become manual items. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from mobius_gate.remediate.model import Change, ManualItem, Plan
from mobius_gate.remediate.order import DELETES, NOT_APPLIED, STAGES, needs

from mobius_gate.fixes import Fix, Step
from mobius_gate.requirements import CATALOGUE
from mobius_gate.verdict import Verdict

_REMOVALS = ("remove_env_vars", "remove_secrets")


def fix_of(verdict: Verdict) -> Fix | None:
    """The structured fix a failing verdict carries, if any."""
    text = verdict.details.get("fix")
    return Fix.from_json(text) if text else None


def _key(step: Step) -> str:
    return json.dumps([step.operation, step.target, dict(step.params)], sort_keys=True)


def build_plan(verdicts: Iterable[Verdict], redis_name: str, *, block_advisories: bool = False) -> Plan:
    """The plan repairing every failing (blocking, unless ``block_advisories``) check."""
    plan = Plan()
    by_key: dict[str, Change] = {}
    for verdict in verdicts:
        if verdict.status != "fail":
            continue
        check = (verdict.requirement, verdict.resource)
        advisory = CATALOGUE[verdict.requirement].severity == "advisory"
        fix = fix_of(verdict)
        if advisory and not block_advisories:
            if verdict.fix:
                plan.manual.append(ManualItem([check], verdict.fix, "advisory: changed only with --block-advisories"))
            continue
        if fix is None:
            if verdict.fix:
                plan.manual.append(ManualItem([check], verdict.fix, "no structured fix: a human reads and acts"))
            continue
        _add_fix(plan, by_key, fix, check)
    plan.changes = _ordered(_merged(plan.changes))
    _link(plan.changes, redis_name)
    return plan


def _add_fix(plan: Plan, by_key: dict[str, Change], fix: Fix, check: tuple[str, str]) -> None:
    deletes = [s for s in fix.steps if s.operation in DELETES]
    if deletes:
        cost = f" ({fix.note})" if fix.note else ""
        why = f"starts with {deletes[0].operation}: mobius-gate never deletes; recreate by hand{cost}"
        plan.manual.append(ManualItem([check], fix.command(), why))
        return
    for step in fix.steps:
        if step.operation in NOT_APPLIED or step.operation not in STAGES:
            why = NOT_APPLIED.get(step.operation, f"{step.operation} is not applied by mobius-gate")
            _manual(plan, check, step.gcloud(), why)
            continue
        key = _key(step)
        if key in by_key:
            if check not in by_key[key].checks:
                by_key[key].checks.append(check)
            continue
        change = Change(step, [check], STAGES[step.operation])
        by_key[key] = change
        plan.changes.append(change)


def _manual(plan: Plan, check: tuple[str, str], command: str, why: str) -> None:
    for item in plan.manual:
        if item.command == command:
            if check not in item.checks:
                item.checks.append(check)
            return
    plan.manual.append(ManualItem([check], command, why))


def _mergeable(a: Change, b: Change) -> bool:
    return (
        a.step.operation == b.step.operation == "run.update"
        and a.step.target == b.step.target
        and not set(a.step.params) & set(b.step.params)
        and not any(k in p for p in (a.step.params, b.step.params) for k in _REMOVALS)
    )


def _merged(changes: list[Change]) -> list[Change]:
    """Cloud Run updates of one service with disjoint flags become one update (one revision)."""
    out: list[Change] = []
    for change in changes:
        into = next((c for c in out if _mergeable(c, change)), None)
        if into is None:
            out.append(change)
            continue
        s = into.step
        into.step = Step(s.operation, s.target, s.project, s.region, {**s.params, **change.step.params})
        into.checks += [c for c in change.checks if c not in into.checks]
    return out


def _ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: c.stage)  # stable: a fix's own order is kept within a stage


def _link(changes: list[Change], redis_name: str) -> None:
    for i, change in enumerate(changes):
        change.needs = [j for j in range(i) if needs(change.step, changes[j].step, redis_name)]
