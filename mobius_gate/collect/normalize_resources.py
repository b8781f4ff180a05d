"""Wire → inventory models for the resources other than Cloud Run services.

Memorystore instances, VPC Access connectors, Secret Manager secrets, Service Usage
services, Cloud SQL instances and IAM policies. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mobius_gate.collect.wire_values import as_int, path_segment, short_name, to_wire
from mobius_gate.inventory import RedisInstance, Secret, SecretVersion, SqlInstance, VpcConnector


def role_members(policy: Any, role: str = "roles/run.invoker", conditional: bool | None = None) -> list[str]:
    """Members bound to ``role`` in an IAM policy (message or JSON dict).

    ``conditional`` None: every binding; False: unconditional ones only; True: only those with an
    IAM condition (a conditional grant may not hold: expired, other resource; never a plain one).
    """
    data = to_wire(policy)
    return sorted(
        {
            m
            for b in data.get("bindings") or []
            if b.get("role") == role and conditional in (None, bool(b.get("condition")))
            for m in b.get("members") or []
        }
    )


#: Members that make whatever role they hold public.
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def public_grants(policy: Any, skip: str = "roles/run.invoker") -> dict[str, list[str]]:
    """allUsers / allAuthenticatedUsers per role of an IAM policy, except on ``skip`` (read as members)."""
    grants: dict[str, set[str]] = {}
    for binding in to_wire(policy).get("bindings") or []:
        role = binding.get("role") or ""
        public = [m for m in binding.get("members") or [] if m in PUBLIC_MEMBERS]
        if role != skip and public:
            grants.setdefault(role, set()).update(public)
    return {role: sorted(members) for role, members in sorted(grants.items())}


def redis_from_wire(data: Any) -> RedisInstance:
    """A Memorystore v1 ``Instance`` → :class:`RedisInstance`."""
    inst = to_wire(data)
    name = inst.get("name") or ""
    return RedisInstance(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        state=inst.get("state"),
        tier=inst.get("tier"),
        memory_size_gb=as_int(inst.get("memorySizeGb")),
        redis_version=inst.get("redisVersion"),
        connect_mode=inst.get("connectMode") or "DIRECT_PEERING",  # the API's documented default
        authorized_network=short_name(inst.get("authorizedNetwork")),
        authorized_network_project=path_segment(inst.get("authorizedNetwork"), "projects"),
        auth_enabled=bool(inst.get("authEnabled", False)),
        host=inst.get("host") or None,
        port=as_int(inst.get("port")),
        transit_encryption_mode=inst.get("transitEncryptionMode") or None,
    )


def connector_from_wire(data: Any) -> VpcConnector:
    """A Serverless VPC Access v1 ``Connector`` → :class:`VpcConnector`.

    Created with ``--network --range``: ``network`` and ``ipCidrRange``. Created with
    ``--subnet``: ``subnet: {name, projectId}`` and neither of those (recorded real answer:
    ``tests/collect/data/real/``).
    """
    conn = to_wire(data)
    name = conn.get("name") or ""
    subnet = conn.get("subnet") or {}
    return VpcConnector(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        state=conn.get("state"),
        # A connector created with --subnet has no network on the wire: the subnet's
        # name is not a network name, so the network stays unknown (None) here.
        network=short_name(conn.get("network")),
        network_project=path_segment(conn.get("network"), "projects"),
        ip_cidr_range=conn.get("ipCidrRange") or None,
        subnet=short_name(subnet.get("name")),
        subnet_project=subnet.get("projectId") or None,
        min_instances=as_int(conn.get("minInstances")),
        max_instances=as_int(conn.get("maxInstances")),
    )


def secret_from_wire(
    data: Any,
    versions: list[Any] | None = None,
    accessors: list[str] | None = None,
    conditional_accessors: list[str] | None = None,
) -> Secret:
    """A Secret Manager v1 ``Secret`` (+ its versions and accessor members, plain and conditional) → :class:`Secret`."""
    secret = to_wire(data)
    return Secret(
        name=short_name(secret.get("name")) or "",
        versions=None if versions is None else [version_from_wire(v) for v in versions],
        aliases={str(k): str(v) for k, v in (secret.get("versionAliases") or {}).items()},
        accessors=accessors,
        conditional_accessors=conditional_accessors or [],
    )


def version_from_wire(data: Any) -> SecretVersion:
    version = to_wire(data)
    return SecretVersion(name=short_name(version.get("name")) or "", state=version.get("state", "STATE_UNSPECIFIED"))


def api_name_from_wire(data: Any) -> str:
    """A Service Usage v1 ``Service`` → ``redis.googleapis.com``."""
    svc = to_wire(data)
    return (svc.get("config") or {}).get("name") or short_name(svc.get("name")) or ""


def sql_from_wire(inst: Mapping[str, Any]) -> SqlInstance:
    """A Cloud SQL Admin v1 ``DatabaseInstance`` JSON → :class:`SqlInstance`.

    ``public_ip`` is ``settings.ipConfiguration.ipv4Enabled`` when present, else
    whether a ``PRIMARY`` (public) address is assigned.
    """
    ip_config = (inst.get("settings") or {}).get("ipConfiguration") or {}
    addresses = inst.get("ipAddresses") or []
    ipv4 = ip_config.get("ipv4Enabled")
    public = bool(ipv4) if ipv4 is not None else any(a.get("type") == "PRIMARY" for a in addresses)
    return SqlInstance(
        name=inst.get("name") or "",
        connection_name=inst.get("connectionName"),
        region=inst.get("region"),
        state=inst.get("state"),
        activation_policy=(inst.get("settings") or {}).get("activationPolicy"),
        database_version=inst.get("databaseVersion"),
        public_ip=public,
        private_network=short_name(ip_config.get("privateNetwork")),
        ip_addresses=[a["ipAddress"] for a in addresses if a.get("ipAddress")],
    )
