"""Section ``connectors``: Serverless VPC Access connectors in the region."""

from __future__ import annotations

from mobius_gate.collect.calls import CallContext, gapic_page
from mobius_gate.collect.normalize import connector_from_wire
from mobius_gate.inventory import Section, VpcConnector


def collect(ctx: CallContext) -> Section[VpcConnector]:
    client = ctx.clients.vpcaccess
    request = {"parent": f"projects/{ctx.project}/locations/{ctx.region}"}
    connectors = ctx.pages(gapic_page(client.list_connectors, request, "connectors"))
    return Section[VpcConnector](items=[connector_from_wire(c) for c in connectors])
