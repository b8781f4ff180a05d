"""Wire data → inventory models. Pure functions, no I/O.

Every function here takes what an API (or an exported file) returns — a JSON
dict as it travels over the wire, or the official client's message, which is
first turned into that same JSON dict — and returns a model of
:mod:`mobius_gate.inventory`. Absence is modelled explicitly: a platform default is
applied only where Cloud Run documents one, and anything the source cannot tell
stays ``None`` ("unknown"), never a guessed conformant value.

See ``mobius_gate/collect/README.md`` ("Cloud Run wire traps") for why each rule
is what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message as PbMessage

from mobius_gate.inventory import (
    EnvVar,
    RedisInstance,
    Secret,
    SecretKeyRef,
    SecretVersion,
    Service,
    SqlInstance,
    TrafficTarget,
    VpcConnector,
)
from mobius_gate.redact import seal, seal_args, seal_text

# Cloud Run defaults when a field or annotation is absent.
DEFAULT_TIMEOUT_S = 300
DEFAULT_EGRESS = "private-ranges-only"
DEFAULT_INGRESS = "all"

# Knative (Cloud Run v1) annotation keys.
A_INGRESS = "run.googleapis.com/ingress"
A_INVOKER_IAM_DISABLED = "run.googleapis.com/invoker-iam-disabled"  # service metadata: "true" = public
A_SERVICE_MIN = "run.googleapis.com/minScale"  # service-level min instances (service metadata)
A_SERVICE_MAX = "run.googleapis.com/maxScale"  # service-level max instances (service metadata)
A_MIN_SCALE = "autoscaling.knative.dev/minScale"  # revision template
A_MAX_SCALE = "autoscaling.knative.dev/maxScale"  # revision template
A_CPU_THROTTLING = "run.googleapis.com/cpu-throttling"  # revision template
A_CONNECTOR = "run.googleapis.com/vpc-access-connector"  # revision template
A_EGRESS = "run.googleapis.com/vpc-access-egress"  # revision template
A_NETWORK_INTERFACES = "run.googleapis.com/network-interfaces"  # revision template (Direct VPC)
A_CLOUDSQL = "run.googleapis.com/cloudsql-instances"  # revision template
A_SECRETS = "run.googleapis.com/secrets"  # revision template: alias:projects/N/secrets/NAME,...
L_LOCATION = "cloud.googleapis.com/location"

_V2_INGRESS = {
    "INGRESS_TRAFFIC_ALL": "all",
    "INGRESS_TRAFFIC_INTERNAL_ONLY": "internal",
    "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": "internal-and-cloud-load-balancing",
    "INGRESS_TRAFFIC_NONE": "none",
}
_V2_EGRESS = {"PRIVATE_RANGES_ONLY": "private-ranges-only", "ALL_TRAFFIC": "all-traffic"}
_V2_READY = {"CONDITION_SUCCEEDED": True, "CONDITION_FAILED": False}
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"


class WireError(ValueError):
    """Wire data that cannot be read as the resource it claims to be."""


# --------------------------------------------------------------------------- helpers


def to_wire(data: Any) -> dict[str, Any]:
    """A JSON dict as on the wire, from a dict, a proto-plus message or a protobuf message.

    Messages go through ``MessageToDict``, which omits fields holding their
    default value exactly as the REST API does (``cpuIdle: false`` disappears).
    """
    if isinstance(data, Mapping):
        return dict(data)
    pb = data if isinstance(data, PbMessage) else getattr(type(data), "pb", None)
    if isinstance(pb, PbMessage):
        return json_format.MessageToDict(pb)
    if callable(pb):
        return json_format.MessageToDict(pb(data))
    raise WireError(f"expected a JSON object or an API message, got {type(data).__name__}")


def short_name(path: str | None) -> str | None:
    """``projects/P/locations/R/connectors/NAME`` → ``NAME``; a short name stays as is."""
    if not path:
        return None
    return path.rstrip("/").rsplit("/", 1)[-1]


def path_segment(path: str | None, collection: str) -> str | None:
    """The id after ``collection`` in a resource path (``locations`` → ``us-central1``)."""
    parts = (path or "").split("/")
    for i, part in enumerate(parts[:-1]):
        if part == collection:
            return parts[i + 1]
    return None


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise WireError(f"expected an integer, got {value!r}") from None


def _bool_text(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise WireError(f"expected 'true' or 'false', got {value!r}")


def _duration_s(value: Any) -> int | None:
    """``"3600s"`` / ``"3600.5s"`` / ``{"seconds": 3600}`` → 3600."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return _int(value.get("seconds", 0))
    text = str(value).strip()
    if text.endswith("s"):
        text = text[:-1]
    try:
        return int(float(text))
    except ValueError:
        raise WireError(f"expected a duration like '300s', got {value!r}") from None


def _max_of(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _min_of(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _main_container(containers: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The serving container: the one exposing a port, else the first (sidecars aside)."""
    if not containers:
        return {}
    return next((c for c in containers if c.get("ports")), containers[0])


def connector_path(name: str | None, project: str | None, region: str | None) -> str | None:
    """Full connector path for a short or full connector reference."""
    if not name:
        return None
    if "/" in name:
        return name
    if project and region:
        return f"projects/{project}/locations/{region}/connectors/{name}"
    return None


# --------------------------------------------------------------------------- Cloud Run v2


def service_from_v2(data: Any, invoker_members: list[str] | None = None) -> Service:
    """A Cloud Run v2 ``Service`` (message or JSON dict) → :class:`Service`.

    ``cpu_always_allocated`` is False only when ``cpuIdle`` is present and true:
    the API omits ``cpuIdle: false``, so absence cannot tell "always allocated"
    from "default" (see :func:`with_knative_cpu` to fill it from the v1 view).
    """
    svc = to_wire(data)
    if not (name := svc.get("name") or ""):
        raise WireError("Cloud Run v2 service has no 'name'")
    template = svc.get("template") or {}
    container = _main_container(template.get("containers") or [])
    resources = container.get("resources") or {}
    scaling = template.get("scaling") or {}
    service_scaling = svc.get("scaling") or {}
    vpc = template.get("vpcAccess") or {}
    connector = vpc.get("connector") or None
    egress = _V2_EGRESS.get(vpc.get("egress", ""))
    if egress is None and (connector or vpc.get("networkInterfaces")):
        egress = DEFAULT_EGRESS
    terminal = svc.get("terminalCondition") or {}
    traffic = svc.get("trafficStatuses") or svc.get("traffic") or []
    latest_ready = short_name(svc.get("latestReadyRevision"))
    return Service(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        uri=svc.get("uri") or None,
        image=container.get("image"),
        service_account=template.get("serviceAccount") or None,
        env=[_env_from_v2(e) for e in container.get("env") or []],
        command=seal_args(container.get("command") or []),
        args=seal_args(container.get("args") or []),
        cpu_always_allocated=False if resources.get("cpuIdle") is True else None,
        # minInstanceCount absent = 0; a service-level minimum adds to the revision's.
        min_instances=_max_of(
            _int(scaling.get("minInstanceCount")) or 0, _int(service_scaling.get("minInstanceCount"))
        ),
        max_instances=_int(scaling.get("maxInstanceCount")),
        timeout_seconds=_duration_s(template.get("timeout")) or DEFAULT_TIMEOUT_S,
        vpc_connector=short_name(connector),
        vpc_connector_path=connector,
        vpc_egress=egress,
        cloudsql_instances=[
            inst
            for vol in template.get("volumes") or []
            for inst in (vol.get("cloudSqlInstance") or {}).get("instances") or []
        ],
        ingress=_V2_INGRESS.get(svc.get("ingress", "")),
        invoker_members=invoker_members,
        invoker_iam_disabled=svc.get("invokerIamDisabled") is True,  # proto3 JSON omits false
        ready=_V2_READY.get(terminal.get("state", ""), False if terminal else None),
        ready_message=seal_text(terminal.get("message")) or None,
        latest_created_revision=short_name(svc.get("latestCreatedRevision")),
        latest_ready_revision=latest_ready,
        traffic=[
            TrafficTarget(
                # a LATEST target serves the latest ready revision (v1 names it; v2 does not)
                revision=short_name(t.get("revision")) or (latest_ready if t.get("type") == _LATEST else None),
                percent=_int(t.get("percent")) or 0,
                latest=t.get("type") == _LATEST,
            )
            for t in traffic
        ],
    )


def _env_from_v2(var: Mapping[str, Any]) -> EnvVar:
    ref = (var.get("valueSource") or {}).get("secretKeyRef")
    if ref:
        return EnvVar(
            name=var["name"],
            secret_ref=SecretKeyRef(
                secret=short_name(ref.get("secret")) or "", version=str(ref.get("version") or "latest")
            ),
        )
    return EnvVar(name=var["name"], value=seal(var["name"], var.get("value", "")))


def role_members(policy: Any, role: str = "roles/run.invoker") -> list[str]:
    """Members bound to ``role`` in an IAM policy (message or JSON dict)."""
    data = to_wire(policy)
    return sorted({m for b in data.get("bindings") or [] if b.get("role") == role for m in b.get("members") or []})


# --------------------------------------------------------------------------- Knative (Cloud Run v1)


def is_knative_service(doc: Any) -> bool:
    return (
        isinstance(doc, Mapping)
        and str(doc.get("apiVersion", "")).startswith("serving.knative.dev/")
        and doc.get("kind") == "Service"
    )


def knative_cpu_always_allocated(doc: Mapping[str, Any]) -> bool:
    """Whether a Knative service's revision template has CPU always allocated (annotation absent = throttled)."""
    annotations = ((doc.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}
    throttled = _bool_text(annotations.get(A_CPU_THROTTLING))
    return throttled is False


def service_from_knative(doc: Mapping[str, Any], project: str | None = None) -> Service:
    """A Knative ``serving.knative.dev/v1`` Service (export YAML or the v1 API) → :class:`Service`.

    ``project`` names the project for building full connector paths from short
    connector annotations; the namespace (often the project *number*) is the fallback.
    """
    if not is_knative_service(doc):
        raise WireError("not a Knative service: expected apiVersion serving.knative.dev/v1, kind Service")
    meta = doc.get("metadata") or {}
    if not (name := meta.get("name")):
        raise WireError("Knative service has no metadata.name")
    svc_ann = meta.get("annotations") or {}
    region = (meta.get("labels") or {}).get(L_LOCATION)
    spec = doc.get("spec") or {}
    template = spec.get("template") or {}
    tpl_ann = (template.get("metadata") or {}).get("annotations") or {}
    tpl_spec = template.get("spec") or {}
    container = _main_container(tpl_spec.get("containers") or [])
    connector = tpl_ann.get(A_CONNECTOR) or None
    egress = tpl_ann.get(A_EGRESS) or None
    if egress is None and (connector or tpl_ann.get(A_NETWORK_INTERFACES)):
        egress = DEFAULT_EGRESS
    aliases = _secret_aliases(tpl_ann.get(A_SECRETS))
    status = doc.get("status") or {}
    ready_cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    traffic = status.get("traffic") or spec.get("traffic") or []
    latest_ready = status.get("latestReadyRevisionName") or None
    return Service(
        name=name,
        region=region,
        uri=status.get("url") or None,
        image=container.get("image"),
        service_account=tpl_spec.get("serviceAccountName") or None,
        env=[_env_from_knative(e, aliases) for e in container.get("env") or []],
        command=seal_args(container.get("command") or []),
        args=seal_args(container.get("args") or []),
        cpu_always_allocated=knative_cpu_always_allocated(doc),
        min_instances=_max_of(_int(tpl_ann.get(A_MIN_SCALE)) or 0, _int(svc_ann.get(A_SERVICE_MIN))),
        max_instances=_min_of(_int(tpl_ann.get(A_MAX_SCALE)), _int(svc_ann.get(A_SERVICE_MAX))),
        timeout_seconds=_int(tpl_spec.get("timeoutSeconds")) or DEFAULT_TIMEOUT_S,
        vpc_connector=short_name(connector),
        vpc_connector_path=connector_path(connector, project or meta.get("namespace"), region),
        vpc_egress=egress,
        cloudsql_instances=[s.strip() for s in (tpl_ann.get(A_CLOUDSQL) or "").split(",") if s.strip()],
        ingress=svc_ann.get(A_INGRESS) or DEFAULT_INGRESS,
        invoker_members=None,
        invoker_iam_disabled=_bool_text(svc_ann.get(A_INVOKER_IAM_DISABLED)) is True,
        ready=None if ready_cond is None else ready_cond.get("status") == "True",
        ready_message=seal_text((ready_cond or {}).get("message")) or None,
        latest_created_revision=status.get("latestCreatedRevisionName") or None,
        latest_ready_revision=latest_ready,
        traffic=[
            TrafficTarget(
                revision=t.get("revisionName") or (latest_ready if t.get("latestRevision") else None),
                percent=_int(t.get("percent")) or 0,
                latest=bool(t.get("latestRevision")),
            )
            for t in traffic
        ],
    )


def _secret_aliases(annotation: str | None) -> dict[str, str]:
    """``run.googleapis.com/secrets`` (``alias:projects/N/secrets/NAME,...``) → alias → NAME."""
    aliases: dict[str, str] = {}
    for item in (annotation or "").split(","):
        alias, sep, path = item.strip().partition(":")
        if sep and alias:
            aliases[alias] = short_name(path) or path
    return aliases


def _env_from_knative(var: Mapping[str, Any], aliases: Mapping[str, str]) -> EnvVar:
    ref = (var.get("valueFrom") or {}).get("secretKeyRef")
    if ref:
        secret = str(ref.get("name") or "")
        return EnvVar(
            name=var["name"],
            secret_ref=SecretKeyRef(
                secret=aliases.get(secret, short_name(secret) or ""), version=str(ref.get("key") or "latest")
            ),
        )
    return EnvVar(name=var["name"], value=seal(var["name"], var.get("value", "")))


def with_knative_cpu(service: Service, knative: Mapping[str, Any] | None) -> Service:
    """``service`` with ``cpu_always_allocated`` from its v1 view (the only view that says it)."""
    if knative is None:
        return service
    return service.model_copy(update={"cpu_always_allocated": knative_cpu_always_allocated(knative)})


# --------------------------------------------------------------------------- other resources


def redis_from_wire(data: Any) -> RedisInstance:
    """A Memorystore v1 ``Instance`` → :class:`RedisInstance`."""
    inst = to_wire(data)
    name = inst.get("name") or ""
    return RedisInstance(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        state=inst.get("state"),
        tier=inst.get("tier"),
        memory_size_gb=_int(inst.get("memorySizeGb")),
        redis_version=inst.get("redisVersion"),
        connect_mode=inst.get("connectMode") or "DIRECT_PEERING",  # the API's documented default
        authorized_network=short_name(inst.get("authorizedNetwork")),
        host=inst.get("host") or None,
        port=_int(inst.get("port")),
        transit_encryption_mode=inst.get("transitEncryptionMode") or None,
    )


def connector_from_wire(data: Any) -> VpcConnector:
    """A Serverless VPC Access v1 ``Connector`` → :class:`VpcConnector`."""
    conn = to_wire(data)
    name = conn.get("name") or ""
    network = conn.get("network") or (conn.get("subnet") or {}).get("name")
    return VpcConnector(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        state=conn.get("state"),
        network=short_name(network),
        ip_cidr_range=conn.get("ipCidrRange") or None,
        min_instances=_int(conn.get("minInstances")),
        max_instances=_int(conn.get("maxInstances")),
    )


def secret_from_wire(data: Any, versions: list[Any] | None = None, accessors: list[str] | None = None) -> Secret:
    """A Secret Manager v1 ``Secret`` (+ its versions and accessor members) → :class:`Secret`."""
    secret = to_wire(data)
    return Secret(
        name=short_name(secret.get("name")) or "",
        versions=None if versions is None else [version_from_wire(v) for v in versions],
        aliases={str(k): str(v) for k, v in (secret.get("versionAliases") or {}).items()},
        accessors=accessors,
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
