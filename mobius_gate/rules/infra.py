"""What the Phase 1 rules share: absent resources behind a disabled API, and the fixes that enable it."""

from __future__ import annotations

from mobius_gate.fixes import Fix, Where, enable_api
from mobius_gate.inventory import Inventory, Section
from mobius_gate.rules.common import section_cause

REDIS_API = "redis.googleapis.com"
VPCACCESS_API = "vpcaccess.googleapis.com"
SECRETMANAGER_API = "secretmanager.googleapis.com"


def api_missing(inv: Inventory, api: str) -> bool:
    """True only when the API list was read and ``api`` is not on it."""
    return inv.apis.judgeable and api not in inv.apis.items


def with_enable(fix: Fix, inv: Inventory, api: str, section: Section) -> Fix:
    """Prefix ``gcloud services enable API`` when the API is known to be off."""
    if section.status != "disabled" and not api_missing(inv, api):
        return fix
    enable = enable_api(api, Where(inv.project, inv.region))
    return Fix(fix.requirement, fix.resource, (*enable.steps, *fix.steps), fix.note)


def absent_reason(kind: str, section: Section, api: str, project: str) -> str:
    """``instance does not exist``, with the disabled API as its cause when that is why."""
    if section.status == "disabled":
        cause = section_cause(section, "") or f"{api} is disabled in project {project}"
        return f"{kind} does not exist ({cause})"
    return f"{kind} does not exist"


def upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None
