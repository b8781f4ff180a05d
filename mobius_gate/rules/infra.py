"""What the Phase 1 rules share: absent resources behind a disabled API, the fixes that enable it,
the network's project (Shared VPC) and Redis AUTH."""

from __future__ import annotations

from mobius_gate.fixes import Fix, Step, Where, enable_api
from mobius_gate.inventory import Inventory, RedisInstance, Section
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.rules.values import parse_redis_url
from mobius_gate.spec import Checklist

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


def network_path(project: str, network: str | None) -> str:
    return f"projects/{project}/global/networks/{network}"


def judge_network_project(found: Findings, label: str, owner: str | None, network: str | None, project: str) -> None:
    """The network is this project's, as the checklist's ``--network=default`` means.

    ``owner`` is the project of the resource's full network path (None: a short name, i.e. this
    project). A Shared VPC host's ``default`` is another network: a deviation. A project number
    cannot be told from this project's id (the gate does not read the number): cannot confirm.
    """
    if owner is None or owner == project:
        return
    if owner.isdigit():
        found.cannot_confirm(
            f"the project of {label} ({network_path(owner, network)}: a project number, not {project})"
        )
        return
    found.deviate(label, network_path(project, network), f"{network_path(owner, network)} (another project)")


def auth_clients(inv: Inventory, spec: Checklist) -> tuple[list[str], list[str]]:
    """(services whose plain REDIS_URL carries no password, services whose REDIS_URL is a secret)."""
    bare: list[str] = []
    hidden: list[str] = []
    for svc in spec.services:
        deployed = inv.service(svc.name) if svc.uses_redis else None
        var = deployed.env_value("REDIS_URL") if deployed else None
        if var is None:
            continue
        if var.secret_ref is not None:
            hidden.append(svc.name)
            continue
        url = parse_redis_url(var.value, spec.redis.port)
        if url is None or not url.password:
            bare.append(svc.name)
    return bare, hidden


def judge_auth(found: Findings, instance: RedisInstance, inv: Inventory, spec: Checklist) -> None:
    """Redis AUTH on, while the checklist's create has no ``--enable-auth`` and its URL no password.

    Clients whose REDIS_URL has no password get ``NOAUTH``: a deviation. When every client's
    URL carries one it works; a URL kept in Secret Manager cannot be told (never read).
    """
    if not instance.auth_enabled:
        return
    bare, hidden = auth_clients(inv, spec)
    if bare:
        found.deviate(
            "auth_enabled",
            "false (the checklist creates it without --enable-auth)",
            f"true, and the REDIS_URL of {', '.join(bare)} has no password, so its clients get NOAUTH errors",
        )
    elif hidden:
        found.cannot_confirm(f"that the REDIS_URL of {', '.join(hidden)} carries the AUTH string (in Secret Manager)")


def manual_redis_fix(spec: Checklist, where: Where, labels: list[str]) -> Fix | None:
    """The fix for a Redis on another project's network or with AUTH on: no automatic delete."""
    name, region = spec.redis.name, spec.redis.region
    notes = []
    if "network_project" in labels:
        notes.append(
            f"{name} is on another project's network: recreate it by hand on "
            f"{network_path(where.project, spec.redis.network)} (gcloud redis instances delete, then create "
            f"--network={spec.redis.network}) after draining its queue; the gate never deletes it"
        )
    if "auth_enabled" in labels:
        notes.append(
            "put the AUTH string in every REDIS_URL, or turn Redis AUTH off with "
            f"gcloud redis instances update {name} --region={region} --project={where.project} --no-enable-auth"
        )
    if not notes:
        return None
    return Fix("INF-REDIS", name, (Step("redis.describe", name, where.project, region),), "; ".join(notes))
