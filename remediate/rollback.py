"""The checklist's Rollback Plan: traffic back on the previous ready revision.

When SVC-READY or VER-HEALTH fails on a service whose latest revision is not ready (or not
healthy) and an older revision was ready, the change is ``update-traffic
--to-revisions=PREVIOUS=100`` with PREVIOUS read from the service's revisions list;
``--rollback=SERVICE`` asks for it directly. A service the plan deploys or updates anyway is
not rolled back (its new revision supersedes the failed one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mobius_gate.remediate.model import Change, ManualItem, Plan
from mobius_gate.remediate.order import STAGES

from mobius_gate.collect.normalize import to_wire
from mobius_gate.fixes import Step
from mobius_gate.verdict import Verdict

PREVIOUS = "<previous-revision>"
#: ``revisions(service) -> (latest, latest is ready, previous ready or None)``; None when not readable.
Reader = Callable[[str], tuple[str, bool, str | None] | None]


def _ready(revision: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("state") == "CONDITION_SUCCEEDED" for c in revision.get("conditions") or []
    )


def _order(revision: dict[str, Any]) -> tuple[str, int]:
    generation = (revision.get("labels") or {}).get("serving.knative.dev/generation", "0")
    return revision.get("createTime", ""), int(generation) if str(generation).isdigit() else 0


def revisions_reader(ctx: Any) -> Reader:
    """A reader over the Run v2 revisions list (a read; allowed in plan mode)."""

    def read(service: str) -> tuple[str, bool, str | None] | None:
        parent = f"projects/{ctx.project}/locations/{ctx.region}/services/{service}"
        try:
            pager = ctx.call(ctx.clients.run_revisions.list_revisions, parent=parent)
            revisions = sorted((to_wire(r) for r in pager), key=_order, reverse=True)
        except Exception:  # unreadable: no rollback is proposed
            return None
        if not revisions:
            return None
        latest = revisions[0]
        previous = next((r for r in revisions[1:] if _ready(r)), None)
        short = lambda r: r["name"].rsplit("/", 1)[-1]  # noqa: E731
        return short(latest), _ready(latest), short(previous) if previous else None

    return read


def _traffic(service: str, where: Step, revision: str) -> Step:
    return Step("run.traffic", service, where.project, where.region, {"to_revisions": {revision: 100}})


def add_rollbacks(
    plan: Plan, verdicts: list[Verdict], read: Reader | None, requested: tuple[str, ...], where: Step
) -> None:
    """Resolve ``<previous-revision>``; add rollbacks for failing health/readiness and for ``--rollback``."""
    touched = {c.step.target for c in plan.changes if c.step.operation in ("run.deploy", "run.update")}
    for change in plan.changes:
        wanted = change.step.params.get("to_revisions") or {}
        if change.step.operation == "run.traffic" and PREVIOUS in wanted:
            found = read(change.step.target) if read else None
            if found and found[2]:
                change.step = _traffic(change.step.target, change.step, found[2])
    planned = {c.step.target for c in plan.changes if c.step.operation == "run.traffic"}
    failing = [v for v in verdicts if v.status == "fail" and v.requirement in ("VER-HEALTH", "SVC-READY")]
    for verdict in failing:
        service = verdict.resource
        if service in planned:  # the same rollback repairs this check too
            for change in plan.changes:
                check = (verdict.requirement, service)
                if (
                    change.step.operation == "run.traffic"
                    and change.step.target == service
                    and check not in change.checks
                ):
                    change.checks.append(check)
            continue
        if service in touched or read is None:
            continue
        found = read(service)
        if found and found[2] and found[0] != found[2]:
            plan.changes.append(
                Change(_traffic(service, where, found[2]), [(verdict.requirement, service)], STAGES["run.traffic"])
            )
            planned.add(service)
    for service in requested:
        found = read(service) if read else None
        if not found or not found[2]:
            why = "no previous ready revision to roll back to" if found else "its revisions could not be read"
            plan.manual.append(
                ManualItem([("ROLLBACK", service)], f"gcloud run revisions list --service={service}", why)
            )
            continue
        if service not in planned:
            plan.changes.append(
                Change(_traffic(service, where, found[2]), [("ROLLBACK", service)], STAGES["run.traffic"])
            )
