"""Phase 1 §1.2 Create Redis (Memorystore): the instance, and every REDIS_URL pointing at it."""

from __future__ import annotations

from mobius_gate.fixes import create_redis, redis_url, repair_redis
from mobius_gate.inventory import RedisInstance
from mobius_gate.manual_fixes import confirm_secret_or_plain
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings
from mobius_gate.rules.infra import (
    REDIS_API,
    absent_reason,
    judge_auth,
    judge_network_project,
    manual_redis_fix,
    upper,
    with_enable,
)
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import Deployed, each, services
from mobius_gate.rules.values import parse_redis_url
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict

#: Memorystore with in-transit encryption answers TLS only (``rediss://``); otherwise plain ``redis://``.
TLS_MODE = "SERVER_AUTHENTICATION"


@check("INF-REDIS", each(lambda spec: [spec.redis.name]), section=lambda _, spec: spec.redis.section)
def test_redis_instance(name: str, judge: Judge) -> Verdict:
    """§1.2 Create Redis (Memorystore): the instance exists, is READY and is as created.

    > gcloud redis instances create mobius-redis
    > --tier=basic
    > --size=1
    > --redis-version=redis_7_0
    > --connect-mode=private-service-access
    > Redis instance is RUNNING

    The network is this project's ``default`` (a Shared VPC host's is another); no AUTH unless
    every REDIS_URL carries its string (the checklist's URL has no password).
    """
    spec, inv, want = judge.spec, judge.inv, judge.spec.redis
    instance = inv.redis_instance(name)
    if instance is None:
        fix = with_enable(create_redis(spec, judge.where), inv, REDIS_API, inv.redis_instances)
        reason = absent_reason("instance", inv.redis_instances, REDIS_API, inv.project)
        return judge.failed(reason, expected="READY", actual="absent", fix=fix)
    found = Findings()
    found.compare("state", "READY", upper(instance.state))
    found.compare("tier", want.tier.upper(), upper(instance.tier))
    found.compare("memory_size_gb", want.memory_size_gb, instance.memory_size_gb)
    found.compare("redis_version", want.redis_version.upper(), upper(instance.redis_version))
    found.compare("connect_mode", want.connect_mode.upper(), upper(instance.connect_mode))
    found.compare("authorized_network", want.network, instance.authorized_network)
    owner = instance.authorized_network_project
    judge_network_project(found, "network_project", owner, instance.authorized_network, inv.project)
    judge_auth(found, instance, inv, spec)
    ok = f"READY, {want.tier} {want.memory_size_gb} GB {want.redis_version} {want.connect_mode}"
    fix = manual_redis_fix(spec, judge.where, found.labels) or repair_redis(spec, judge.where, found.labels)
    return judge.findings(found, what="instance not as specified", fix=fix, ok=ok)


def _instance_address(instance: RedisInstance, spec: Checklist) -> str | None:
    return f"{instance.host}:{instance.port or spec.redis.port}" if instance.host else None


@check(
    "INF-REDIS-URL",
    services(lambda svc: svc.uses_redis),
    section=lambda svc, spec: f"{spec.redis.section}; {svc.section}",
)
def test_redis_url_points_at_instance(it: Deployed, judge: Judge) -> Verdict:
    """§1.2 / §3.1: every REDIS_URL is the checklist's URL: scheme, the instance's host:port, database index.

    A URL without a database index selects database 0 (redis-py's default), as ``/0`` does.

    > # Get the private IP after creation
    > export REDIS_URL="redis://<REDIS_IP>:6379/0"
    """
    redis = judge.spec.redis
    instance = judge.inv.redis_instance(redis.name)
    if instance is None:
        return judge.na(f"Redis instance {redis.name} missing (see INF-REDIS)")
    address = _instance_address(instance, judge.spec)
    if address is None:
        return judge.errored(f"cannot confirm: host of {redis.name} (field absent)")
    var = it.service.env_value("REDIS_URL")
    if var is None:
        return judge.na("REDIS_URL not set (see SVC-ENV)")
    scheme = "rediss" if (instance.transit_encryption_mode or "").upper() == TLS_MODE else "redis"
    want = redis_url(address, redis.database, scheme)
    if var.secret_ref is not None:
        secret = var.secret_ref.secret
        why = "a private-IP URL is no credential"
        fix = confirm_secret_or_plain(judge.requirement, it.spec, judge.where, "REDIS_URL", secret, want, why)
        return judge.errored(
            f"cannot confirm: REDIS_URL comes from secret {secret}, whose value is never read", fix=judge.then(fix)
        )
    fix = judge.update(it.spec, update_env_vars={"REDIS_URL": want})
    value = var.value or ""
    url = parse_redis_url(value, redis.port)
    if url is None:
        return judge.failed("REDIS_URL is not a redis://host:port URL", expected=want, actual=value, fix=fix)
    if url.address != address:
        reason = f"REDIS_URL points at {url.address}, not at {redis.name}"
        return judge.failed(reason, expected=address, actual=url.address, fix=fix)
    if url.scheme != scheme:
        tls = "requires TLS" if scheme == "rediss" else "has no in-transit encryption"
        reason = f"REDIS_URL uses {url.scheme}://, but {redis.name} {tls} ({scheme}://)"
        return judge.failed(reason, expected=want, actual=url.shown(), fix=fix)
    if url.db != redis.database:
        reason = f"REDIS_URL selects database {url.db_text}, not {redis.database}: its jobs go to another queue"
        return judge.failed(reason, expected=want, actual=url.shown(), fix=fix)
    return judge.passed(f"REDIS_URL points at {redis.name} ({address}), database {url.db}")
