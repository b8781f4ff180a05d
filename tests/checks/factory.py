"""Crafted inventories for rule tests: a conformant project, and one-line deviations from it.

:func:`conformant` builds the inventory a fully migrated ``mobiusos-new`` would
have for the resolved checklist (ten services, Redis, connector, secrets, APIs,
Cloud SQL). The ``with_*`` helpers return a modified copy, so every test states
only its deviation.
"""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace
from typing import Any

from mobius_gate.diagnose import diagnose
from mobius_gate.engine import load_rules
from mobius_gate.inventory import (
    EnvVar,
    IamBinding,
    Inventory,
    RedisInstance,
    Secret,
    SecretKeyRef,
    SecretVersion,
    Section,
    Service,
    SqlInstance,
    TrafficTarget,
    VpcConnector,
)
from mobius_gate.rules.secret_access import secret_names
from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN, Checklist, load_checklist
from mobius_gate.verdict import Verdict

PROJECT = "mobiusos-new"
REGION = "us-central1"
REDIS_HOST = "10.121.0.3"
REDIS_URL = f"redis://{REDIS_HOST}:6379/0"
#: The project's owner in crafted project IAM policies (not an account any service runs as).
PROJECT_OWNER = "user:platform-admin@example.com"
#: A DSN whose password must never appear in any output.
LEAKY_PASSWORD = "Pr0d-Passw0rd!"
LEAKY_DSN = f"postgresql://postgres:{LEAKY_PASSWORD}@34.123.45.67:5432/mobius_chat"

#: Realistic values for env vars the checklist only requires to be ``present``.
PRESENT_VALUES = {
    "CHAT_RAG_DATABASE_URL": f"postgresql://chat@/mobius_chat?host=/cloudsql/{PROJECT}:{REGION}:mobius-platform-db",
    "VERTEX_INDEX_ENDPOINT_ID": "4433221100998877665",
    "VERTEX_DEPLOYED_INDEX_ID": "mobius_rag_prod_v3",
    "MOBIUS_OS_URL": "https://mobius-os-abc123-uc.a.run.app",
    "MOBIUS_CHAT_URL": "https://mobius-chat-api-abc123-uc.a.run.app",
}


def resolved_spec() -> Checklist:
    return load_checklist().resolve(PROJECT)


def _env(spec_env: dict[str, str], secrets: dict[str, str]) -> list[EnvVar]:
    env = []
    for name, required in spec_env.items():
        if required == REDIS_URL_TOKEN:
            value = REDIS_URL
        elif required == PRESENT:
            value = PRESENT_VALUES.get(name, f"value-of-{name.lower()}")
        else:
            value = required
        env.append(EnvVar(name=name, value=value))
    for name, ref in secrets.items():
        secret, _, version = ref.partition(":")
        env.append(EnvVar(name=name, secret_ref=SecretKeyRef(secret=secret, version=version or "latest")))
    return env


def conformant_service(spec: Checklist, name: str) -> Service:
    svc = spec.service(name)
    revision = f"{name}-00003-xyz"
    return Service(
        name=name,
        region=REGION,
        uri=f"https://{name}-abc123-uc.a.run.app",
        image=svc.image,
        service_account=svc.service_account,
        env=_env(svc.env, svc.secrets),
        command=list(svc.command or []),
        args=list(svc.args or []),
        cpu_always_allocated=bool(svc.cpu_always_allocated),
        min_instances=svc.min_instances if svc.min_instances is not None else 0,
        max_instances=svc.max_instances if svc.max_instances is not None else 100,
        timeout_seconds=svc.timeout_seconds if svc.timeout_seconds is not None else 300,
        vpc_connector=svc.vpc_connector,
        vpc_connector_path=(
            f"projects/{PROJECT}/locations/{REGION}/connectors/{svc.vpc_connector}" if svc.vpc_connector else None
        ),
        vpc_egress=svc.vpc_egress,
        cloudsql_instances=[spec.cloud_sql.connection_name] if svc.cloudsql else [],
        ingress="all",
        invoker_members=["allUsers"] if svc.public else [f"serviceAccount:{svc.service_account}"],
        invoker_iam_disabled=False,
        ready=True,
        latest_created_revision=revision,
        latest_ready_revision=revision,
        traffic=[TrafficTarget(latest=True, percent=100)],
    )


def conformant(spec: Checklist | None = None) -> Inventory:
    """The inventory of a project that satisfies every Phase 1 and Phase 3 requirement."""
    spec = spec or resolved_spec()
    r, c = spec.redis, spec.vpc_connector
    accounts = sorted({f"serviceAccount:{s.service_account}" for s in spec.services})
    return Inventory(
        project=PROJECT,
        region=REGION,
        source="test:factory",
        apis=Section[str](items=list(spec.apis.required)),
        services=Section[Service](items=[conformant_service(spec, s.name) for s in spec.services]),
        redis_instances=Section[RedisInstance](
            items=[
                RedisInstance(
                    name=r.name,
                    region=REGION,
                    state="READY",
                    tier=r.tier,
                    memory_size_gb=r.memory_size_gb,
                    redis_version=r.redis_version,
                    connect_mode=r.connect_mode,
                    authorized_network=r.network,
                    host=REDIS_HOST,
                    port=r.port,
                )
            ]
        ),
        connectors=Section[VpcConnector](
            items=[
                VpcConnector(
                    name=c.name,
                    region=REGION,
                    state="READY",
                    network=c.network,
                    ip_cidr_range=c.ip_cidr_range,
                    min_instances=c.min_instances,
                    max_instances=c.max_instances,
                )
            ]
        ),
        secrets=Section[Secret](
            items=[
                Secret(name=n, versions=[SecretVersion(name="1", state="ENABLED")], accessors=accounts)
                for n in secret_names(spec)
            ]
        ),
        # Read, and granting secret access to nobody the services run as (grants are per secret).
        project_iam=Section[IamBinding](items=[IamBinding(role="roles/owner", members=[PROJECT_OWNER])]),
        sql_instances=Section[SqlInstance](
            items=[
                SqlInstance(
                    name=spec.cloud_sql.instance,
                    connection_name=spec.cloud_sql.connection_name,
                    region=REGION,
                    state="RUNNABLE",
                    activation_policy="ALWAYS",
                    database_version="POSTGRES_15",
                    public_ip=True,
                    ip_addresses=["34.123.45.67"],
                )
            ]
        ),
    )


# --------------------------------------------------------------------------- deviations (copies)


def _replace_item(inv: Inventory, section: str, name: str, **fields: Any) -> Inventory:
    sec: Section[Any] = inv.section(section)
    if not any(item.name == name for item in sec.items):
        raise KeyError(f"{section} has no item {name!r}")
    items = [item.model_copy(update=fields) if item.name == name else item for item in sec.items]
    return inv.model_copy(update={section: sec.model_copy(update={"items": items})})


def with_service(inv: Inventory, name: str, **fields: Any) -> Inventory:
    return _replace_item(inv, "services", name, **fields)


def with_redis(inv: Inventory, **fields: Any) -> Inventory:
    return _replace_item(inv, "redis_instances", inv.redis_instances.items[0].name, **fields)


def with_connector(inv: Inventory, **fields: Any) -> Inventory:
    return _replace_item(inv, "connectors", inv.connectors.items[0].name, **fields)


def with_sql(inv: Inventory, **fields: Any) -> Inventory:
    return _replace_item(inv, "sql_instances", inv.sql_instances.items[0].name, **fields)


def with_secret(inv: Inventory, name: str, **fields: Any) -> Inventory:
    return _replace_item(inv, "secrets", name, **fields)


def with_project_grant(inv: Inventory, role: str, *members: str, condition: str | None = None) -> Inventory:
    """Add one binding to the project IAM policy (the section must have been read)."""
    return with_items(inv, "project_iam", IamBinding(role=role, members=list(members), condition=condition))


def without(inv: Inventory, section: str, name: str) -> Inventory:
    sec: Section[Any] = inv.section(section)
    items = [item for item in sec.items if item.name != name]
    return inv.model_copy(update={section: sec.model_copy(update={"items": items})})


def with_items(inv: Inventory, section: str, *items: Any) -> Inventory:
    sec: Section[Any] = inv.section(section)
    return inv.model_copy(update={section: sec.model_copy(update={"items": [*sec.items, *items]})})


def with_section(inv: Inventory, section: str, status: str, cause: str | None = None) -> Inventory:
    """Mark a section disabled / unavailable / not_collected (items dropped, as a collector would)."""
    sec: Section[Any] = inv.section(section)
    return inv.model_copy(update={section: type(sec)(status=status, cause=cause)})


def with_env(
    inv: Inventory, service: str, name: str, value: str | None = None, *, secret: str | None = None
) -> Inventory:
    """Set (replace or add) one env var: a plain ``value`` or ``secret='name:version'``."""
    current = inv.service(service)
    if current is None:
        raise KeyError(service)
    ref = None
    if secret is not None:
        secret_name, _, version = secret.partition(":")
        ref = SecretKeyRef(secret=secret_name, version=version or "latest")
    var = EnvVar(name=name, value=value, secret_ref=ref)
    env = [v for v in current.env if v.name != name] + [var]
    return with_service(inv, service, env=env)


def without_env(inv: Inventory, service: str, name: str) -> Inventory:
    current = inv.service(service)
    if current is None:
        raise KeyError(service)
    return with_service(inv, service, env=[v for v in current.env if v.name != name])


# --------------------------------------------------------------------------- judging


#: Credentials planted in crafted inventories; no verdict may contain any of them.
NEVER_SHOWN = (LEAKY_PASSWORD, "hunter2-redis-pw", "jwt-plain-value-123", "ya29.tokenvalue")


def assert_nothing_leaks(verdict: Verdict, spec: Checklist, inv: Inventory, secrets: tuple[str, ...] = ()) -> None:
    """No planted credential in any field of ``verdict`` nor in the diagnosis the plugin would attach to it."""
    text = verdict.message() + json.dumps(verdict.to_dict()) + (diagnose(verdict, spec, inv) or "")
    for secret in (*NEVER_SHOWN, *secrets):
        assert secret not in text, f"credential leaked into {verdict.requirement} verdict: {text}"


def subject_of(test_function: Any, key: Any, spec: Checklist) -> Any:
    """The typed subject a check is judged over, from its test id (``mobius-rag``, ``("mobius-rag", "ENV")``)."""
    if isinstance(key, tuple) and all(isinstance(part, str) for part in key):
        keys = {sep.join(key) for sep in (":", "+", "/")}
    elif isinstance(key, str):
        keys = {key}
    else:
        return key  # already a typed subject
    for ident, subject in test_function.mobius_rule.subjects(spec):
        if ident in keys:
            return subject
    raise KeyError(f"{test_function.__name__} has no subject {key!r}")


def judge(test_function: Any, subject: Any, spec: Checklist, inv: Inventory) -> Verdict:
    """The complete verdict of a check on a subject (or its test id); no planted credential may reach it."""
    verdict = test_function.mobius_rule.judge(subject_of(test_function, subject, spec), spec, inv)
    assert_nothing_leaks(verdict, spec, inv)
    return verdict


def _check_functions() -> SimpleNamespace:
    """Every check function by name (they are unique across the check modules)."""
    load_rules()
    functions = {}
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("mobius_gate.checks."):
            functions |= {name: fn for name, fn in vars(module).items() if hasattr(fn, "mobius_rule")}
    return SimpleNamespace(**functions)


#: The check functions, as ``CHECKS.test_service_image``.
CHECKS = _check_functions()
