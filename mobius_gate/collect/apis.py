"""Section ``apis``: the project's enabled APIs (Service Usage, ``filter=state:ENABLED``)."""

from __future__ import annotations

from mobius_gate.collect.calls import CallContext, gapic_page
from mobius_gate.collect.normalize import api_name_from_wire
from mobius_gate.inventory import Section


def collect(ctx: CallContext) -> Section[str]:
    client = ctx.clients.service_usage
    request = {"parent": f"projects/{ctx.project}", "filter": "state:ENABLED", "page_size": 200}
    services = ctx.pages(gapic_page(client.list_services, request, "services"))
    return Section[str](items=sorted({api_name_from_wire(s) for s in services} - {""}))
