"""What the Phase 3 rules share: the lessons table's section, the Redis address, snapshot sources."""

from __future__ import annotations

from mobius_gate.inventory import Inventory
from mobius_gate.rules.common import LESSONS
from mobius_gate.spec import Checklist, ServiceSpec


def lessons(svc: ServiceSpec, spec: Checklist) -> str:
    """The section of a rule from "Critical Configuration Lessons" for a service's deploy line."""
    return f"{LESSONS}; {svc.section}"


def is_snapshot(inv: Inventory) -> bool:
    """Exported service definitions (pre-deploy gate): no runtime status, no IAM policy."""
    return inv.source.startswith("snapshot:")


def instance_address(spec: Checklist, inv: Inventory) -> str | None:
    """``host:port`` of the checklist's Memorystore instance, when collected."""
    instance = inv.redis_instance(spec.redis.name) if inv.redis_instances.ok else None
    if instance is None or not instance.host:
        return None
    return f"{instance.host}:{instance.port or spec.redis.port}"
