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
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from mobius_gate.collect.target import CollectOptions, CredentialsMissing, Target
from mobius_gate.inventory import SECTIONS, Inventory, Section

if TYPE_CHECKING:
    from mobius_gate.collect.calls import CallContext
    from mobius_gate.collect.registry import REGISTRY, Collector

__all__ = ["REGISTRY", "CollectOptions", "Collector", "CredentialsMissing", "Target", "collect_inventory"]


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
    results: dict[str, Section] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(runnable)), thread_name_prefix="collect")
    try:
        futures = {pool.submit(_collect_one, name, entry, ctx): name for name, entry in runnable.items()}
        done, pending = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        for future in done:
            results[futures[future]] = future.result()
        for future in pending:
            name = futures[future]
            results[name] = Section.unavailable(
                f"{runnable[name].what} not finished within the {options.timeout_s:g} s time budget"
            )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if clients is not None:
            clients.close()
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
