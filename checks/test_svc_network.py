"""Phase 3 networking: the VPC connector and egress of every Redis user, and one queue per API/worker pair."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mobius_gate.fixes import Step, redis_url
from mobius_gate.inventory import EnvVar
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings, shown
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.services import connector_deviation, instance_address, lessons
from mobius_gate.rules.subjects import Deployed, each, services
from mobius_gate.rules.values import RedisUrl, parse_redis_url, redis_address
from mobius_gate.spec import Checklist, ServiceSpec
from mobius_gate.symptoms import JOBS_WAIT, SERVICE_CANT_REACH_REDIS
from mobius_gate.verdict import Verdict

SHARED_SECTION = "Common Issues & Fixes: Waiting for worker..."


def _vpc_fix(it: Deployed, judge: Judge) -> Any:
    return judge.update(it.spec, vpc_connector=it.spec.vpc_connector, vpc_egress=it.spec.vpc_egress)


@check("SVC-VPC-CONNECTOR", services(lambda svc: svc.vpc_connector is not None), section=lessons)
def test_vpc_connector_attached(it: Deployed, judge: Judge) -> Verdict:
    """§3 Critical Configuration Lessons: every Redis user has the VPC connector.

    > | `--vpc-connector` | Required to reach Redis private IP | All services using Redis |
    > **Fix:** Deploy with `--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only`
    """
    want = it.spec.vpc_connector
    if it.service.vpc_connector == want:
        return _same_connector(it, judge)
    if it.service.vpc_connector is None and (it.service.vpc_network or it.service.vpc_subnetwork):
        return _direct_vpc(it, judge)
    actual = it.service.vpc_connector or "no VPC connector"
    reason = f"does not use {want}: {SERVICE_CANT_REACH_REDIS}"
    return judge.failed(reason, expected=want, actual=actual, fix=_vpc_fix(it, judge))


def _direct_vpc(it: Deployed, judge: Judge) -> Verdict:
    """On Direct VPC egress: it has VPC access, only not the checklist's connector (not "no VPC access")."""
    want, svc = it.spec.vpc_connector, it.service
    place = f"network {svc.vpc_network or '(looked up from the subnet)'}, subnet {svc.vpc_subnetwork}"
    reason = f"uses Direct VPC egress ({place}) instead of the checklist's connector {want}"
    where = judge.where
    clear = f"gcloud run services update {it.name} --clear-network --region={where.region} --project={where.project}"
    note = f"leave Direct VPC first ({clear}), then attach the connector"
    fix = _vpc_fix(it, judge)
    return judge.failed(reason, expected=want, actual=f"Direct VPC egress: {place}", fix=judge.then(fix, note=note))


def _same_connector(it: Deployed, judge: Judge) -> Verdict:
    """The short name matches: so must the project and region of its path (another project's
    ``mobius-redis-connector`` does not reach this project's Redis)."""
    want, connector = it.spec.vpc_connector, judge.spec.vpc_connector
    region = connector.region if want == connector.name else judge.inv.region
    where = (judge.inv.project, region, want)
    differs = connector_deviation(it.service.vpc_connector_path, it.service.vpc_connector, where)
    if differs is None:
        return judge.passed(f"uses {want}")
    (what, known), expected = differs, "projects/{}/locations/{}/connectors/{}".format(*where)
    actual = it.service.vpc_connector_path or want
    if not known:
        return judge.errored(f"cannot confirm the connector: {what}", expected=expected, actual=actual)
    reason = f"uses a {want} in {what}: {SERVICE_CANT_REACH_REDIS}"
    return judge.failed(reason, expected=expected, actual=actual, fix=_vpc_fix(it, judge))


@check("SVC-VPC-EGRESS", services(lambda svc: svc.vpc_egress is not None), section=lessons)
def test_vpc_egress(it: Deployed, judge: Judge) -> Verdict:
    """§3 Critical Configuration Lessons: VPC egress is private-ranges-only.

    > | `--vpc-egress=private-ranges-only` | Route only private IPs through VPC | All services with VPC connector |
    """
    want = it.spec.vpc_egress
    if it.service.vpc_egress == want:
        return judge.passed(f"egress {want}")
    actual = it.service.vpc_egress or "no VPC egress (no VPC access configured)"
    return judge.failed(f"VPC egress is not {want}", expected=want, actual=actual, fix=_vpc_fix(it, judge))


def _pairs(spec: Checklist) -> list[tuple[ServiceSpec, ServiceSpec]]:
    return [
        (svc, spec.service(partner))
        for svc in spec.services
        for partner in svc.pairs_with
        if svc.uses_redis and spec.service(partner).uses_redis
    ]


def _same_redis_url(a: EnvVar | None, b: EnvVar | None, port: int) -> bool | None:
    """True/False when comparable; None when a value lives in Secret Manager and cannot be compared.

    Compared as redis-py dials them (scheme, host:port, database, credentials): ``/0`` and no index are one.
    """
    if a is None or b is None:
        return False
    if a.secret_ref is not None or b.secret_ref is not None:
        if a.secret_ref is not None and b.secret_ref is not None:
            return a.secret_ref == b.secret_ref
        return None
    parsed = parse_redis_url(a.value, port), parse_redis_url(b.value, port)
    if parsed[0] is not None and parsed[1] is not None:
        return parsed[0] == parsed[1]
    return (a.value or "") == (b.value or "") and bool(a.value)


@check("SVC-REDIS-SHARED", each(_pairs, lambda pair: f"{pair[0].name}+{pair[1].name}"), section=SHARED_SECTION)
def test_redis_shared(pair: tuple[ServiceSpec, ServiceSpec], judge: Judge) -> Verdict:
    """Common Issues & Fixes, "Waiting for worker...": API and worker share one queue.

    > **Cause:** API and worker not sharing Redis, or VPC connector missing
    > 1. Verify both have `QUEUE_TYPE=redis` and same `REDIS_URL`
    """
    missing = [s.name for s in pair if judge.inv.service(s.name) is None]
    if missing:
        return judge.na(f"{', '.join(missing)} not deployed (see SVC-DEPLOYED)")
    deployed = [Deployed(s, judge.inv.service(s.name)) for s in pair]  # type: ignore[arg-type]
    found = Findings()
    addresses, steps = _compare_urls(deployed, judge, found)
    steps += _compare_queue_type(deployed, judge, found)
    queue = any("QUEUE_TYPE" in s.env for s in pair)
    ok = f"share REDIS_URL ({addresses[0]})" + (" and QUEUE_TYPE" if queue else "")
    fix = judge.fix(_merged(steps))
    what = "API and worker do not share one queue"
    return judge.findings(found, what=what, consequence=JOBS_WAIT, fix=fix, ok=ok)


def _compare_urls(pair: list[Deployed], judge: Judge, found: Findings) -> tuple[list[str], list[Step]]:
    """REDIS_URL identical on both; the step that points the odd one at the instance."""
    redis = judge.spec.redis
    urls = [it.service.env_value("REDIS_URL") for it in pair]
    shown_addr = [redis_address(u, redis.port) for u in urls]
    same = _same_redis_url(urls[0], urls[1], redis.port)
    if same is None:
        found.cannot_confirm("that REDIS_URL is identical (one comes from Secret Manager, whose value is never read)")
        return shown_addr, []
    if same:
        return shown_addr, []
    (api, worker), note = pair, ""
    parsed = [parse_redis_url(u.value if u else None, redis.port) for u in urls]
    if shown_addr[0] == shown_addr[1]:
        dbs = [p.db_text if p else "?" for p in parsed]
        note = (
            f" (same host:port; database {dbs[0]} vs {dbs[1]})"
            if dbs[0] != dbs[1]
            else " (same host:port; credentials differ)"
        )
    found.deviate(
        "REDIS_URL",
        f"identical on both ({shown_addr[0]})",
        f"differ: {api.name}={shown_addr[0]}, {worker.name}={shown_addr[1]}{note}",
    )
    target = instance_address(judge.spec, judge.inv) or next((p.address for p in parsed if p), None)
    # The one(s) off the checklist's redis://<REDIS_IP>:6379/0 get it; the conformant one is left alone.
    off = [it for it, p in zip(pair, parsed, strict=True) if not _is_checklist_url(p, target, redis.database)]
    env = {"REDIS_URL": redis_url(target, redis.database)}
    return shown_addr, [judge.update(it.spec, update_env_vars=env).steps[0] for it in off or [worker]]


def _is_checklist_url(url: RedisUrl | None, address: str | None, database: int) -> bool:
    return url is not None and url.address == address and url.db == database


def _compare_queue_type(pair: list[Deployed], judge: Judge, found: Findings) -> list[Step]:
    """QUEUE_TYPE as the checklist requires it, on both."""
    required = [it.spec.env["QUEUE_TYPE"] for it in pair if "QUEUE_TYPE" in it.spec.env]
    if not required:
        return []
    want = required[0]
    values = [it.service.env_value("QUEUE_TYPE") for it in pair]
    actual = [(v.value if v is not None and v.secret_ref is None else None) for v in values]
    if all(a == want for a in actual):
        return []
    pretty = ", ".join(
        f"{it.name}={shown(a) if a is not None else 'unset'}" for it, a in zip(pair, actual, strict=True)
    )
    found.deviate("QUEUE_TYPE", f"{want} on both", pretty)
    wrong = [it for it, a in zip(pair, actual, strict=True) if a != want]
    return [judge.update(it.spec, update_env_vars={"QUEUE_TYPE": want}).steps[0] for it in wrong]


def _merged(steps: Iterable[Step]) -> list[Step]:
    """One env update per service."""
    merged: dict[str, dict[str, Any]] = {}
    first: dict[str, Step] = {}
    for step in steps:
        first.setdefault(step.target, step)
        merged.setdefault(step.target, {}).update(step.params.get("update_env_vars", {}))
    return [
        Step(s.operation, s.target, s.project, s.region, {"update_env_vars": merged[s.target]}) for s in first.values()
    ]
