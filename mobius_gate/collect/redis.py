"""Section ``redis_instances``: Memorystore for Redis instances in the region."""

from __future__ import annotations

from mobius_gate.collect.calls import CallContext, gapic_page
from mobius_gate.collect.normalize import redis_from_wire
from mobius_gate.inventory import RedisInstance, Section


def collect(ctx: CallContext) -> Section[RedisInstance]:
    client = ctx.clients.redis
    request = {"parent": f"projects/{ctx.project}/locations/{ctx.region}"}
    instances = ctx.pages(gapic_page(client.list_instances, request, "instances"))
    return Section[RedisInstance](items=[redis_from_wire(i) for i in instances])
