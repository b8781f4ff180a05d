"""Judge every rule in-process, without pytest: for reports, remediation, diagnoses and fast tests.

    from mobius_gate.engine import judge_all
    verdicts = judge_all(spec, inventory)

Each verdict is the one the gate reports for that (requirement, resource):
section guard, not deployed, the pure rule, redaction and diagnosis
(:meth:`mobius_gate.requirements.BoundRule.judge`). A diagnosis is derived from the
run's other verdicts, which :func:`verdicts_of` judges once per inventory (pure and
cheap: tens of milliseconds) — the plugin, judging check by check, reads them there.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

import mobius_gate.checks
from mobius_gate.inventory import Inventory
from mobius_gate.requirements import RULES, BoundRule
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict

#: How many (checklist, inventory) pairs :func:`verdicts_of` remembers (a run has one; tests have many).
_MEMO_SIZE = 8
_memo: dict[tuple[int, int], tuple[Checklist, Inventory, list[Verdict]]] = {}
_lock = threading.Lock()


def load_rules() -> list[BoundRule]:
    """Import every check module of ``mobius_gate.checks``; the rules they register, in module order."""
    for module in pkgutil.walk_packages(mobius_gate.checks.__path__, f"{mobius_gate.checks.__name__}."):
        importlib.import_module(module.name)
    prefix = f"{mobius_gate.checks.__name__}."
    return [bound for key, bound in RULES.items() if key.startswith(prefix)]


def judge_all(spec: Checklist, inv: Inventory) -> list[Verdict]:
    """Every registered rule judged over each of its subjects in ``spec``, with diagnoses."""
    return [bound.judge(subject, spec, inv) for bound in load_rules() for _, subject in bound.subjects(spec)]


def verdicts_of(spec: Checklist, inv: Inventory) -> list[Verdict]:
    """Every rule's verdict on ``inv`` without diagnoses: the facts a diagnosis is derived from (memoized)."""
    key = (id(spec), id(inv))
    with _lock:
        hit = _memo.get(key)
    if hit is not None and hit[0] is spec and hit[1] is inv:
        return hit[2]
    from mobius_gate.rules.pipeline import judge_subject

    verdicts = [
        judge_subject(bound, subject, spec, inv, diagnosed=False)
        for bound in load_rules()
        for _, subject in bound.subjects(spec)
    ]
    with _lock:
        while len(_memo) >= _MEMO_SIZE:
            _memo.pop(next(iter(_memo)))
        _memo[key] = (spec, inv, verdicts)
    return verdicts
