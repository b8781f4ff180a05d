"""Phase 1 actions: APIs (Service Usage), Memorystore, VPC Access connectors, Secret Manager."""

from __future__ import annotations

from google.cloud import redis_v1, secretmanager_v1
from mobius_gate.remediate.actions.base import ApplyContext, Outcome, action, exists
from mobius_gate.remediate.actions.run import edit_binding

from mobius_gate.fixes import SECRET_ACCESSOR, Step


def _located(ctx: ApplyContext, step: Step) -> str:
    return f"projects/{step.project}/locations/{step.region or ctx.region}"


@action("services.enable", "apis", "serviceusage.services.enable")
def enable_api(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud services enable API``."""
    client = ctx.clients.service_usage
    name = f"projects/{step.project}/services/{step.target}"
    current = ctx.call(client.get_service, name=name)
    if current.state.name == "ENABLED":
        return Outcome(False, note="already enabled")
    return ctx.change(client.enable_service, name=name)


def _network(project: str, network: str) -> str:
    return network if "/" in network else f"projects/{project}/global/networks/{network}"


@action("redis.create", "redis_instances", "redis.instances.create")
def create_redis(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud redis instances create`` (waits until the instance is READY)."""
    client, p = ctx.clients.redis, step.params
    parent = _located(ctx, step)

    def attempt() -> Outcome:
        if exists(lambda: ctx.call(client.get_instance, name=f"{parent}/instances/{step.target}")) is not None:
            return Outcome(False, note="exists already")
        instance = redis_v1.Instance(
            tier=redis_v1.Instance.Tier[p["tier"]],
            memory_size_gb=int(p["memory_size_gb"]),
            redis_version=p["redis_version"],
            connect_mode=redis_v1.Instance.ConnectMode[p["connect_mode"]],
            authorized_network=_network(step.project, p.get("network") or "default"),
        )
        return ctx.change(client.create_instance, parent=parent, instance_id=step.target, instance=instance)

    return ctx.once_more_on_conflict(attempt, f"create {step.target}")


@action("redis.update", "redis_instances", "redis.instances.update")
def resize_redis(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud redis instances update --size`` (in place)."""
    client = ctx.clients.redis
    name = f"{_located(ctx, step)}/instances/{step.target}"
    size = int(step.params["memory_size_gb"])
    if ctx.call(client.get_instance, name=name).memory_size_gb == size:
        return Outcome(False, note="already that size")
    instance = redis_v1.Instance(name=name, memory_size_gb=size)
    return ctx.change(client.update_instance, update_mask={"paths": ["memory_size_gb"]}, instance=instance)


@action("redis.upgrade", "redis_instances", "redis.instances.upgrade")
def upgrade_redis(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud redis instances upgrade --redis-version``."""
    client = ctx.clients.redis
    name = f"{_located(ctx, step)}/instances/{step.target}"
    version = step.params["redis_version"]
    if ctx.call(client.get_instance, name=name).redis_version == version:
        return Outcome(False, note="already that version")
    return ctx.change(client.upgrade_instance, name=name, redis_version=version)


@action("vpcaccess.create", "connectors", "vpcaccess.connectors.create")
def create_connector(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud compute networks vpc-access connectors create`` (waits until READY)."""
    client, p = ctx.clients.vpcaccess, step.params
    parent = _located(ctx, step)

    def attempt() -> Outcome:
        if exists(lambda: ctx.call(client.get_connector, name=f"{parent}/connectors/{step.target}")) is not None:
            return Outcome(False, note="exists already")
        connector = {
            "network": p["network"],
            "ip_cidr_range": p["ip_cidr_range"],
            "min_instances": int(p["min_instances"]),
            "max_instances": int(p["max_instances"]),
        }
        return ctx.change(client.create_connector, parent=parent, connector_id=step.target, connector=connector)

    return ctx.once_more_on_conflict(attempt, f"create {step.target}")


def _secret(step: Step) -> str:
    return f"projects/{step.project}/secrets/{step.target}"


@action("secrets.create", "secrets", "secretmanager.secrets.create")
def create_secret(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud secrets create --replication-policy=automatic`` (the container; its value comes separately)."""
    client = ctx.clients.secretmanager

    def attempt() -> Outcome:
        if exists(lambda: ctx.call(client.get_secret, name=_secret(step))) is not None:
            return Outcome(False, note="exists already")
        secret = secretmanager_v1.Secret(replication={"automatic": {}})
        ctx.call(client.create_secret, parent=f"projects/{step.project}", secret_id=step.target, secret=secret)
        return Outcome(True)

    return ctx.once_more_on_conflict(attempt, f"create secret {step.target}")


def _enabled_versions(ctx: ApplyContext, step: Step) -> list[str]:
    pager = ctx.call(ctx.clients.secretmanager.list_secret_versions, parent=_secret(step))
    return [v.name for v in pager if v.state.name == "ENABLED"]


@action("secrets.versions.add", "secrets", "secretmanager.versions.add")
def add_version(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud secrets versions add`` with the value a human supplied (``--secret-value``)."""
    if _enabled_versions(ctx, step):
        return Outcome(False, note="has an enabled version already")
    payload = {"data": str(step.params["value"]).encode()}
    version = ctx.call(ctx.clients.secretmanager.add_secret_version, parent=_secret(step), payload=payload)
    return Outcome(True, version.name)


@action("secrets.versions.enable", "secrets", "secretmanager.versions.enable")
def enable_version(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud secrets versions enable``."""
    if _enabled_versions(ctx, step):
        return Outcome(False, note="has an enabled version already")
    name = f"{_secret(step)}/versions/{step.params['version']}"
    ctx.call(ctx.clients.secretmanager.enable_secret_version, name=name)
    return Outcome(True)


@action("secrets.iam.add", "secrets", "secretmanager.secrets.setIamPolicy")
def grant_accessor(ctx: ApplyContext, step: Step) -> Outcome:
    """``gcloud secrets add-iam-policy-binding`` (read-modify-write with the policy's etag)."""
    client = ctx.clients.secretmanager
    role = step.params.get("role", SECRET_ACCESSOR)

    def attempt() -> Outcome:
        policy = ctx.call(client.get_iam_policy, resource=_secret(step))
        if not edit_binding(policy, role, step.params["member"], add=True):
            return Outcome(False, note="already granted")
        ctx.call(client.set_iam_policy, resource=_secret(step), policy=policy)
        return Outcome(True)

    return ctx.once_more_on_conflict(attempt, f"IAM policy of {step.target}")
