"""gcloud's Cloud Run flags applied to a v2 ``Service`` body (wire JSON, camelCase), as gcloud does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mobius_gate.fixes import Step

_EGRESS = {"private-ranges-only": "PRIVATE_RANGES_ONLY", "all-traffic": "ALL_TRAFFIC"}
_INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}
CLOUDSQL_VOLUME = "cloudsql"


def _container(body: dict[str, Any]) -> dict[str, Any]:
    containers = body.setdefault("template", {}).setdefault("containers", [{}])
    return containers[0]


def _env(body: dict[str, Any]) -> list[dict[str, Any]]:
    return _container(body).setdefault("env", [])


def _put_env(body: dict[str, Any], name: str, entry: dict[str, Any]) -> None:
    env = _env(body)
    for i, var in enumerate(env):
        if var.get("name") == name:
            env[i] = entry
            return
    env.append(entry)


def _secret_entry(name: str, ref: str) -> dict[str, Any]:
    secret, _, version = str(ref).partition(":")
    return {"name": name, "valueSource": {"secretKeyRef": {"secret": secret, "version": version or "latest"}}}


def _set_env(body: dict[str, Any], values: dict[str, str]) -> None:
    kept = [v for v in _env(body) if "valueSource" in v]
    _container(body)["env"] = kept + [{"name": k, "value": str(v)} for k, v in values.items()]


def _remove(body: dict[str, Any], names: list[str], secret: bool) -> None:
    env = _env(body)
    env[:] = [v for v in env if not (v.get("name") in names and ("valueSource" in v) == secret)]


def _cloudsql(body: dict[str, Any], instances: list[str]) -> None:
    template = body.setdefault("template", {})
    volumes = template.setdefault("volumes", [])
    volume = next((v for v in volumes if "cloudSqlInstance" in v), None)
    if volume is None:
        volume = {"name": CLOUDSQL_VOLUME, "cloudSqlInstance": {"instances": []}}
        volumes.append(volume)
        _container(body).setdefault("volumeMounts", []).append({"name": volume["name"], "mountPath": "/cloudsql"})
    have = volume["cloudSqlInstance"].setdefault("instances", [])
    have += [i for i in instances if i not in have]


def _connector(body: dict[str, Any], name: str, step: Step, region: str) -> None:
    path = name if "/" in name else f"projects/{step.project}/locations/{step.region or region}/connectors/{name}"
    body.setdefault("template", {}).setdefault("vpcAccess", {})["connector"] = path


def _resources(body: dict[str, Any]) -> dict[str, Any]:
    return _container(body).setdefault("resources", {})


_FLAGS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "image": lambda b, v: _container(b).__setitem__("image", v),
    "service_account": lambda b, v: b.setdefault("template", {}).__setitem__("serviceAccount", v),
    "add_cloudsql_instances": _cloudsql,
    "set_env_vars": _set_env,
    "update_env_vars": lambda b, v: [_put_env(b, k, {"name": k, "value": str(x)}) for k, x in v.items()],
    "remove_env_vars": lambda b, v: _remove(b, list(v), secret=False),
    "set_secrets": lambda b, v: [_put_env(b, k, _secret_entry(k, x)) for k, x in v.items()],
    "update_secrets": lambda b, v: [_put_env(b, k, _secret_entry(k, x)) for k, x in v.items()],
    "remove_secrets": lambda b, v: _remove(b, list(v), secret=True),
    "vpc_egress": lambda b, v: (
        b.setdefault("template", {}).setdefault("vpcAccess", {}).__setitem__("egress", _EGRESS[v])
    ),
    "min_instances": lambda b, v: (
        b.setdefault("template", {}).setdefault("scaling", {}).__setitem__("minInstanceCount", int(v))
    ),
    "max_instances": lambda b, v: (
        b.setdefault("template", {}).setdefault("scaling", {}).__setitem__("maxInstanceCount", int(v))
    ),
    "cpu_always_allocated": lambda b, v: _resources(b).__setitem__("cpuIdle", not v),
    "timeout_seconds": lambda b, v: b.setdefault("template", {}).__setitem__("timeout", f"{int(v)}s"),
    "ingress": lambda b, v: b.__setitem__("ingress", _INGRESS[v]),
    "command": lambda b, v: _container(b).__setitem__("command", list(v)),
    "args": lambda b, v: _container(b).__setitem__("args", list(v)),
}


def apply_flags(body: dict[str, Any], params: dict[str, Any], ctx: Any, step: Step, *, new: bool) -> dict[str, Any]:
    """``body`` with every flag of ``params`` applied (the revision name is left for the API to pick).

    A read service omits ``cpuIdle: false`` (proto3), so an update leaves CPU allocation alone unless
    a flag sets it; a new service gets gcloud's defaults (1 CPU, 512 MiB, CPU only during requests).
    """
    body.setdefault("template", {}).pop("revision", None)
    for key, value in params.items():
        if key == "vpc_connector":
            _connector(body, value, step, ctx.region)
        elif key in _FLAGS:
            _FLAGS[key](body, value)
        elif key != "allow_unauthenticated":
            raise ValueError(f"unknown Cloud Run flag {key!r}")
    if new:
        resources = _resources(body)
        resources.setdefault("limits", {"cpu": "1000m", "memory": "512Mi"})
        resources.setdefault("cpuIdle", True)
    return body
