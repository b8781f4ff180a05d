"""Collect a project's inventory once: every section concurrently, faults retried, errors explained.

    from mobius_gate.collect import collect_inventory
    from mobius_gate.collect.target import Target
    inv = collect_inventory(Target("mobiusos-new", "us-central1", endpoint="http://127.0.0.1:8089"))

Sections come from :data:`mobius_gate.collect.registry.REGISTRY`. A section that
fails becomes ``disabled`` (its API is off) or ``unavailable`` (forbidden,
unauthenticated, retries exhausted, time budget spent) with a one-line cause;
:class:`~mobius_gate.collect.target.CredentialsMissing` propagates.

Importing this package is cheap: the collectors and the google-cloud clients they use
are imported by the first :func:`collect_inventory` call (or ``REGISTRY``/``Collector``
access), so a run that never collects (``--collect-only``, a replayed inventory, a
snapshot) never pays for them.
"""

from __future__ import annotations

import time
from concurrent.futures import wait
from functools import partial
from typing import TYPE_CHECKING, Any

from mobius_gate.collect.budget import in_daemon
from mobius_gate.collect.target import CollectOptions, CredentialsMissing, Target
from mobius_gate.inventory import SECTIONS, Inventory, Section
from mobius_gate.redact import redact

if TYPE_CHECKING:
    from mobius_gate.collect.calls import CallContext
    from mobius_gate.collect.registry import REGISTRY, Collector

__all__ = ["REGISTRY", "CollectOptions", "Collector", "CredentialsMissing", "Target", "collect_inventory"]


#: After the deadline, how long collectors get to turn their abandoned calls into sections.
GRACE_S = 1.0


def __getattr__(name: str) -> Any:
    """``REGISTRY`` and ``Collector`` on first use (they import every collector and its clients)."""
    if name in ("REGISTRY", "Collector"):
        from mobius_gate.collect import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: CollectOptions is frozen, so one shared default is safe.
DEFAULT_OPTIONS = CollectOptions()


def collect_inventory(
    target: Target, options: CollectOptions = DEFAULT_OPTIONS, sections: set[str] | None = None
) -> Inventory:
    """The inventory of ``target``; ``sections`` limits it (others are ``not_collected``)."""
    from mobius_gate.collect.calls import CallContext
    from mobius_gate.collect.clients import Clients, load_credentials
    from mobius_gate.collect.registry import REGISTRY

    known = set(SECTIONS)
    wanted = set(known if sections is None else sections)
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown inventory section(s): {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    runnable = {name: REGISTRY[name] for name in SECTIONS if name in wanted and name in REGISTRY}
    started = time.monotonic()
    deadline = started + options.timeout_s
    credentials = load_credentials(target) if any(c.needs_google for c in runnable.values()) else None
    clients = Clients(target, credentials) if credentials is not None else None
    ctx = CallContext(target, options, deadline, lambda: clients or Clients(target))
    try:
        results = _run_within(runnable, ctx, deadline)
    finally:
        if clients is not None:
            clients.close()
    for name, section in results.items():  # error texts may echo URLs or tokens: none enters the inventory
        results[name] = section.model_copy(update={"cause": redact(section.cause)})
    for name in SECTIONS:
        if name not in results:
            cause = "not requested" if name not in wanted else f"no collector for section {name!r}"
            results[name] = Section.not_collected(cause)
    source = f"emulator:{target.endpoint}" if target.is_emulator else "gcp"
    return Inventory.model_validate(
        {
            "project": target.project,
            "region": target.region,
            "source": source,
            **{name: section.model_dump() for name, section in results.items()},
        }
    )


def _run_within(runnable: dict[str, Collector], ctx: CallContext, deadline: float) -> dict[str, Section]:
    """Every collector on its own daemon thread; the ones still running at the deadline are abandoned.

    Each API call already ends by the deadline (:meth:`CallContext.call`); the
    short grace lets a collector turn that into its section. Whatever is still
    running then (a probe or a query dripping past its read timeouts) becomes
    ``unavailable`` and, being on a daemon thread, cannot keep the process alive.
    """
    futures = {
        name: in_daemon(partial(_collect_one, name, entry, ctx), f"collect-{name}") for name, entry in runnable.items()
    }
    wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()) + GRACE_S)
    results: dict[str, Section] = {}
    for name, future in futures.items():
        if future.done():
            results[name] = future.result()  # CredentialsMissing propagates
        else:
            from mobius_gate.collect.calls import budget_exhausted

            spent = budget_exhausted(ctx.options.timeout_s)
            results[name] = Section.unavailable(f"{runnable[name].what} not finished: {spent}")
    return results


def _collect_one(name: str, entry: Collector, ctx: CallContext) -> Section:
    """Run one collector; any failure becomes the section's status and cause."""
    from mobius_gate.collect.errors import section_for_error

    try:
        return entry.collect(ctx)
    except CredentialsMissing:
        raise
    except Exception as exc:  # every failure is reported on the section, never lost
        quota = ctx.quota_project() if entry.needs_google else None
        return section_for_error(exc, what=entry.what, api=entry.api or name, project=ctx.project, quota_project=quota)
