"""The fix for each deviation, as data: operations with parameters, rendered as gcloud.

A :class:`Fix` is a list of :class:`Step` s. Each step names an *operation*
(``run.update``, ``services.enable``, ``redis.create``, ...), its target and its
parameters — the structured form the remediation applies through the API — and
renders itself as the equivalent ``gcloud`` command with ``--region`` and
``--project`` filled, which the check messages and ``--remediate=plan`` show.

No secret value ever enters a fix: values that only a human has (a secret's
payload, a database URL) are placeholders such as ``<secret-value>``; a step
carrying one reports it in :attr:`Step.needs_input` and is not applied blindly.
A step only a human can take (read logs, look at a secret the gate never reads,
run a migration) says why in :attr:`Step.manual`; :attr:`Step.is_manual` covers
those, the read-only and manual operations, and steps needing input.

:data:`REQUIREMENT_OPERATIONS` is the one table of what each requirement's fixes
may do: every fix a rule builds is checked against it (:func:`operations_checked`),
and the remediation dispatches from it. Rules build fixes with the builder
functions at the end of this module (through their judge).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mobius_gate.gcloud import RENDERERS, SECRET_ACCESSOR, run_flags
from mobius_gate.operations import (  # noqa: F401 (re-exported: fixes and their operation table go together)
    OPERATIONS,
    REQUIREMENT_OPERATIONS,
    operations_checked,
)
from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN, Checklist, ServiceSpec

__all__ = ["SECRET_ACCESSOR"]

#: A value only a human can supply; a step containing one is never applied automatically.
_PLACEHOLDER = re.compile(r"<[^<>]+>")

#: Operations that only read (shown to guide the fix; never applied).
READ_ONLY = frozenset(
    {
        "run.describe",
        "run.logs.read",
        "run.revisions.describe",
        "redis.describe",
        "vpcaccess.describe",
        "sql.instances.list",
        "sql.instances.describe",
        "sql.connect",
        "secrets.versions.access",
    }
)
#: Operations a human runs (a migration in psql, the dbt sync, creating the database instance):
#: shown, never applied through an API.
MANUAL = frozenset({"sql.migrate", "dbt.sync", "sql.instances.create"})


@dataclass(frozen=True)
class Where:
    """The project and region a fix runs in."""

    project: str
    region: str


@dataclass(frozen=True)
class Step:
    """One operation on one resource, renderable as gcloud and applicable through the API."""

    operation: str
    target: str
    project: str
    region: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Why only a human can take this step (it reads what the gate must not, or needs judgement).
    manual: str | None = None

    def gcloud(self) -> str:
        try:
            render = RENDERERS[self.operation]
        except KeyError:
            raise ValueError(f"unknown fix operation {self.operation!r}") from None
        return render(self)

    @property
    def needs_input(self) -> list[str]:
        """Placeholders (``<secret-value>``) a human must fill before this step can run."""
        return sorted(set(_PLACEHOLDER.findall(json.dumps(dict(self.params)))))

    @property
    def is_manual(self) -> bool:
        """Shown to guide the fix, never applied through an API."""
        return self.manual is not None or self.operation in READ_ONLY | MANUAL or bool(self.needs_input)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "operation": self.operation,
            "target": self.target,
            "project": self.project,
            "region": self.region,
            "params": dict(self.params),
        }
        return {**out, "manual": self.manual} if self.manual else out


@dataclass(frozen=True)
class Fix:
    """What fixes one deviation: ordered steps, and a note when the fix has a cost (recreate, ...)."""

    requirement: str
    resource: str
    steps: tuple[Step, ...]
    note: str | None = None

    def command(self) -> str:
        """The gcloud commands, in order, joined with ``&&``; the note follows in parentheses."""
        text = " && ".join(step.gcloud() for step in self.steps)
        return f"{text} ({self.note})" if self.note else text

    @property
    def needs_input(self) -> list[str]:
        return sorted({p for step in self.steps for p in step.needs_input})

    def to_json(self) -> str:
        return json.dumps(
            {
                "requirement": self.requirement,
                "resource": self.resource,
                "note": self.note,
                "steps": [step.to_dict() for step in self.steps],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Fix:
        data = json.loads(text)
        steps = tuple(Step(**step) for step in data["steps"])
        return cls(data["requirement"], data["resource"], steps, data.get("note"))


RUN_INVOKER = "roles/run.invoker"

#: REDIS_URL when the instance's address is not known yet (the checklist's own placeholder).
REDIS_URL_PLACEHOLDER = "redis://<REDIS_IP>:6379/0"


# --------------------------------------------------------------------------- builders


def redis_url(host_port: str | None, database: int = 0, scheme: str = "redis") -> str:
    """``redis://HOST:PORT/DB`` from a known address (not a secret), else the checklist's placeholder."""
    return f"{scheme}://{host_port}/{database}" if host_port else REDIS_URL_PLACEHOLDER


def env_fix_value(name: str, required: str, redis_host_port: str | None, database: int = 0) -> str:
    """The value a fix sets for a required env var; ``present`` becomes a placeholder to fill."""
    if required == REDIS_URL_TOKEN:
        return redis_url(redis_host_port, database)
    if required == PRESENT:
        return f"<{name.lower().replace('_', '-')}>"
    return required


def enable_api(api: str, where: Where) -> Fix:
    return Fix("INF-API", api, (Step("services.enable", api, where.project),))


def create_redis(spec: Checklist, where: Where, requirement: str = "INF-REDIS") -> Fix:
    r = spec.redis
    params = {
        "tier": r.tier,
        "memory_size_gb": r.memory_size_gb,
        "redis_version": r.redis_version,
        "connect_mode": r.connect_mode,
        "network": r.network,
    }
    return Fix(requirement, r.name, (Step("redis.create", r.name, where.project, r.region, params),))


def repair_redis(spec: Checklist, where: Where, deviations: Iterable[str]) -> Fix:
    """Resize / upgrade in place; tier, connect mode and network only by recreating."""
    r = spec.redis
    wrong = set(deviations)
    if wrong & {"tier", "connect_mode", "authorized_network"}:
        steps = (Step("redis.delete", r.name, where.project, r.region), *create_redis(spec, where).steps)
        note = "tier, connect mode and network cannot change in place: recreate; queued jobs are lost"
        return Fix("INF-REDIS", r.name, steps, note)
    steps: list[Step] = []
    if "memory_size_gb" in wrong:
        steps.append(Step("redis.update", r.name, where.project, r.region, {"memory_size_gb": r.memory_size_gb}))
    if "redis_version" in wrong:
        steps.append(Step("redis.upgrade", r.name, where.project, r.region, {"redis_version": r.redis_version}))
    if not steps:  # state not READY: nothing to change in place, the describe shows why
        describe = Step("redis.describe", r.name, where.project, r.region)
        return Fix("INF-REDIS", r.name, (describe,), "wait for READY; recreate if it stays in another state")
    return Fix("INF-REDIS", r.name, tuple(steps))


def create_connector(spec: Checklist, where: Where) -> Fix:
    c = spec.vpc_connector
    params = {
        "network": c.network,
        "ip_cidr_range": c.ip_cidr_range,
        "min_instances": c.min_instances,
        "max_instances": c.max_instances,
    }
    return Fix("INF-VPC", c.name, (Step("vpcaccess.create", c.name, where.project, c.region, params),))


def repair_connector(spec: Checklist, where: Where, deviations: Iterable[str]) -> Fix:
    """Scaling changes in place; network and range only by recreating."""
    c = spec.vpc_connector
    wrong = set(deviations)
    if wrong & {"network", "ip_cidr_range"}:
        steps = (Step("vpcaccess.delete", c.name, where.project, c.region), *create_connector(spec, where).steps)
        return Fix("INF-VPC", c.name, steps, "network and range cannot change in place: recreate the connector")
    scaling = {k: getattr(c, k) for k in ("min_instances", "max_instances") if k in wrong}
    steps = (Step("vpcaccess.update", c.name, where.project, c.region, scaling),) if scaling else ()
    if "redis_network" in wrong:
        note = f"the connector is on the checklist's network; {spec.redis.name} is not: see INF-REDIS"
        return Fix("INF-VPC", c.name, steps, note)
    if steps:
        return Fix("INF-VPC", c.name, steps)
    describe = Step("vpcaccess.describe", c.name, where.project, c.region)
    return Fix("INF-VPC", c.name, (describe,), "wait for READY; recreate if it stays in another state")


def secret_fix(
    name: str,
    where: Where,
    *,
    exists: bool,
    enable_version: str | None = None,
    add_version: bool = False,
    grant_to: Iterable[str] = (),
    requirement: str = "INF-SECRET",
) -> Fix:
    """Create / add a version / enable a version / grant accessors on one secret."""
    steps: list[Step] = []
    if not exists:
        steps.append(Step("secrets.create", name, where.project))
        add_version = True
    if enable_version is not None:
        steps.append(Step("secrets.versions.enable", name, where.project, None, {"version": enable_version}))
    elif add_version:
        steps.append(Step("secrets.versions.add", name, where.project, None, {"value": "<secret-value>"}))
    for account in grant_to:
        member = account if ":" in account else f"serviceAccount:{account}"
        steps.append(Step("secrets.iam.add", name, where.project, None, {"member": member}))
    return Fix(requirement, name, tuple(steps))


def update_service(requirement: str, svc: ServiceSpec, where: Where, **params: Any) -> Fix:
    """``gcloud run services update SVC --flag=value ...`` for one deviation."""
    run_flags(params)  # reject unknown parameters early
    return Fix(requirement, svc.name, (Step("run.update", svc.name, where.project, where.region, params),))


def deploy_service(spec: Checklist, svc: ServiceSpec, where: Where, redis_host_port: str | None) -> Fix:
    """The checklist's ``gcloud run deploy`` for a missing service (placeholders for values to supply)."""
    env = {k: env_fix_value(k, v, redis_host_port, spec.redis.database) for k, v in svc.env.items()}
    params: dict[str, Any] = {
        "image": svc.image,
        "service_account": svc.service_account,
        "add_cloudsql_instances": [spec.cloud_sql.connection_name] if svc.cloudsql else None,
        "set_env_vars": env or None,
        "set_secrets": dict(svc.secrets) or None,
        "vpc_connector": svc.vpc_connector,
        "vpc_egress": svc.vpc_egress,
        "min_instances": svc.min_instances,
        "max_instances": svc.max_instances,
        "cpu_always_allocated": True if svc.cpu_always_allocated else None,
        "timeout_seconds": svc.timeout_seconds,
        "command": svc.command,
        "args": svc.args,
        "allow_unauthenticated": svc.public,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return Fix("SVC-DEPLOYED", svc.name, (Step("run.deploy", svc.name, where.project, where.region, params),))


def invoker_binding(svc: ServiceSpec, where: Where, member: str, *, add: bool) -> Step:
    operation = "run.iam.add" if add else "run.iam.remove"
    return Step(operation, svc.name, where.project, where.region, {"member": member, "role": RUN_INVOKER})


def traffic_to_latest(svc: ServiceSpec, where: Where) -> Fix:
    return Fix("SVC-READY", svc.name, (Step("run.traffic", svc.name, where.project, where.region),))


def investigate_revision(svc: ServiceSpec, where: Where, revision: str, previous: str | None = None) -> Fix:
    """A failed revision has no automatic fix: read its conditions, or roll back (checklist Rollback Plan).

    ``previous``: the newest older ready revision (traffic goes back to it); None when no older
    revision was ready (only a redeploy helps); ``<previous-revision>`` when the revisions are unknown.
    """
    describe = Step("run.revisions.describe", svc.name, where.project, where.region, {"revision": revision})
    if previous is None:
        note = "read the revision's conditions, then redeploy (no older revision was ready)"
        return Fix("SVC-READY", svc.name, (describe,), note)
    back = Step("run.traffic", svc.name, where.project, where.region, {"to_revisions": {previous: 100}})
    return Fix("SVC-READY", svc.name, (describe, back), "read the revision's conditions, then redeploy or roll back")


def secret_to_plain(requirement: str, svc: ServiceSpec, where: Where, env_name: str, value: str) -> Fix:
    """Turn a Secret Manager reference into a plain value (for values that are no credential).

    gcloud refuses to change an env var's type in place, so the reference is removed first.
    """
    steps = (
        Step("run.update", svc.name, where.project, where.region, {"remove_secrets": [env_name]}),
        Step("run.update", svc.name, where.project, where.region, {"update_env_vars": {env_name: value}}),
    )
    return Fix(requirement, svc.name, steps)


def move_to_secret(requirement: str, svc: ServiceSpec, where: Where, env_name: str, secret: str) -> Fix:
    """Replace a plain env value by a Secret Manager reference (value entered by a human).

    The service's account is granted ``secretAccessor`` on the new secret before the service
    references it (a revision whose account cannot read a referenced secret never starts).
    """
    ref = secret if ":" in secret else f"{secret}:latest"
    name = ref.split(":", 1)[0]
    steps = [
        Step("secrets.create", name, where.project),
        Step("secrets.versions.add", name, where.project, None, {"value": "<secret-value>"}),
    ]
    if svc.service_account:
        grant = {"member": f"serviceAccount:{svc.service_account}"}
        steps.append(Step("secrets.iam.add", name, where.project, None, grant))
    steps += [
        Step("run.update", svc.name, where.project, where.region, {"remove_env_vars": [env_name]}),
        Step("run.update", svc.name, where.project, where.region, {"update_secrets": {env_name: ref}}),
    ]
    return Fix(requirement, svc.name, tuple(steps))


def reference_secret(
    requirement: str, svc: ServiceSpec, where: Where, env_name: str, ref: str, *, remove_plain: bool
) -> Fix:
    """Point an env var at an existing secret (removing a plain value of the same name first)."""
    steps: list[Step] = []
    if remove_plain:
        steps.append(Step("run.update", svc.name, where.project, where.region, {"remove_env_vars": [env_name]}))
    steps.append(Step("run.update", svc.name, where.project, where.region, {"update_secrets": {env_name: ref}}))
    return Fix(requirement, svc.name, tuple(steps))
