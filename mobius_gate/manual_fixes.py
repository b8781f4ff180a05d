"""Fixes a human takes: reading a service's state or logs (Phase 4), and secrets the gate never reads.

The reading steps are manual (:attr:`mobius_gate.fixes.Step.is_manual`): read-only
operations, or a secret's value only a human may look at. They are still
:class:`~mobius_gate.fixes.Fix` steps, so they render as gcloud, round-trip as JSON
and are checked against :data:`mobius_gate.fixes.REQUIREMENT_OPERATIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from mobius_gate.fixes import Fix, Step, Where, secret_to_plain
from mobius_gate.spec import ServiceSpec


def inspect_service(requirement: str, resource: str, service: str, where: Where, note: str | None = None) -> Fix:
    """``gcloud run services describe``: read a service's conditions (a human step)."""
    return Fix(requirement, resource, (Step("run.describe", service, where.project, where.region),), note)


def read_logs(requirement: str, resource: str, services: Iterable[str], where: Where, note: str | None = None) -> Fix:
    """``gcloud run services logs read`` for each service, in order (a human step)."""
    steps = tuple(Step("run.logs.read", name, where.project, where.region) for name in services)
    return Fix(requirement, resource, steps, note)


def confirm_secret_or_plain(
    requirement: str, svc: ServiceSpec, where: Where, env_name: str, secret: str, value: str, why: str
) -> Fix:
    """An env var from a secret the gate never reads: look at it by hand, or set the (non-credential) value plainly.

    The first step is a human's (the gate never reads secret values); the others are
    :func:`secret_to_plain`, which sets the value the checklist wants whatever the secret holds.
    """
    look = Step(
        "secrets.versions.access",
        secret,
        where.project,
        None,
        {"version": "latest"},
        manual=f"the gate never reads secret values: confirm by hand that {secret} holds {value}",
    )
    plain = secret_to_plain(requirement, svc, where, env_name, value)
    note = (
        f"the gate never reads secret values: confirm by hand with the first command that {secret} holds "
        f"{value}, or set it plainly with the others ({why})"
    )
    return Fix(requirement, svc.name, (look, *plain.steps), note)
