"""Section ``project_iam``: who holds secret access on the whole project.

One ``projects.getIamPolicy`` (Cloud Resource Manager v3, policy version 3 so
conditional bindings show their condition). Only the bindings of
:data:`~mobius_gate.inventory.SECRET_ACCESS_ROLES` are kept: they are what
INF-SECRET needs besides each secret's own policy. A policy that cannot be read
— including because the Cloud Resource Manager API is off, which says nothing
about the bindings — leaves the section ``unavailable``.
"""

from __future__ import annotations

from typing import Any

from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.errors import disabled_service, foreign_consumer
from mobius_gate.inventory import SECRET_ACCESS_ROLES, IamBinding, Section

SERVICE = "cloudresourcemanager.googleapis.com"
#: Version 3 is the one that returns conditional role bindings with their condition.
POLICY_VERSION = 3


def collect(ctx: CallContext) -> Section[IamBinding]:
    client = ctx.clients.projects
    request = {"resource": f"projects/{ctx.project}", "options": {"requested_policy_version": POLICY_VERSION}}
    try:
        policy = ctx.call(lambda timeout: client.get_iam_policy(request=request, retry=None, timeout=timeout))
    except Exception as exc:
        if disabled_service(exc) is None or foreign_consumer(exc, ctx.project, ctx.quota_project()) is not None:
            raise  # collect_inventory turns it into the section's status and cause
        # A disabled API says nothing about the bindings: unknown, never "none".
        return Section[IamBinding].unavailable(
            f"cannot read the project IAM policy: {SERVICE} is disabled in project {ctx.project} "
            f"(gcloud services enable {SERVICE} --project={ctx.project})"
        )
    return Section[IamBinding](items=bindings_of(policy))


def bindings_of(policy: Any) -> list[IamBinding]:
    """The secret-access bindings of a ``google.iam.v1.Policy``, roles and members sorted."""
    out = []
    for binding in policy.bindings:
        if binding.role not in SECRET_ACCESS_ROLES:
            continue
        condition = None
        if binding.HasField("condition"):
            condition = binding.condition.title or binding.condition.expression or "(untitled condition)"
        out.append(IamBinding(role=binding.role, members=sorted(set(binding.members)), condition=condition))
    return sorted(out, key=lambda b: (b.role, b.condition or ""))
