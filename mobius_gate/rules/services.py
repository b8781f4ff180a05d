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


def connector_parts(path: str) -> tuple[str | None, str | None, str]:
    """``projects/P/locations/R/connectors/N`` → (P, R, N); a short name → (None, None, name)."""
    parts = path.strip("/").split("/")
    if len(parts) == 6 and (parts[0], parts[2], parts[4]) == ("projects", "locations", "connectors"):
        return parts[1], parts[3], parts[5]
    return None, None, parts[-1]


def connector_deviation(path: str | None, name: str | None, want: tuple[str, str, str]) -> tuple[str, bool] | None:
    """How a service's connector differs from ``want`` = (project, region, name): (what differs, known).

    A short name resolves in the service's own project and region. A project given by
    number cannot be compared with a project id: ``known`` is then False (cannot confirm).
    None when project, region and name all match.
    """
    project, region, short = connector_parts(path or name or "")
    if short != want[2]:
        return f"name {short}, not {want[2]}", True
    if region is not None and region != want[1]:
        return f"region {region}, not {want[1]}", True
    if project is not None and project != want[0]:
        if project.isdigit() and not want[0].isdigit():
            return f"project number {project}, which cannot be compared with {want[0]}", False
        return f"project {project}, not {want[0]}", True
    return None
