"""Cloud Run v2 actions: deploy, update, traffic, invoker IAM (each update carries the etag it read)."""

from __future__ import annotations

import json
from typing import Any

from google.cloud import run_v2
from google.iam.v1 import policy_pb2
from mobius_gate.remediate.actions.base import ApplyContext, Outcome, action, exists
from mobius_gate.remediate.actions.template import apply_flags

from mobius_gate.collect.normalize import to_wire
from mobius_gate.fixes import RUN_INVOKER, Step

_SERVICE_FIELDS = ("template", "ingress", "traffic")


def _name(ctx: ApplyContext, step: Step) -> str:
    return f"projects/{step.project}/locations/{step.region or ctx.region}/services/{step.target}"


def _read(ctx: ApplyContext, name: str) -> dict[str, Any] | None:
    found = exists(lambda: ctx.call(ctx.clients.run_services.get_service, name=name))
    return to_wire(found) if found is not None else None


def _message(body: dict[str, Any]) -> run_v2.Service:
    return run_v2.Service.from_json(json.dumps(body), ignore_unknown_fields=True)


def _update(ctx: ApplyContext, before: dict[str, Any], after: dict[str, Any]) -> Outcome:
    """Write ``after`` if it differs from ``before`` in what a caller sets, with ``before``'s etag."""
    if all(before.get(k) == after.get(k) for k in _SERVICE_FIELDS):
        return Outcome(False, note="already as wanted")
    body = {**after, "etag": before.get("etag", "")}
    return ctx.change(ctx.clients.run_services.update_service, service=_message(body))


@action("run.deploy", "services", "run.services.create", "run.services.setIamPolicy", "iam.serviceAccounts.actAs")
def deploy(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud run deploy`` for a service that does not exist (an existing one is left as it is)."""
    name = _name(ctx, step)

    def attempt() -> Outcome:
        if _read(ctx, name) is not None:
            return Outcome(False, note="exists already: judged by the update checks")
        params = {k: v for k, v in step.params.items() if k != "allow_unauthenticated"}
        body = apply_flags({"template": {"containers": [{}]}}, params, ctx, step, new=True)
        parent = name.rsplit("/services/", 1)[0]
        return ctx.change(
            ctx.clients.run_services.create_service, parent=parent, service=_message(body), service_id=step.target
        )

    outcome = ctx.once_more_on_conflict(attempt, f"deploy {step.target}")
    if step.params.get("allow_unauthenticated"):
        _invoker(ctx, name, "allUsers", add=True)
    return outcome


@action("run.update", "services", "run.services.update", "iam.serviceAccounts.actAs")
def update(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud run services update`` (a new revision), against the service as read now."""
    name = _name(ctx, step)
    params = dict(step.params)
    public = params.pop("allow_unauthenticated", None)

    def attempt() -> Outcome:
        before = _read(ctx, name)
        if before is None:
            raise LookupError(f"service {step.target} does not exist (deploy it first)")
        return _update(ctx, before, apply_flags(json.loads(json.dumps(before)), params, ctx, step, new=False))

    outcome = ctx.once_more_on_conflict(attempt, f"update {step.target}")
    if public is not None:
        changed = _invoker(ctx, name, "allUsers", add=bool(public))
        outcome = Outcome(outcome.changed or changed, outcome.operation, outcome.note)
    return outcome


@action("run.traffic", "services", "run.services.update")
def traffic(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud run services update-traffic``: to named revisions (rollback) or to the latest."""
    name = _name(ctx, step)
    wanted = step.params.get("to_revisions")
    if wanted:
        targets = [
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": rev, "percent": int(pct)}
            for rev, pct in wanted.items()
        ]
    else:
        targets = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}]

    def attempt() -> Outcome:
        before = _read(ctx, name)
        if before is None:
            raise LookupError(f"service {step.target} does not exist")
        return _update(ctx, before, {**before, "traffic": targets})

    return ctx.once_more_on_conflict(attempt, f"traffic of {step.target}")


def _invoker(ctx: ApplyContext, name: str, member: str, *, add: bool, role: str = RUN_INVOKER) -> bool:
    """Add or remove ``member`` on ``role`` (read-modify-write with the policy's etag); whether it wrote."""
    client = ctx.clients.run_services

    def attempt() -> Outcome:
        policy = ctx.call(client.get_iam_policy, resource=name)
        if not edit_binding(policy, role, member, add=add):
            return Outcome(False)
        ctx.call(client.set_iam_policy, resource=name, policy=policy)
        return Outcome(True)

    return ctx.once_more_on_conflict(attempt, f"IAM policy of {name.rsplit('/', 1)[-1]}").changed


def edit_binding(policy: policy_pb2.Policy, role: str, member: str, *, add: bool) -> bool:
    """Add/remove ``member`` on ``role`` in ``policy`` (its etag kept); whether anything changed."""
    binding = next((b for b in policy.bindings if b.role == role and not b.condition.expression), None)
    if add:
        if binding is not None and member in binding.members:
            return False
        if binding is None:
            binding = policy.bindings.add(role=role)
        binding.members.append(member)
        return True
    if binding is None or member not in binding.members:
        return False
    binding.members.remove(member)
    return True


@action("run.iam.add", "services", "run.services.setIamPolicy")
def iam_add(ctx: ApplyContext, step: Step) -> Outcome:
    role = step.params.get("role", RUN_INVOKER)
    return Outcome(_invoker(ctx, _name(ctx, step), step.params["member"], add=True, role=role))


@action("run.iam.remove", "services", "run.services.setIamPolicy")
def iam_remove(ctx: ApplyContext, step: Step) -> Outcome:
    role = step.params.get("role", RUN_INVOKER)
    return Outcome(_invoker(ctx, _name(ctx, step), step.params["member"], add=False, role=role))
