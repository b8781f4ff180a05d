"""Judge every rule in-process, without pytest: for reports, remediation and fast tests.

    from mobius_gate.engine import judge_all
    verdicts = judge_all(spec, inventory)

Each verdict is the one the gate reports for that (requirement, resource):
section guard, not deployed, the pure rule, redaction and diagnosis
(:meth:`mobius_gate.requirements.BoundRule.judge`).
"""

from __future__ import annotations

import importlib
import pkgutil

import mobius_gate.checks
from mobius_gate.inventory import Inventory
from mobius_gate.requirements import RULES, BoundRule
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict


def load_rules() -> list[BoundRule]:
    """Import every check module of ``mobius_gate.checks``; the rules they register, in module order."""
    for module in pkgutil.walk_packages(mobius_gate.checks.__path__, f"{mobius_gate.checks.__name__}."):
        importlib.import_module(module.name)
    prefix = f"{mobius_gate.checks.__name__}."
    return [bound for key, bound in RULES.items() if key.startswith(prefix)]


def judge_all(spec: Checklist, inv: Inventory) -> list[Verdict]:
    """Every registered rule judged over each of its subjects in ``spec``, with diagnoses."""
    return [bound.judge(subject, spec, inv) for bound in load_rules() for _, subject in bound.subjects(spec)]
