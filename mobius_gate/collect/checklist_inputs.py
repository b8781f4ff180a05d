"""What the Phase 2/4 collectors need besides the API: the checklist and the deployed services.

``database``, ``vector_neighbors``, ``health`` and ``log_entries`` are driven by
checklist.yaml (which databases, which health paths, which log lines) and, for
the last three, by the deployed services (URIs, env, latest revisions). Both
are computed at most once per collection and shared through the
:class:`~mobius_gate.collect.calls.CallContext`:

* the checklist: ``ctx.options.spec`` when the plugin passes the resolved one,
  else the repository's checklist.yaml resolved for the target;
* the services: :func:`mobius_gate.collect.run.collect` run once and shared by
  all three (and by the ``services`` section itself when its registry entry
  is :func:`services_of`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from mobius_gate.collect import run
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.errors import section_for_error
from mobius_gate.inventory import Section, Service
from mobius_gate.spec import Checklist, load_checklist

T = TypeVar("T")
_LOCK = threading.Lock()
_ATTR = "_mobius_shared"


def once(ctx: CallContext, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` at most once per collection (per ``ctx``), whichever collector asks first."""
    with _LOCK:
        shared: dict[str, Any] = ctx.__dict__.setdefault(_ATTR, {})
        slot = shared.setdefault(key, {"lock": threading.Lock()})
    with slot["lock"]:
        if "value" not in slot:
            slot["value"] = compute()
        return slot["value"]


def checklist_of(ctx: CallContext) -> Checklist:
    """The resolved checklist for this collection."""
    spec = getattr(ctx.options, "spec", None)
    if spec is not None:
        return spec
    return once(ctx, "checklist", lambda: load_checklist().resolve(ctx.project, ctx.region))


def services_of(ctx: CallContext) -> Section[Service]:
    """The ``services`` section, collected at most once per collection and shared.

    The registry's ``services`` entry may use this very function, so that the
    dependent sections reuse its result instead of listing again.
    """

    def collect_services() -> Section[Service]:
        try:
            return run.collect(ctx)
        except Exception as exc:  # recorded as the section's (and the dependents') cause
            return section_for_error(
                exc,
                what="listing Cloud Run services",
                api="run.googleapis.com",
                project=ctx.project,
                quota_project=ctx.quota_project(),
            )

    return once(ctx, "services", collect_services)
