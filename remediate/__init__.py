"""Remediation: the structured fixes of failing checks, planned in dependency order and applied.

``--remediate=plan`` shows the changes (field-level before/after and the gcloud equivalent)
without writing; ``--remediate=apply`` makes them through the official clients (REST), waits
for each long-running operation, re-collects what changed and lets the checks re-judge it.
Never deletes; at most ``--max-changes`` writes; every write audited. See ``README.md``.

    from mobius_gate.remediate.planner import build_plan
    plan = build_plan(verdicts, spec, inventory)
"""
