"""Failing verdicts → one :class:`~mobius_gate.remediate.model.Plan` in dependency order.

Each failing check's structured fix (``details['fix']``) is split into steps; identical steps
of several checks become one change that repairs them all; Cloud Run updates of one service
merge into one revision when their flags do not overlap. Deletes, reads and what only a human
runs become manual items. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from mobius_gate.remediate.model import Change, ManualItem, Plan
from mobius_gate.remediate.order import DELETES, NOT_APPLIED, STAGES, needs
from mobius_gate.remediate.secretize import store_credentials
from mobius_gate.remediate.values import Supplied

from mobius_gate.fixes import Fix, Step
from mobius_gate.requirements import CATALOGUE
from mobius_gate.verdict import Verdict

_REMOVALS = ("remove_env_vars", "remove_secrets")
_ENV_KEYS = ("remove_env_vars", "remove_secrets", "update_env_vars", "update_secrets")
#: An env var's type change in one update: both ways.
_TYPE_CHANGES = (
    {"remove_env_vars", "update_secrets"},
    {"remove_secrets", "update_env_vars"},
)
#: What a manual item's text starts with when it is a command (else it is a note, shown without ``$``).
_COMMANDS = ("gcloud ", "echo ", "cd ", "psql ", "bq ", "gsutil ", "curl ")


def is_command(text: str) -> bool:
    """Whether a fix text is a shell command (``$ ...`` in the plan) rather than a note."""
    return text.lstrip().startswith(_COMMANDS)


def _stored(steps: Iterable[Step], stored: Callable[[Step], list[Step]]) -> tuple[Step, ...]:
    return tuple(out for step in steps for out in stored(step))


def fix_of(verdict: Verdict) -> Fix | None:
    """The structured fix a failing verdict carries, if any."""
    text = verdict.details.get("fix")
    return Fix.from_json(text) if text else None


def _key(step: Step) -> str:
    return json.dumps([step.operation, step.target, dict(step.params)], sort_keys=True)


def build_plan(
    verdicts: Iterable[Verdict],
    redis_name: str,
    *,
    block_advisories: bool = False,
    supplied: Supplied | None = None,
    accounts: Mapping[str, str] | None = None,
) -> Plan:
    """The plan repairing every failing (blocking, unless ``block_advisories``) check.

    ``supplied`` (the ``--secret-value`` files) and ``accounts`` (service → its service account)
    let a supplied credential go to Secret Manager instead of a plain env var (``secretize.py``).
    """
    plan = Plan()
    stored = partial(store_credentials, supplied=supplied or Supplied(), accounts=accounts or {})
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
                why = "no structured fix: a human reads and acts"
                plan.manual.append(ManualItem([check], verdict.fix, why, shell=is_command(verdict.fix)))
            continue
        _add_fix(plan, by_key, Fix(fix.requirement, fix.resource, _stored(fix.steps, stored), fix.note), check)
    plan.changes = _ordered(_merged(plan.changes))
    _link(plan.changes, redis_name)
    return plan


def _add_fix(plan: Plan, by_key: dict[str, Change], fix: Fix, check: tuple[str, str]) -> None:
    deletes = [s for s in fix.steps if s.operation in DELETES]
    if deletes:
        cost = f" ({fix.note})" if fix.note else ""
        why = f"starts with {deletes[0].operation}: mobius-gate never deletes; recreate by hand{cost}"
        plan.manual.append(ManualItem([check], " && ".join(step.gcloud() for step in fix.steps), why))
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


def _env_names(params: Mapping[str, Any]) -> dict[str, set[str]]:
    """Env var name → the env parameters of a Cloud Run update touching it."""
    out: dict[str, set[str]] = {}
    for key in _ENV_KEYS:
        for name in params.get(key) or ():
            out.setdefault(name, set()).add(key)
    return out


def _mergeable(a: Change, b: Change) -> bool:
    """Two updates of one service become one revision unless they set one thing two ways.

    Other flags must differ or agree; an env var touched by both only as a type change (its plain
    value removed and its secret reference set, or the reverse): one update body does both at once.
    """
    if not (a.step.operation == b.step.operation == "run.update" and a.step.target == b.step.target):
        return False
    pa, pb = a.step.params, b.step.params
    if any(pa[k] != pb[k] for k in set(pa) & set(pb) if k not in _ENV_KEYS):
        return False
    ea, eb = _env_names(pa), _env_names(pb)
    return all(ea[n] | eb[n] in _TYPE_CHANGES and not ea[n] & eb[n] for n in set(ea) & set(eb))


def _merge_params(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """``a`` and ``b`` as one update's flags: removals first (then the sets replace by name)."""
    out: dict[str, Any] = {}
    for key in (*_REMOVALS, *a, *b):
        if key in out or (key not in a and key not in b):
            continue
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out[key] = {**x, **y}
        elif isinstance(x, list) and isinstance(y, list):
            out[key] = list(dict.fromkeys([*x, *y]))
        else:
            out[key] = x if key in a else y
    return out


def _merged(changes: list[Change]) -> list[Change]:
    """Cloud Run updates of one service become one update (one revision) when they do not conflict."""
    out: list[Change] = []
    for change in changes:
        into = next((c for c in out if _mergeable(c, change)), None)
        if into is None:
            out.append(change)
            continue
        s = into.step
        into.step = Step(s.operation, s.target, s.project, s.region, _merge_params(s.params, change.step.params))
        into.checks += [c for c in change.checks if c not in into.checks]
    return out


def _ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: c.stage)  # stable: a fix's own order is kept within a stage


def _link(changes: list[Change], redis_name: str) -> None:
    for i, change in enumerate(changes):
        change.needs = [j for j in range(i) if needs(change.step, changes[j].step, redis_name)]
