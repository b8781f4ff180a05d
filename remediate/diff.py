"""Field-level before/after of a step, read from the inventory (pure; what plans and the audit show).

``before`` is the resource as collected; ``after`` what the step sets. Values pass through
the redaction layer, and a secret's payload never appears (only that a version is added).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mobius_gate.remediate.model import FieldDiff

from mobius_gate.fixes import Step
from mobius_gate.inventory import Inventory, Service
from mobius_gate.redact import redact

ABSENT = "(absent)"
#: Cloud Run flag → the Service field the gate reads it back from.
_RUN_FIELDS = {
    "image": "image",
    "service_account": "service_account",
    "vpc_connector": "vpc_connector",
    "vpc_egress": "vpc_egress",
    "min_instances": "min_instances",
    "max_instances": "max_instances",
    "timeout_seconds": "timeout_seconds",
    "cpu_always_allocated": "cpu_always_allocated",
    "command": "command",
    "args": "args",
    "ingress": "ingress",
    "add_cloudsql_instances": "cloudsql_instances",
}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _env(svc: Service | None, name: str) -> str | None:
    var = svc.env_value(name) if svc else None
    if var is None:
        return None
    return f"secret {var.secret_ref.secret}:{var.secret_ref.version}" if var.secret_ref else var.value


def _set_names(step: Step) -> set[str]:
    return {
        k
        for key in ("set_env_vars", "update_env_vars", "set_secrets", "update_secrets")
        for k in step.params.get(key) or {}
    }


def _run_diff(step: Step, inv: Inventory) -> list[FieldDiff]:
    svc = inv.service(step.target)
    out: list[FieldDiff] = []
    if svc is None:
        out.append(FieldDiff("service", ABSENT, "deployed"))
    for key, value in step.params.items():
        if key in _RUN_FIELDS:
            before = getattr(svc, _RUN_FIELDS[key]) if svc else None
            out.append(FieldDiff(_RUN_FIELDS[key], before, value))
        elif key in ("set_env_vars", "update_env_vars"):
            out += [FieldDiff(f"env.{k}", _env(svc, k), v) for k, v in value.items()]
        elif key in ("set_secrets", "update_secrets"):
            out += [FieldDiff(f"env.{k}", _env(svc, k), f"secret {v}") for k, v in value.items()]
        elif key in ("remove_env_vars", "remove_secrets"):  # a var set again in the same update: its set shows
            out += [FieldDiff(f"env.{k}", _env(svc, k), None) for k in value if k not in _set_names(step)]
        elif key == "allow_unauthenticated":
            public = "allUsers" in (svc.invoker_members or []) if svc else False
            out.append(FieldDiff("roles/run.invoker allUsers", public, bool(value)))
    return out


def _traffic(step: Step, inv: Inventory) -> list[FieldDiff]:
    svc = inv.service(step.target)
    before = [f"{'LATEST' if t.latest else t.revision}={t.percent}%" for t in svc.traffic] if svc else None
    wanted = step.params.get("to_revisions") or {"LATEST": 100}
    return [FieldDiff("traffic", before, [f"{k}={v}%" for k, v in wanted.items()])]


def _run_iam(step: Step, inv: Inventory) -> list[FieldDiff]:
    svc = inv.service(step.target)
    before = list(svc.invoker_members or []) if svc else []
    member = step.params["member"]
    after = sorted({*before, member}) if step.operation == "run.iam.add" else [m for m in before if m != member]
    return [FieldDiff(step.params.get("role", "roles/run.invoker"), before, after)]


def _redis(step: Step, inv: Inventory) -> list[FieldDiff]:
    inst = inv.redis_instance(step.target)
    if step.operation == "redis.create":
        return [FieldDiff("instance", ABSENT, "READY")] + [FieldDiff(k, None, v) for k, v in step.params.items()]
    return [FieldDiff(k, getattr(inst, k, None) if inst else None, v) for k, v in step.params.items()]


def _connector(step: Step, inv: Inventory) -> list[FieldDiff]:
    return [FieldDiff("connector", ABSENT, "READY")] + [FieldDiff(k, None, v) for k, v in step.params.items()]


def _secret(step: Step, inv: Inventory) -> list[FieldDiff]:
    secret = inv.secret(step.target)
    if step.operation == "secrets.create":
        return [FieldDiff("secret", ABSENT if secret is None else "exists", "exists (automatic replication)")]
    if step.operation == "secrets.versions.add":
        enabled = sum(v.state == "ENABLED" for v in (secret.versions or [])) if secret else 0
        return [FieldDiff("enabled versions", enabled, enabled + 1)]
    if step.operation == "secrets.versions.enable":
        return [FieldDiff(f"version {step.params['version']}", "DISABLED", "ENABLED")]
    before = list(secret.accessors or []) if secret else []
    return [FieldDiff("roles/secretmanager.secretAccessor", before, sorted({*before, step.params["member"]}))]


def _api(step: Step, inv: Inventory) -> list[FieldDiff]:
    state = "ENABLED" if step.target in inv.apis.items else "DISABLED"
    return [FieldDiff("state", state, "ENABLED")]


_DIFFS: dict[str, Callable[[Step, Inventory], list[FieldDiff]]] = {
    "services.enable": _api,
    "run.deploy": _run_diff,
    "run.update": _run_diff,
    "run.traffic": _traffic,
    "run.iam.add": _run_iam,
    "run.iam.remove": _run_iam,
    "redis.create": _redis,
    "redis.update": _redis,
    "redis.upgrade": _redis,
    "vpcaccess.create": _connector,
    "secrets.create": _secret,
    "secrets.versions.add": _secret,
    "secrets.versions.enable": _secret,
    "secrets.iam.add": _secret,
}


def field_diff(step: Step, inv: Inventory) -> list[FieldDiff]:
    """What ``step`` changes on its resource, before → after, redacted."""
    diffs = _DIFFS[step.operation](step, inv)
    return [FieldDiff(d.field, _clean(d.before), _clean(d.after)) for d in diffs if d.before != d.after]
