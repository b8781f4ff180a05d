"""Cloud Run wire → :class:`~mobius_gate.inventory.Service`: the v2 API and the Knative (v1) view.

Pure functions, no I/O. A platform default is applied only where Cloud Run
documents one; anything the source cannot tell stays ``None``. See
``mobius_gate/collect/README.md`` ("Cloud Run wire traps") for why each rule is what it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mobius_gate.collect.wire_values import (
    WireError,
    as_bool,
    as_int,
    connector_path,
    duration_s,
    main_container,
    max_of,
    min_of,
    path_segment,
    short_name,
    to_wire,
)
from mobius_gate.inventory import EnvVar, SecretKeyRef, Service, TrafficTarget
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
A_SCALING_MODE = "run.googleapis.com/scalingMode"  # service metadata: "manual" = a fixed instance count
A_MANUAL_COUNT = "run.googleapis.com/manualInstanceCount"  # service metadata, with scalingMode manual
A_DEFAULT_URL_DISABLED = "run.googleapis.com/default-url-disabled"  # service metadata: "true" = no run.app URL
L_LOCATION = "cloud.googleapis.com/location"

_V2_INGRESS = {
    "INGRESS_TRAFFIC_ALL": "all",
    "INGRESS_TRAFFIC_INTERNAL_ONLY": "internal",
    "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER": "internal-and-cloud-load-balancing",
    "INGRESS_TRAFFIC_NONE": "none",
}
_V2_EGRESS = {"PRIVATE_RANGES_ONLY": "private-ranges-only", "ALL_TRAFFIC": "all-traffic"}
_V2_READY = {"CONDITION_SUCCEEDED": True, "CONDITION_FAILED": False}
#: Transient condition states: a rollout has not started or is still running (readiness unknown yet).
V2_ROLLING = ("CONDITION_PENDING", "CONDITION_RECONCILING")
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"


# --------------------------------------------------------------------------- Cloud Run v2


def service_from_v2(
    data: Any, invoker_members: list[str] | None = None, public_grants: dict[str, list[str]] | None = None
) -> Service:
    """A Cloud Run v2 ``Service`` (message or JSON dict) → :class:`Service`.

    ``cpu_always_allocated`` is False only when ``cpuIdle`` is present and true:
    the API omits ``cpuIdle: false``, so absence cannot tell "always allocated"
    from "default" (see :func:`with_knative_cpu` to fill it from the v1 view).
    """
    svc = to_wire(data)
    name = svc.get("name") or ""
    if not name:
        raise WireError("Cloud Run v2 service has no 'name'")
    template = svc.get("template") or {}
    container = main_container(template.get("containers") or [])
    resources = container.get("resources") or {}
    scaling = template.get("scaling") or {}
    service_scaling = svc.get("scaling") or {}
    terminal = svc.get("terminalCondition") or {}
    ready, reconciling = v2_readiness(svc)
    latest_ready = short_name(svc.get("latestReadyRevision"))
    own = (path_segment(name, "projects"),)
    return Service(
        name=short_name(name) or name,
        region=path_segment(name, "locations"),
        uri=svc.get("uri") or None,
        image=container.get("image"),
        service_account=template.get("serviceAccount") or None,
        env=[_env_from_v2(e, own) for e in container.get("env") or []],
        command=seal_args(container.get("command") or []),
        args=seal_args(container.get("args") or []),
        cpu_always_allocated=False if resources.get("cpuIdle") is True else None,
        **_v2_scaling(scaling, service_scaling),
        timeout_seconds=duration_s(template.get("timeout")) or DEFAULT_TIMEOUT_S,
        **_v2_vpc_access(template.get("vpcAccess") or {}),
        cloudsql_instances=[
            inst
            for vol in template.get("volumes") or []
            for inst in (vol.get("cloudSqlInstance") or {}).get("instances") or []
        ],
        ingress=_V2_INGRESS.get(svc.get("ingress", "")),
        invoker_members=invoker_members,
        public_grants=public_grants or {},
        invoker_iam_disabled=svc.get("invokerIamDisabled") is True,  # proto3 JSON omits false
        default_uri_disabled=svc.get("defaultUriDisabled") is True,
        ready=ready,
        ready_message=seal_text(terminal.get("message")) or None,
        reconciling=reconciling,
        latest_created_revision=short_name(svc.get("latestCreatedRevision")),
        latest_ready_revision=latest_ready,
        traffic=[_v2_traffic(t, latest_ready) for t in svc.get("trafficStatuses") or svc.get("traffic") or []],
    )


def _v2_vpc_access(vpc: Mapping[str, Any]) -> dict[str, Any]:
    """The Service fields of a v2 ``vpcAccess``: a connector, or Direct VPC network interfaces, and egress."""
    connector = vpc.get("connector") or None
    network, subnetwork = direct_vpc(vpc.get("networkInterfaces"))
    egress = _V2_EGRESS.get(vpc.get("egress", ""))
    if egress is None and (connector or vpc.get("networkInterfaces")):
        egress = DEFAULT_EGRESS
    return {
        "vpc_connector": short_name(connector),
        "vpc_connector_path": connector,
        "vpc_network": network,
        "vpc_subnetwork": subnetwork,
        "vpc_egress": egress,
    }


def _v2_traffic(target: Mapping[str, Any], latest_ready: str | None) -> TrafficTarget:
    latest = target.get("type") == _LATEST
    return TrafficTarget(
        # a LATEST target serves the latest ready revision (v1 names it; v2 does not)
        revision=short_name(target.get("revision")) or (latest_ready if latest else None),
        percent=as_int(target.get("percent")) or 0,
        latest=latest,
    )


def v2_readiness(svc: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """(ready, reconciling) of a v2 service.

    ``terminalCondition.state`` SUCCEEDED/FAILED is terminal; PENDING/RECONCILING (or
    ``reconciling: true``, whatever the state says meanwhile) is a rollout in progress:
    readiness unknown yet, never "not ready". No terminal condition at all: both unknown.
    """
    terminal = svc.get("terminalCondition") or {}
    state = terminal.get("state", "")
    if svc.get("reconciling") is True or state in V2_ROLLING:
        return None, True
    if not terminal:
        return None, None
    return _V2_READY.get(state, False), False


def direct_vpc(interfaces: Any) -> tuple[str | None, str | None]:
    """(network, subnetwork) short names of Direct VPC egress (``networkInterfaces``), or (None, None).

    Cloud Run documents that an absent subnetwork is the one named like the network;
    an absent network is looked up from the subnetwork, which only Compute can tell.
    """
    if not interfaces:
        return None, None
    if not isinstance(interfaces, list) or not isinstance(interfaces[0], Mapping):
        raise WireError(f"expected a list of network interfaces, got {interfaces!r}")
    first = interfaces[0]
    network = short_name(first.get("network"))
    return network, short_name(first.get("subnetwork")) or network


def _interfaces_annotation(text: str | None) -> Any:
    """``run.googleapis.com/network-interfaces``: a JSON list in an annotation string."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise WireError(f"run.googleapis.com/network-interfaces is not JSON: {text!r}") from None


def _scaling(manual: int | None, low: int | None, high: int | None) -> dict[str, int | None]:
    """Effective min/max instances: manual scaling runs exactly ``manual`` instances, whatever min/max say."""
    if manual is None:
        return {"min_instances": low, "max_instances": high, "manual_instances": None}
    return {"min_instances": manual, "max_instances": manual, "manual_instances": manual}


def _v2_scaling(scaling: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, int | None]:
    """Template scaling; minInstanceCount absent = 0 and a service-level minimum adds to it.

    ``ServiceScaling.scalingMode`` MANUAL runs exactly ``manualInstanceCount`` (absent = 0, proto3).
    """
    manual = (as_int(service.get("manualInstanceCount")) or 0) if service.get("scalingMode") == "MANUAL" else None
    low = max_of(as_int(scaling.get("minInstanceCount")) or 0, as_int(service.get("minInstanceCount")))
    return _scaling(manual, low, as_int(scaling.get("maxInstanceCount")))


def _knative_scaling(tpl_ann: Mapping[str, Any], svc_ann: Mapping[str, Any]) -> dict[str, int | None]:
    """Revision-template min/maxScale bounded by the service-level ones; or the service's manual count."""
    is_manual = str(svc_ann.get(A_SCALING_MODE, "")).lower() == "manual"
    manual = (as_int(svc_ann.get(A_MANUAL_COUNT)) or 0) if is_manual else None
    low = max_of(as_int(tpl_ann.get(A_MIN_SCALE)) or 0, as_int(svc_ann.get(A_SERVICE_MIN)))
    return _scaling(manual, low, min_of(as_int(tpl_ann.get(A_MAX_SCALE)), as_int(svc_ann.get(A_SERVICE_MAX))))


def same_project(project: str | None, own: tuple[str | None, ...]) -> bool | None:
    """Whether a path's ``project`` (id or number) is the service's own (``own``: its id and/or number).

    No project named = the service's own. A project number cannot be compared with an id only
    (nor an id with a number only): None, cannot tell.
    """
    if project is None:
        return True
    known = [o for o in own if o]
    if project in known:
        return True
    if not any(o.isdigit() == project.isdigit() for o in known):
        return None
    return False


def secret_ref(path: str, version: str, own: tuple[str | None, ...]) -> SecretKeyRef:
    """A secret reference from a short name or ``projects/P/secrets/NAME``, with the project it names."""
    project = path_segment(path, "projects")
    same = same_project(project, own)
    return SecretKeyRef(
        secret=short_name(path) or "", version=version, project=None if same else project, same_project=same
    )


def _env_from_v2(var: Mapping[str, Any], own: tuple[str | None, ...]) -> EnvVar:
    ref = (var.get("valueSource") or {}).get("secretKeyRef")
    if ref:
        version = str(ref.get("version") or "latest")
        return EnvVar(name=var["name"], secret_ref=secret_ref(str(ref.get("secret") or ""), version, own))
    return EnvVar(name=var["name"], value=seal(var["name"], var.get("value", "")))


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
    throttled = as_bool(annotations.get(A_CPU_THROTTLING))
    return throttled is False


def service_from_knative(doc: Mapping[str, Any], project: str | None = None) -> Service:
    """A Knative ``serving.knative.dev/v1`` Service (export YAML or the v1 API) → :class:`Service`.

    ``project`` names the project for building full connector paths from short
    connector annotations; the namespace (often the project *number*) is the fallback.
    """
    if not is_knative_service(doc):
        raise WireError("not a Knative service: expected apiVersion serving.knative.dev/v1, kind Service")
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise WireError("Knative service has no metadata.name")
    svc_ann = meta.get("annotations") or {}
    region = (meta.get("labels") or {}).get(L_LOCATION)
    spec = doc.get("spec") or {}
    template = spec.get("template") or {}
    tpl_ann = (template.get("metadata") or {}).get("annotations") or {}
    tpl_spec = template.get("spec") or {}
    container = main_container(tpl_spec.get("containers") or [])
    aliases = _secret_aliases(tpl_ann.get(A_SECRETS))
    status = doc.get("status") or {}
    ready_cond = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    ready_status = None if ready_cond is None else str(ready_cond.get("status"))
    traffic = status.get("traffic") or spec.get("traffic") or []
    latest_ready = status.get("latestReadyRevisionName") or None
    own = (project, meta.get("namespace"))
    return Service(
        name=name,
        region=region,
        uri=status.get("url") or None,
        image=container.get("image"),
        service_account=tpl_spec.get("serviceAccountName") or None,
        env=[_env_from_knative(e, aliases, own) for e in container.get("env") or []],
        command=seal_args(container.get("command") or []),
        args=seal_args(container.get("args") or []),
        cpu_always_allocated=knative_cpu_always_allocated(doc),
        **_knative_scaling(tpl_ann, svc_ann),
        timeout_seconds=as_int(tpl_spec.get("timeoutSeconds")) or DEFAULT_TIMEOUT_S,
        **_knative_vpc_access(tpl_ann, project or meta.get("namespace"), region),
        cloudsql_instances=[s.strip() for s in (tpl_ann.get(A_CLOUDSQL) or "").split(",") if s.strip()],
        ingress=svc_ann.get(A_INGRESS) or DEFAULT_INGRESS,
        invoker_members=None,
        invoker_iam_disabled=as_bool(svc_ann.get(A_INVOKER_IAM_DISABLED)) is True,
        default_uri_disabled=as_bool(svc_ann.get(A_DEFAULT_URL_DISABLED)) is True,
        # Knative condition status is True | False | Unknown; Unknown = the rollout is still running.
        ready=None if ready_status in (None, "Unknown") else ready_status == "True",
        ready_message=seal_text((ready_cond or {}).get("message")) or None,
        reconciling=None if ready_status is None else ready_status == "Unknown",
        latest_created_revision=status.get("latestCreatedRevisionName") or None,
        latest_ready_revision=latest_ready,
        traffic=[
            TrafficTarget(
                revision=t.get("revisionName") or (latest_ready if t.get("latestRevision") else None),
                percent=as_int(t.get("percent")) or 0,
                latest=bool(t.get("latestRevision")),
            )
            for t in traffic
        ],
    )


def _knative_vpc_access(tpl_ann: Mapping[str, Any], project: str | None, region: str | None) -> dict[str, Any]:
    """The Service fields of the revision template's connector / network-interfaces / egress annotations."""
    connector = tpl_ann.get(A_CONNECTOR) or None
    network, subnetwork = direct_vpc(_interfaces_annotation(tpl_ann.get(A_NETWORK_INTERFACES)))
    egress = tpl_ann.get(A_EGRESS) or None
    if egress is None and (connector or tpl_ann.get(A_NETWORK_INTERFACES)):
        egress = DEFAULT_EGRESS
    return {
        "vpc_connector": short_name(connector),
        "vpc_connector_path": connector_path(connector, project, region),
        "vpc_network": network,
        "vpc_subnetwork": subnetwork,
        "vpc_egress": egress,
    }


def _secret_aliases(annotation: str | None) -> dict[str, str]:
    """``run.googleapis.com/secrets`` (``alias:projects/N/secrets/NAME,...``) → alias → full path."""
    aliases: dict[str, str] = {}
    for item in (annotation or "").split(","):
        alias, sep, path = item.strip().partition(":")
        if sep and alias:
            aliases[alias] = path
    return aliases


def _env_from_knative(var: Mapping[str, Any], aliases: Mapping[str, str], own: tuple[str | None, ...]) -> EnvVar:
    ref = (var.get("valueFrom") or {}).get("secretKeyRef")
    if ref:
        secret = str(ref.get("name") or "")
        version = str(ref.get("key") or "latest")
        return EnvVar(name=var["name"], secret_ref=secret_ref(aliases.get(secret, secret), version, own))
    return EnvVar(name=var["name"], value=seal(var["name"], var.get("value", "")))


def with_knative_cpu(service: Service, knative: Mapping[str, Any] | None) -> Service:
    """``service`` with what only its v1 view says: CPU allocation, and the project *number* (namespace).

    The number tells whether a secret path naming a project number (v2 paths often do) is this project's.
    """
    if knative is None:
        return service
    number = str((knative.get("metadata") or {}).get("namespace") or "") or None
    env = [_with_number(var, number) for var in service.env]
    return service.model_copy(update={"cpu_always_allocated": knative_cpu_always_allocated(knative), "env": env})


def _with_number(var: EnvVar, number: str | None) -> EnvVar:
    """``var`` with an undecided secret project (a number) decided by the project's ``number``."""
    ref = var.secret_ref
    if ref is None or ref.same_project is not None or not number or not number.isdigit():
        return var
    same = ref.project == number
    update = {"project": None if same else ref.project, "same_project": same}
    return var.model_copy(update={"secret_ref": ref.model_copy(update=update)})
