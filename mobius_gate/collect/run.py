"""Section ``services``: Cloud Run services in the region.

Four views are combined:

1. Cloud Run v2 ``services.list`` — the service definitions (one paged list).
2. v2 ``services.getIamPolicy`` per service — members holding ``roles/run.invoker``, and
   allUsers/allAuthenticatedUsers on any other role (roles/run.admin also grants invoking).
3. v2 ``revisions.list`` of every service of the region at once (``services/-``) — each
   service's revisions newest first, for the Rollback Plan's previous ready revision.
4. Cloud Run v1 (Knative) ``GET /apis/serving.knative.dev/v1/namespaces/{project}/services``
   — the only view that tells CPU allocation: v2 omits ``cpuIdle: false``, so it
   cannot tell "always allocated" from "default"; v1 carries the
   ``run.googleapis.com/cpu-throttling`` annotation on the revision template.

A failed IAM read leaves that service's ``invoker_members`` unknown (None); a
failed v1 view leaves ``cpu_always_allocated`` as v2 says it (usually unknown); a
failed revisions list leaves every ``revisions`` unknown (None). Each is noted in the
section's ``cause``; only a failed v2 list fails the section, and so does a service
without a revision template (a malformed answer: judging it would pass SVC-DEPLOYED
on nothing).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mobius_gate.collect.calls import CallContext, describe, gapic_page
from mobius_gate.collect.normalize import (
    L_LOCATION,
    WireError,
    public_grants,
    role_members,
    service_from_v2,
    to_wire,
    with_knative_cpu,
)
from mobius_gate.inventory import Section, Service
from mobius_gate.revisions import Revision

_PARALLEL = 8


def collect(ctx: CallContext) -> Section[Service]:
    client = ctx.clients.run_services
    request = {"parent": f"projects/{ctx.project}/locations/{ctx.region}"}
    raw = ctx.pages(gapic_page(client.list_services, request, "services"))
    _require_templates(raw)
    names = [svc.name for svc in raw]
    notes: list[str] = []
    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="run-iam") as pool:
        v1_future = pool.submit(_knative_view, ctx)
        revisions_future = pool.submit(_revisions, ctx)
        policies = list(pool.map(lambda name: _invokers(ctx, name), names))
        knative, v1_error = v1_future.result()
        revisions, revisions_error = revisions_future.result()
    iam_errors = [policy for policy in policies if isinstance(policy, str)]
    if iam_errors:
        notes.append(
            f"roles/run.invoker unreadable for {len(iam_errors)} service(s) ({iam_errors[0]}): "
            "their public access is unknown"
        )
    if v1_error:
        notes.append(f"Cloud Run v1 view unavailable ({v1_error}): CPU allocation is unknown")
    if revisions_error:
        notes.append(f"Cloud Run revisions unreadable ({revisions_error}): the previous ready revision is unknown")
    services = []
    for message, policy in zip(raw, policies, strict=True):
        members, grants = (None, {}) if isinstance(policy, str) else policy
        service = service_from_v2(message, members, grants)
        if knative is not None:
            service = with_knative_cpu(service, knative.get(service.name))
        if revisions is not None:
            service = service.model_copy(update={"revisions": revisions.get(str(message.name), [])})
        services.append(service)
    return Section[Service](items=services, cause="; ".join(notes) or None)


def _require_templates(raw: list[Any]) -> None:
    """A service without a revision template is a malformed answer: the section is unreadable, not conformant."""
    missing = [str(svc.name) for svc in raw if not to_wire(svc).get("template")]
    if missing:
        raise WireError(f"Cloud Run returned {len(missing)} service(s) without a revision template: {missing[0]}")


def _invokers(ctx: CallContext, name: str) -> tuple[list[str], dict[str, list[str]]] | str:
    """(members holding roles/run.invoker, public members of other roles), or a one-line error."""
    client = ctx.clients.run_services
    try:
        policy = ctx.call(
            lambda timeout: client.get_iam_policy(request={"resource": name}, retry=None, timeout=timeout)
        )
    except Exception as exc:  # a failed read is recorded as unknown, not raised
        return describe(exc)
    return role_members(policy), public_grants(policy)


def _knative_view(ctx: CallContext) -> tuple[dict[str, dict[str, Any]] | None, str | None]:
    """Knative services of the region by name, or (None, error)."""
    api = ctx.clients.run_v1
    path = f"/apis/serving.knative.dev/v1/namespaces/{ctx.project}/services"

    def fetch(token: str, timeout: float) -> tuple[list[dict[str, Any]], str | None]:
        data = api.get(path, params={"continue": token} if token else None, timeout=timeout)
        return list(data.get("items") or []), (data.get("metadata") or {}).get("continue") or None

    try:
        items = ctx.pages(fetch)
    except Exception as exc:  # the v1 view only refines the v2 data
        return None, describe(exc)
    by_name: dict[str, dict[str, Any]] = {}
    for item in items:
        meta = item.get("metadata") or {}
        location = (meta.get("labels") or {}).get(L_LOCATION)
        if meta.get("name") and location in (None, ctx.region):
            by_name[meta["name"]] = item
    return by_name, None


def _revisions(ctx: CallContext) -> tuple[dict[str, list[Revision]] | None, str | None]:
    """Revisions of every service of the region by the service's full name, newest first; or (None, error)."""
    client = ctx.clients.run_revisions
    request = {"parent": f"projects/{ctx.project}/locations/{ctx.region}/services/-"}
    try:
        raw = ctx.pages(gapic_page(client.list_revisions, request, "revisions"))
    except Exception as exc:  # only the rollback target depends on it
        return None, describe(exc)
    by_service: dict[str, list[dict[str, Any]]] = {}
    for message in raw:
        wire = to_wire(message)
        by_service.setdefault(str(wire.get("service") or ""), []).append(wire)
    return {
        name: [_revision(r) for r in sorted(revs, key=_age, reverse=True)] for name, revs in by_service.items()
    }, None


def _age(revision: dict[str, Any]) -> tuple[str, int]:
    """Creation time, then the generation in the name (``svc-00002-abc``): the newest sorts last."""
    parts = str(revision.get("name", "")).rsplit("/", 1)[-1].rsplit("-", 2)
    generation = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
    return str(revision.get("createTime") or ""), generation


def _revision(revision: dict[str, Any]) -> Revision:
    ready = next((c for c in revision.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = (ready or {}).get("state")
    return Revision(
        name=str(revision.get("name", "")).rsplit("/", 1)[-1],
        ready=True if state == "CONDITION_SUCCEEDED" else False if state == "CONDITION_FAILED" else None,
        create_time=revision.get("createTime") or None,
    )
