"""Section ``sql_instances``: Cloud SQL instances (Cloud SQL Admin v1 over httpx).

``GET /v1/projects/{project}/instances`` (``pageToken`` / ``nextPageToken``)
lists every instance of the project (Cloud SQL has no regional list); each
carries its connection name, state, public IP switch
(``settings.ipConfiguration.ipv4Enabled``) and private network.

The list answer may carry ``warnings``: ``REGION_UNREACHABLE`` means "the
returned result set may be incomplete". For the target region (or no region
named) the list cannot be trusted, so the section is ``unavailable``; for
another region it is kept, with a note in ``cause``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.normalize import sql_from_wire
from mobius_gate.inventory import Section, SqlInstance

REGION_UNREACHABLE = "REGION_UNREACHABLE"


def unreachable_regions(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Regions a list answer's ``warnings`` say were not reached (``""`` when none is named)."""
    return sorted({str(w.get("region") or "") for w in warnings if w.get("code") == REGION_UNREACHABLE})


def sql_section(items: list[SqlInstance], warnings: Sequence[Mapping[str, Any]], region: str) -> Section[SqlInstance]:
    """The section for the listed ``items`` given the answer's ``warnings``."""
    unreached = unreachable_regions(warnings)
    if "" in unreached or region in unreached:
        where = region if region in unreached else "a region"
        return Section[SqlInstance].unavailable(
            f"Cloud SQL could not reach {where} while listing instances: the list may be incomplete (retry later)"
        )
    if unreached:
        note = f"Cloud SQL could not reach {', '.join(unreached)}: instances there are missing from the list"
        return Section[SqlInstance](items=items, cause=note)
    return Section[SqlInstance](items=items)


def collect(ctx: CallContext) -> Section[SqlInstance]:
    api = ctx.clients.sqladmin
    path = f"/v1/projects/{ctx.project}/instances"
    warnings: list[Mapping[str, Any]] = []

    def fetch(token: str, timeout: float) -> tuple[list[dict[str, Any]], str | None]:
        data = api.get(path, params={"pageToken": token} if token else None, timeout=timeout)
        warnings.extend(w for w in data.get("warnings") or [] if isinstance(w, Mapping))
        return list(data.get("items") or []), data.get("nextPageToken") or None

    items = [sql_from_wire(i) for i in ctx.pages(fetch)]
    return sql_section(items, warnings, ctx.region)
