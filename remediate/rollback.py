"""The checklist's Rollback Plan: traffic back on the previous ready revision.

When SVC-READY or VER-HEALTH fails on a service whose latest revision is not ready (or not
healthy) and an older revision was ready, the change is ``update-traffic
--to-revisions=PREVIOUS=100`` with PREVIOUS the newest older ready revision of the service's
revisions list (collected with the services: ``Service.revisions``). SVC-READY's own fix
names it already (a leftover ``<previous-revision>`` is resolved here); for VER-HEALTH the
rollback is added here; ``--rollback=SERVICE`` asks for it directly. A service the plan
deploys or updates anyway is not rolled back (its new revision supersedes the failed one),
nor one whose traffic is pinned to an older revision already.

A rollback is never undone behind the operator's back: while a service's traffic is pinned to
an older revision, the "traffic to the latest revision" fix of SVC-READY stays manual (sending
traffic back to a revision that was rolled back from is a release decision).
"""

from __future__ import annotations

from mobius_gate.remediate.model import Change, ManualItem, Plan
from mobius_gate.remediate.order import STAGES

from mobius_gate.fixes import Step
from mobius_gate.inventory import Inventory, Service
from mobius_gate.revisions import PREVIOUS_REVISION, previous_ready
from mobius_gate.verdict import Verdict

#: The check whose failure on a service with an older ready revision adds a rollback (SVC-READY's fix has one).
UNHEALTHY = "VER-HEALTH"


def previous_of(inv: Inventory, service: str) -> str | None:
    """The revision a rollback of ``service`` sends traffic to, or None (none ready, or unknown)."""
    svc = inv.service(service)
    return previous_ready(svc.revisions, svc.latest_created_revision) if svc else None


def pinned_to(svc: Service | None) -> str | None:
    """The older revision ``svc``'s traffic is pinned to (a rollback in place), else None."""
    if svc is None or any(t.latest and t.percent for t in svc.traffic):
        return None
    pinned = [t.revision for t in svc.traffic if t.revision and t.percent and t.revision != svc.latest_created_revision]
    return pinned[0] if pinned else None


def _traffic(service: str, where: Step, revision: str) -> Step:
    return Step("run.traffic", service, where.project, where.region, {"to_revisions": {revision: 100}})


def _is_rollback(change: Change) -> bool:
    return change.step.operation == "run.traffic" and bool(change.step.params.get("to_revisions"))


def _to_latest(change: Change) -> bool:
    return change.step.operation == "run.traffic" and not change.step.params.get("to_revisions")


def add_rollbacks(plan: Plan, verdicts: list[Verdict], inv: Inventory, requested: tuple[str, ...], where: Step) -> None:
    """Resolve ``<previous-revision>``; add rollbacks for failing health/readiness and ``--rollback``."""
    for change in plan.changes:
        wanted = change.step.params.get("to_revisions") or {}
        previous = previous_of(inv, change.step.target)
        if change.step.operation == "run.traffic" and PREVIOUS_REVISION in wanted and previous:
            change.step = _traffic(change.step.target, change.step, previous)
        pinned = pinned_to(inv.service(change.step.target))
        if _to_latest(change) and pinned:
            change.state = "manual"
            change.why = (
                f"traffic is pinned to {pinned} (a rollback): sending it back to the latest revision is a "
                "release decision; run this once the latest revision is fixed"
            )
    touched = {c.step.target for c in plan.changes if c.step.operation in ("run.deploy", "run.update")}
    for verdict in verdicts:
        service = verdict.resource
        if verdict.status != "fail" or verdict.requirement != UNHEALTHY or service in touched:
            continue
        if pinned_to(inv.service(service)) is None:  # pinned: rolled back already
            _roll_back(plan, inv, service, (verdict.requirement, service), where)
    for service in requested:
        if previous_of(inv, service) is None:
            svc = inv.service(service)
            known = svc is not None and svc.revisions is not None
            why = "no previous ready revision to roll back to" if known else "its revisions could not be read"
            plan.manual.append(
                ManualItem([("ROLLBACK", service)], f"gcloud run revisions list --service={service}", why)
            )
            continue
        _roll_back(plan, inv, service, ("ROLLBACK", service), where, requested=True)


def _roll_back(
    plan: Plan, inv: Inventory, service: str, check: tuple[str, str], where: Step, *, requested: bool = False
) -> None:
    """One rollback change of ``service`` repairing ``check`` (joined to one already planned)."""
    previous = previous_of(inv, service)
    if previous is None:
        return
    for change in plan.changes:
        if change.step.target != service or change.step.operation != "run.traffic":
            continue
        if _is_rollback(change):
            if check not in change.checks:
                change.checks.append(check)
            return
        if not requested:  # the fix of SVC-READY (traffic to the latest) stands
            return
        if change.state == "planned":  # --rollback wins over "traffic to the latest"
            change.state, change.why = "manual", f"--rollback={service} sends traffic to {previous} instead"
    plan.changes.append(Change(_traffic(service, where, previous), [check], STAGES["run.traffic"]))
