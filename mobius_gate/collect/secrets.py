"""Section ``secrets``: Secret Manager secrets, their versions and who may access them.

One list of secrets, then per secret one list of versions and one IAM policy
read (members holding ``roles/secretmanager.secretAccessor`` on the secret
itself; grants made at project level are read by :mod:`mobius_gate.collect.project_iam`).
The policy is read as version 3 (``options.requested_policy_version``): a lower version
hides conditional bindings behind renamed roles; conditional members are kept apart.
Secret *values* are never read. A failed per-secret read leaves that part unknown (None) and
is noted in the section's ``cause``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mobius_gate.collect.calls import CallContext, describe, gapic_page
from mobius_gate.collect.normalize import role_members, secret_from_wire
from mobius_gate.inventory import Secret, Section

ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"
#: The IAM policy version that returns conditional bindings as they are.
POLICY_VERSION = 3
_PARALLEL = 8

#: (versions, accessors, conditional accessors, errors) of one secret; an unreadable part is None.
Details = tuple[list[Any] | None, list[str] | None, list[str], list[str]]


def collect(ctx: CallContext) -> Section[Secret]:
    client = ctx.clients.secretmanager
    raw = ctx.pages(gapic_page(client.list_secrets, {"parent": f"projects/{ctx.project}"}, "secrets"))
    with ThreadPoolExecutor(max_workers=_PARALLEL, thread_name_prefix="secrets") as pool:
        details = list(pool.map(lambda s: _details(ctx, s.name), raw))
    failures = [err for (*_, errs) in details for err in errs]
    items = [secret_from_wire(s, *detail[:3]) for s, detail in zip(raw, details, strict=True)]
    cause = f"{len(failures)} per-secret read(s) failed ({failures[0]})" if failures else None
    return Section[Secret](items=items, cause=cause)


def _details(ctx: CallContext, name: str) -> Details:
    """(versions, accessor members, conditional accessor members, errors) of one secret."""
    client = ctx.clients.secretmanager
    errors: list[str] = []
    versions: list[Any] | None = None
    accessors: list[str] | None = None
    conditional: list[str] = []
    try:
        versions = ctx.pages(gapic_page(client.list_secret_versions, {"parent": name}, "versions"))
    except Exception as exc:  # recorded as unknown
        errors.append(f"versions of {name}: {describe(exc)}")
    try:
        request = {"resource": name, "options": {"requested_policy_version": POLICY_VERSION}}
        policy = ctx.call(lambda timeout: client.get_iam_policy(request=request, retry=None, timeout=timeout))
        accessors = role_members(policy, role=ACCESSOR_ROLE, conditional=False)
        conditional = role_members(policy, role=ACCESSOR_ROLE, conditional=True)
    except Exception as exc:  # recorded as unknown
        errors.append(f"IAM policy of {name}: {describe(exc)}")
    return versions, accessors, conditional, errors
