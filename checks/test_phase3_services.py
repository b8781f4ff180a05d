"""Phase 3: Deploy Services — each Cloud Run service against its ``gcloud run deploy`` line.

One test per (service, requirement), generated only where the requirement
applies to that service in the resolved checklist. A service that is not
deployed fails SVC-DEPLOYED once; every other check of it is not applicable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mobius_gate.fixes import (
    Fix,
    Step,
    deploy_service,
    enable_api,
    env_fix_value,
    investigate_revision,
    invoker_binding,
    move_to_secret,
    redis_url,
    reference_secret,
    secret_to_plain,
    traffic_to_latest,
    update_service,
)
from mobius_gate.inventory import EnvVar, Inventory, Service
from mobius_gate.redact import host_port
from mobius_gate.requirements import check
from mobius_gate.rules.common import LESSONS, Findings, deployed, guarded, section_cause, shown, verdict, where
from mobius_gate.rules.values import credential_kind, describe_env, leftover, redis_address
from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN, Checklist, ServiceSpec
from mobius_gate.verdict import Verdict

RUN_API = "run.googleapis.com"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
WORKER_ENTRYPOINT = "app.worker_server:app"
#: The symptoms "Common Issues & Fixes" links to these deviations (said in the reason, not as a cause).
WAITING_FOR_WORKER = 'jobs wait for a worker that never sees them ("Waiting for worker...")'
CANT_REACH_REDIS = "the service can't reach Redis"
WORKER_SHUTS_DOWN = "the worker starts then shuts down"


def services_where(predicate: Callable[[ServiceSpec], bool]) -> Callable[[Checklist], list[tuple[str, str]]]:
    """Subjects: the names of the services the requirement applies to."""
    return lambda spec: [(svc.name, svc.name) for svc in spec.services if predicate(svc)]


def _service(requirement: str, name: str, spec: Checklist, inv: Inventory) -> tuple[ServiceSpec, Service | Verdict]:
    svc = spec.service(name)
    return svc, deployed(requirement, svc, inv)


def _is_snapshot(inv: Inventory) -> bool:
    """Exported service definitions (pre-deploy gate): no runtime status, no IAM policy."""
    return inv.source.startswith("snapshot:")


def _instance_address(spec: Checklist, inv: Inventory) -> str | None:
    instance = inv.redis_instance(spec.redis.name) if inv.redis_instances.ok else None
    if instance is None or not instance.host:
        return None
    return f"{instance.host}:{instance.port or spec.redis.port}"


# --------------------------------------------------------------------------- deployed and ready


@check("SVC-DEPLOYED", subjects=services_where(lambda svc: True))
@guarded("SVC-DEPLOYED")
def test_service_deployed(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3 Deploy Services: every service of the checklist is deployed.

    > gcloud run deploy mobius-chat-api
    > | **Services** | 10 services | 2 services | Deploy 8 new services |
    > # Check all services running
    """
    svc = spec.service(name)
    service = inv.service(name)
    if service is not None:
        return verdict(
            "pass", "SVC-DEPLOYED", name, f"deployed ({service.uri or 'no URL reported'})", section=svc.section
        )
    fix = deploy_service(spec, svc, where(inv), _instance_address(spec, inv))
    reason = "not deployed"
    if inv.services.status == "disabled":
        reason += f" ({section_cause(inv.services, f'{RUN_API} is disabled in project {inv.project}')})"
        fix = Fix(fix.requirement, fix.resource, (*enable_api(RUN_API, where(inv)).steps, *fix.steps))
    return verdict(
        "fail", "SVC-DEPLOYED", name, reason, expected="deployed", actual="absent", fix=fix, section=svc.section
    )


@check("SVC-READY", subjects=services_where(lambda svc: True))
@guarded("SVC-READY")
def test_service_ready(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.2: the latest revision is ready and serves all traffic.

    > # Check all services running
    > --to-revisions=<previous-revision>=100
    """
    svc, service = _service("SVC-READY", name, spec, inv)
    if not isinstance(service, Service):
        return service
    created, ready = service.latest_created_revision, service.latest_ready_revision
    if _is_snapshot(inv) and created is None and ready is None and service.ready is None:
        return verdict(
            "na",
            "SVC-READY",
            name,
            "a snapshot carries no revision status (judged on live only)",
            section=f"4.2; {svc.section}",
        )
    found = Findings()
    if created is None:
        found.cannot_confirm("the latest created revision (field absent)")
    if ready is None:
        found.cannot_confirm("the latest ready revision (field absent)")
    if created is not None and ready is not None and created != ready:
        found.deviate("latest revision", f"{created} ready", f"latest ready is {ready}")
    if service.ready is None:
        found.cannot_confirm("the Ready condition (field absent)")
    elif not service.ready:
        found.deviate("Ready condition", "True", f"False: {service.ready_message or 'no message'}")
    if not service.traffic:
        found.cannot_confirm("traffic (field absent)")
    else:
        serving = sum(t.percent for t in service.traffic if t.latest or (ready and t.revision == ready))
        if serving != 100:
            split = ", ".join(f"{'LATEST' if t.latest else t.revision}={t.percent}%" for t in service.traffic)
            found.deviate("traffic to the latest ready revision", "100%", f"{serving}% ({split})")
    if "latest revision" in found.labels or "Ready condition" in found.labels:
        fix = investigate_revision(svc, where(inv), created or ready or "<revision>")
    else:
        fix = traffic_to_latest(svc, where(inv))
    return found.judge(
        "SVC-READY",
        name,
        what="not ready and serving",
        fix=fix,
        section=f"4.2; {svc.section}",
        ok=f"revision {ready} ready and serving 100%",
    )


# --------------------------------------------------------------------------- image and account


def _same_image(expected: str, actual: str) -> bool:
    """Equal, or the same ``repo:tag`` pinned to a digest (``...:latest@sha256:...``)."""
    return actual == expected or actual.split("@", 1)[0] == expected


@check("SVC-IMAGE", subjects=services_where(lambda svc: True))
@guarded("SVC-IMAGE")
def test_service_image(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3: the image is the checklist's (per service).

    > --image=gcr.io/$PROD_PROJECT/mobius-chat-api:latest
    """
    svc, service = _service("SVC-IMAGE", name, spec, inv)
    if not isinstance(service, Service):
        return service
    found = Findings()
    found.compare(
        "image", svc.image, service.image, same=service.image is not None and _same_image(svc.image, service.image)
    )
    fix = update_service("SVC-IMAGE", svc, where(inv), image=svc.image)
    return found.judge("SVC-IMAGE", name, what="wrong image", fix=fix, section=svc.section, ok=svc.image)


@check("SVC-ACCOUNT", subjects=services_where(lambda svc: True))
@guarded("SVC-ACCOUNT")
def test_service_account(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3: the service runs as the platform service account.

    > --service-account=$PLATFORM_SA
    > export PLATFORM_SA=<service-account>@mobiusos-new.iam.gserviceaccount.com
    """
    svc, service = _service("SVC-ACCOUNT", name, spec, inv)
    if not isinstance(service, Service):
        return service
    found = Findings()
    found.compare("service account", svc.service_account, service.service_account)
    fix = update_service("SVC-ACCOUNT", svc, where(inv), service_account=svc.service_account)
    return found.judge(
        "SVC-ACCOUNT", name, what="wrong service account", fix=fix, section=svc.section, ok=str(svc.service_account)
    )


# --------------------------------------------------------------------------- scaling and CPU


@check("SVC-CPU-ALWAYS", subjects=services_where(lambda svc: svc.cpu_always_allocated is True))
@guarded("SVC-CPU-ALWAYS")
def test_cpu_always_allocated(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3 Critical Configuration Lessons: CPU always allocated (workers, scraper API).

    > | `--no-cpu-throttling` |
    > Workers run background threads; without this, CPU is only allocated during HTTP requests
    > **Fix:** Redeploy with `--no-cpu-throttling`
    """
    svc, service = _service("SVC-CPU-ALWAYS", name, spec, inv)
    if not isinstance(service, Service):
        return service
    section = f"{LESSONS}; {svc.section}"
    if service.cpu_throttling is None:
        return verdict(
            "error",
            "SVC-CPU-ALWAYS",
            name,
            "cannot confirm CPU allocation: the Cloud Run v2 view omits cpuIdle when it is false and the Knative "
            "view (run.googleapis.com/cpu-throttling) was not available",
            fix=Fix(
                "SVC-CPU-ALWAYS",
                name,
                (),
                note=f"read it from the Knative view: gcloud run services describe {name} --region={inv.region} "
                f"--project={inv.project} --format=export (use such exports for --snapshot)",
            ),
            section=section,
        )
    if service.cpu_throttling:
        return verdict(
            "fail",
            "SVC-CPU-ALWAYS",
            name,
            "CPU is throttled (only allocated during requests)" + (f": {WORKER_SHUTS_DOWN}" if svc.is_worker else ""),
            expected="CPU always allocated (--no-cpu-throttling)",
            actual="CPU throttled",
            fix=update_service("SVC-CPU-ALWAYS", svc, where(inv), cpu_throttling=False),
            section=section,
        )
    return verdict("pass", "SVC-CPU-ALWAYS", name, "CPU always allocated", section=section)


#: ``min_instances: 0`` asks for nothing (every service has >= 0): no vacuous test for it.
@check("SVC-MIN-INSTANCES", subjects=services_where(lambda svc: bool(svc.min_instances)))
@guarded("SVC-MIN-INSTANCES")
def test_min_instances(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3 Critical Configuration Lessons: at least the checklist's minimum instances.

    > | `--min-instances=1` | Workers must always be running to poll Redis | All workers |
    """
    svc, service = _service("SVC-MIN-INSTANCES", name, spec, inv)
    if not isinstance(service, Service):
        return service
    want = svc.min_instances or 0
    found = Findings()
    actual = service.min_instances
    found.compare("min instances", f">= {want}", actual, same=actual is not None and actual >= want)
    fix = update_service("SVC-MIN-INSTANCES", svc, where(inv), min_instances=want)
    return found.judge(
        "SVC-MIN-INSTANCES",
        name,
        what="may scale to zero",
        fix=fix,
        section=f"{LESSONS}; {svc.section}",
        ok=f"min instances {actual} >= {want}",
    )


def _equal_setting(requirement: str, label: str, flag: str, attr: str) -> Callable[..., Verdict]:
    """A rule comparing one numeric Cloud Run setting for equality with the checklist."""

    def rule(name: str, spec: Checklist, inv: Inventory) -> Verdict:
        svc, service = _service(requirement, name, spec, inv)
        if not isinstance(service, Service):
            return service
        want = getattr(svc, attr)
        found = Findings()
        found.compare(label, want, getattr(service, attr))
        fix = update_service(requirement, svc, where(inv), **{attr: want})
        return found.judge(
            requirement, name, what=f"{label} not {want} ({flag})", fix=fix, section=svc.section, ok=f"{label} {want}"
        )

    return rule


_max_rule = _equal_setting("SVC-MAX-INSTANCES", "max instances", "--max-instances", "max_instances")
_timeout_rule = _equal_setting("SVC-TIMEOUT", "timeout seconds", "--timeout", "timeout_seconds")


@check("SVC-MAX-INSTANCES", subjects=services_where(lambda svc: svc.max_instances is not None))
@guarded("SVC-MAX-INSTANCES")
def test_max_instances(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3.2, §3.4-3.6: workers run exactly the checklist's maximum instances.

    > --max-instances=1
    """
    return _max_rule(name, spec, inv)


@check("SVC-TIMEOUT", subjects=services_where(lambda svc: svc.timeout_seconds is not None))
@guarded("SVC-TIMEOUT")
def test_request_timeout(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3.2, §3.4-3.6: workers have the checklist's request timeout.

    > --timeout=3600
    """
    return _timeout_rule(name, spec, inv)


# --------------------------------------------------------------------------- VPC access


def _vpc_fix(requirement: str, svc: ServiceSpec, inv: Inventory) -> Fix:
    return update_service(requirement, svc, where(inv), vpc_connector=svc.vpc_connector, vpc_egress=svc.vpc_egress)


@check("SVC-VPC-CONNECTOR", subjects=services_where(lambda svc: svc.vpc_connector is not None))
@guarded("SVC-VPC-CONNECTOR")
def test_vpc_connector_attached(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3 Critical Configuration Lessons: every Redis user has the VPC connector.

    > | `--vpc-connector` | Required to reach Redis private IP | All services using Redis |
    > **Fix:** Deploy with `--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only`
    """
    svc, service = _service("SVC-VPC-CONNECTOR", name, spec, inv)
    if not isinstance(service, Service):
        return service
    section = f"{LESSONS}; {svc.section}"
    if service.vpc_connector == svc.vpc_connector:
        return verdict("pass", "SVC-VPC-CONNECTOR", name, f"uses {svc.vpc_connector}", section=section)
    actual = service.vpc_connector or "no VPC connector"
    return verdict(
        "fail",
        "SVC-VPC-CONNECTOR",
        name,
        f"does not use {svc.vpc_connector}: {CANT_REACH_REDIS}",
        expected=svc.vpc_connector,
        actual=actual,
        fix=_vpc_fix("SVC-VPC-CONNECTOR", svc, inv),
        section=section,
    )


@check("SVC-VPC-EGRESS", subjects=services_where(lambda svc: svc.vpc_egress is not None))
@guarded("SVC-VPC-EGRESS")
def test_vpc_egress(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3 Critical Configuration Lessons: VPC egress is private-ranges-only.

    > | `--vpc-egress=private-ranges-only` | Route only private IPs through VPC | All services with VPC connector |
    """
    svc, service = _service("SVC-VPC-EGRESS", name, spec, inv)
    if not isinstance(service, Service):
        return service
    section = f"{LESSONS}; {svc.section}"
    if service.vpc_egress == svc.vpc_egress:
        return verdict("pass", "SVC-VPC-EGRESS", name, f"egress {svc.vpc_egress}", section=section)
    actual = service.vpc_egress or "no VPC egress (no VPC access configured)"
    return verdict(
        "fail",
        "SVC-VPC-EGRESS",
        name,
        f"VPC egress is not {svc.vpc_egress}",
        expected=svc.vpc_egress,
        actual=actual,
        fix=_vpc_fix("SVC-VPC-EGRESS", svc, inv),
        section=section,
    )


# --------------------------------------------------------------------------- environment


def _env_subjects(spec: Checklist) -> list[tuple[str, tuple[str, str]]]:
    return [(f"{svc.name}:{var}", (svc.name, var)) for svc in spec.services for var in svc.env]


def _required_text(required: str) -> str:
    if required == PRESENT:
        return "set to a real value"
    if required == REDIS_URL_TOKEN:
        return "set to the Memorystore URL (judged by INF-REDIS-URL)"
    return repr(required)


@check("SVC-ENV", subjects=_env_subjects)
@guarded("SVC-ENV")
def test_env_value(subject: tuple[str, str], spec: Checklist, inv: Inventory) -> Verdict:
    """§3: each required env value is set as the checklist deploys it, with no template leftover.

    > --set-env-vars="QUEUE_TYPE=redis,REDIS_URL=$REDIS_URL,CHAT_RAG_DATABASE_URL=postgresql://..."
    > --set-env-vars="WORKER_TYPE=chunking,REDIS_URL=$REDIS_URL,..."
    > --set-env-vars="ENV=prod,MOBIUS_OS_URL=...,MOBIUS_CHAT_URL=...,..."
    """
    name, env_name = subject
    svc, service = _service("SVC-ENV", name, spec, inv)
    if not isinstance(service, Service):
        return service
    required = svc.env[env_name]
    value_to_set = env_fix_value(env_name, required, _instance_address(spec, inv), spec.redis.database)
    fix = update_service("SVC-ENV", svc, where(inv), update_env_vars={env_name: value_to_set})
    expected = _required_text(required)
    details = {"env": env_name}

    def fail(reason: str, actual: str) -> Verdict:
        return verdict(
            "fail",
            "SVC-ENV",
            name,
            reason,
            expected=expected,
            actual=actual,
            fix=fix,
            section=svc.section,
            details=details,
        )

    var = service.env_value(env_name)
    if var is None:
        return fail(f"{env_name} is not set", "unset")
    if var.secret_ref is not None:
        if required in (PRESENT, REDIS_URL_TOKEN):
            return verdict(
                "pass", "SVC-ENV", name, f"{env_name} is set {describe_env(var)}", section=svc.section, details=details
            )
        return verdict(
            "error",
            "SVC-ENV",
            name,
            f"cannot confirm {env_name}={required}: it comes {describe_env(var)}, whose value is never read",
            section=svc.section,
            details=details,
            fix=f"the gate never reads secret values; {required!r} is no credential, so set it plainly: "
            + secret_to_plain("SVC-ENV", svc, where(inv), env_name, value_to_set).command(),
        )
    value = var.value or ""
    if required in (PRESENT, REDIS_URL_TOKEN):
        if not value.strip():
            return fail(f"{env_name} is empty", "empty")
        why = leftover(value)
        if why:
            return fail(f"{env_name} is a template leftover ({why})", describe_env(var))
        return verdict("pass", "SVC-ENV", name, f"{env_name} is set", section=svc.section, details=details)
    if value != required:
        return fail(f"{env_name} is {describe_env(var)}, not {required!r}", describe_env(var))
    return verdict("pass", "SVC-ENV", name, f"{env_name}={required}", section=svc.section, details=details)


def _pair_subjects(spec: Checklist) -> list[tuple[str, tuple[str, str]]]:
    pairs = []
    for svc in spec.services:
        for partner in svc.pairs_with:
            if svc.uses_redis and spec.service(partner).uses_redis:
                pairs.append((f"{svc.name}+{partner}", (svc.name, partner)))
    return pairs


def _same_redis_url(a: EnvVar | None, b: EnvVar | None) -> bool | None:
    """True/False when comparable; None when a value lives in Secret Manager and cannot be compared."""
    if a is None or b is None:
        return False
    if a.secret_ref is not None or b.secret_ref is not None:
        if a.secret_ref is not None and b.secret_ref is not None:
            return a.secret_ref == b.secret_ref
        return None
    return (a.value or "") == (b.value or "") and bool(a.value)


@check("SVC-REDIS-SHARED", subjects=_pair_subjects)
@guarded("SVC-REDIS-SHARED")
def test_redis_shared(subject: tuple[str, str], spec: Checklist, inv: Inventory) -> Verdict:
    """Common Issues & Fixes, "Waiting for worker...": API and worker share one queue.

    > **Cause:** API and worker not sharing Redis, or VPC connector missing
    > 1. Verify both have `QUEUE_TYPE=redis` and same `REDIS_URL`
    """
    api_name, partner_name = subject
    resource = f"{api_name}+{partner_name}"
    section = "Common Issues & Fixes: Waiting for worker..."
    specs = (spec.service(api_name), spec.service(partner_name))
    missing = [s.name for s in specs if inv.service(s.name) is None]
    if missing:
        return verdict(
            "na", "SVC-REDIS-SHARED", resource, f"{', '.join(missing)} not deployed (see SVC-DEPLOYED)", section=section
        )
    services = [inv.service(s.name) for s in specs]
    urls = [s.env_value("REDIS_URL") for s in services if s is not None]
    found = Findings()
    steps: list[Step] = []
    same = _same_redis_url(urls[0], urls[1])
    shown_addr = [redis_address(u, spec.redis.port) for u in urls]
    target = _instance_address(spec, inv) or host_port(urls[0].value if urls[0] else None, spec.redis.port)
    if same is None:
        found.cannot_confirm("that REDIS_URL is identical (one comes from Secret Manager, whose value is never read)")
    elif not same:
        note = " (same host:port; database or credentials differ)" if shown_addr[0] == shown_addr[1] else ""
        found.deviate(
            "REDIS_URL",
            f"identical on both ({shown_addr[0]})",
            f"differ: {api_name}={shown_addr[0]}, {partner_name}={shown_addr[1]}{note}",
        )
        off = [svc for svc, addr in zip(specs, shown_addr, strict=True) if addr != target] or [specs[1]]
        steps += [_env_step(svc, inv, {"REDIS_URL": redis_url(target, spec.redis.database)}) for svc in off]
    queue_required = [s.env["QUEUE_TYPE"] for s in specs if "QUEUE_TYPE" in s.env]
    if queue_required:
        want = queue_required[0]
        values = [s.env_value("QUEUE_TYPE") for s in services if s is not None]
        actual = [(v.value if v is not None and v.secret_ref is None else None) for v in values]
        if any(a != want for a in actual):
            pretty = ", ".join(
                f"{s.name}={shown(a) if a is not None else 'unset'}" for s, a in zip(specs, actual, strict=True)
            )
            found.deviate("QUEUE_TYPE", f"{want} on both", pretty)
            steps += [_env_step(s, inv, {"QUEUE_TYPE": want}) for s, a in zip(specs, actual, strict=True) if a != want]
    fix = Fix("SVC-REDIS-SHARED", resource, tuple(_dedupe(steps)))
    return found.judge(
        "SVC-REDIS-SHARED",
        resource,
        what="API and worker do not share one queue",
        consequence=WAITING_FOR_WORKER,
        fix=fix,
        section=section,
        ok=f"share REDIS_URL ({shown_addr[0]})" + (" and QUEUE_TYPE" if queue_required else ""),
    )


def _env_step(svc: ServiceSpec, inv: Inventory, env: dict[str, str]) -> Step:
    return update_service("SVC-REDIS-SHARED", svc, where(inv), update_env_vars=env).steps[0]


def _dedupe(steps: Iterable[Step]) -> list[Step]:
    """Merge env updates per service into one step each."""
    merged: dict[str, dict[str, Any]] = {}
    first: dict[str, Step] = {}
    for step in steps:
        first.setdefault(step.target, step)
        merged.setdefault(step.target, {}).update(step.params.get("update_env_vars", {}))
    return [
        Step(s.operation, s.target, s.project, s.region, {"update_env_vars": merged[s.target]}) for s in first.values()
    ]


def _secret_env_subjects(spec: Checklist) -> list[tuple[str, tuple[str, str]]]:
    return [(f"{svc.name}:{env}", (svc.name, env)) for svc in spec.services for env in svc.secrets]


@check("SVC-SECRET-REF", subjects=_secret_env_subjects)
@guarded("SVC-SECRET-REF")
def test_secret_reference(subject: tuple[str, str], spec: Checklist, inv: Inventory) -> Verdict:
    """§3.1, §3.2, §3.7: secret env vars come from Secret Manager, not plain values.

    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    > --set-secrets="POSTGRES_PASSWORD=db-password-mobius-rag:latest"
    """
    name, env_name = subject
    svc, service = _service("SVC-SECRET-REF", name, spec, inv)
    if not isinstance(service, Service):
        return service
    secret, version = svc.secret_ref(env_name)
    ref = f"{secret}:{version}"
    details = {"env": env_name}
    var = service.env_value(env_name)
    if var is not None and var.secret_ref is not None:
        actual = f"{var.secret_ref.secret}:{var.secret_ref.version}"
        if actual == ref:
            return verdict(
                "pass", "SVC-SECRET-REF", name, f"{env_name} from secret {ref}", section=svc.section, details=details
            )
        return verdict(
            "fail",
            "SVC-SECRET-REF",
            name,
            f"{env_name} references the wrong secret",
            expected=ref,
            actual=actual,
            section=svc.section,
            details=details,
            fix=reference_secret("SVC-SECRET-REF", svc, where(inv), env_name, ref, remove_plain=False),
        )
    plain = var is not None
    reason = f"{env_name} is a plain env value, not from Secret Manager" if plain else f"{env_name} is not set"
    return verdict(
        "fail",
        "SVC-SECRET-REF",
        name,
        reason,
        expected=f"secret {ref}",
        actual="plain value (masked)" if plain else "unset",
        section=svc.section,
        details=details,
        fix=reference_secret("SVC-SECRET-REF", svc, where(inv), env_name, ref, remove_plain=plain),
    )


# --------------------------------------------------------------------------- Cloud SQL, ingress, command


@check("SVC-CLOUDSQL", subjects=services_where(lambda svc: svc.cloudsql))
@guarded("SVC-CLOUDSQL")
def test_cloudsql_attached(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3.1, §3.2, §3.5, §3.6: the Cloud SQL instance is attached.

    > --add-cloudsql-instances=$CLOUDSQL_CONNECTION
    > export CLOUDSQL_CONNECTION=mobiusos-new:us-central1:mobius-platform-db
    """
    svc, service = _service("SVC-CLOUDSQL", name, spec, inv)
    if not isinstance(service, Service):
        return service
    want = spec.cloud_sql.connection_name
    if want in service.cloudsql_instances:
        return verdict("pass", "SVC-CLOUDSQL", name, f"{want} attached", section=svc.section)
    return verdict(
        "fail",
        "SVC-CLOUDSQL",
        name,
        f"Cloud SQL instance {want} not attached",
        expected=want,
        actual=shown(service.cloudsql_instances),
        section=svc.section,
        fix=update_service("SVC-CLOUDSQL", svc, where(inv), add_cloudsql_instances=[want]),
    )


@check("SVC-INGRESS", subjects=services_where(lambda svc: svc.public is not None))
@guarded("SVC-INGRESS")
def test_ingress(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3: public services allow unauthenticated calls; mobius-dbt-ui must not.

    > --allow-unauthenticated
    > --allow-unauthenticated=false
    """
    svc, service = _service("SVC-INGRESS", name, spec, inv)
    if not isinstance(service, Service):
        return service
    if service.invoker_members is None and _is_snapshot(inv):
        return verdict(
            "na", "SVC-INGRESS", name, "a snapshot carries no IAM policy (judged on live only)", section=svc.section
        )
    if service.invoker_members is None:
        return verdict("error", "SVC-INGRESS", name, "cannot confirm access: IAM policy not read", section=svc.section)
    members = service.invoker_members
    found = Findings()
    steps: list[Step] = []
    if svc.public:
        if "allUsers" not in members:
            found.deviate("allUsers roles/run.invoker", "granted", "not granted")
            steps.append(invoker_binding(svc, where(inv), "allUsers", add=True))
        found.compare("ingress", "all", service.ingress)
        if service.ingress not in (None, "all"):
            steps += update_service("SVC-INGRESS", svc, where(inv), ingress="all").steps
        ok = "public: allUsers may invoke, ingress all"
    else:
        for member in PUBLIC_MEMBERS:
            if member in members:
                found.deviate(f"{member} roles/run.invoker", "not granted", "granted")
                steps.append(invoker_binding(svc, where(inv), member, add=False))
        ok = "private: neither allUsers nor allAuthenticatedUsers may invoke"
    fix = Fix("SVC-INGRESS", name, tuple(steps))
    what = "not publicly invocable" if svc.public else "publicly invocable, must require authentication"
    return found.judge("SVC-INGRESS", name, what=what, fix=fix, section=svc.section, ok=ok)


@check("SVC-COMMAND", subjects=services_where(lambda svc: svc.command is not None or svc.args is not None))
@guarded("SVC-COMMAND")
def test_worker_command(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§3.2, §3.4: the worker runs the worker server (HTTP health + worker thread).

    > --command="python"
    > --args="-m,uvicorn,app.worker_server:app,--host,0.0.0.0,--port,8080"
    > --command="uvicorn"
    > --args="app.worker_server:app,--host,0.0.0.0,--port,8080"
    > we created `worker_server.py` that runs Uvicorn + spawns worker thread
    """
    svc, service = _service("SVC-COMMAND", name, spec, inv)
    if not isinstance(service, Service):
        return service
    found = Findings()
    if svc.command is not None:
        found.compare("command", svc.command, service.command)
    if svc.args is not None:
        found.compare("args", svc.args, service.args)
    wanted_entry = WORKER_ENTRYPOINT in [*(svc.command or []), *(svc.args or [])]
    if wanted_entry and WORKER_ENTRYPOINT not in [*service.command, *service.args] and not found.wrong:
        found.deviate("entrypoint", WORKER_ENTRYPOINT, "absent from command and args")
    fix = update_service("SVC-COMMAND", svc, where(inv), command=svc.command, args=svc.args)
    return found.judge(
        "SVC-COMMAND",
        name,
        what="does not run the worker server",
        fix=fix,
        section=svc.section,
        ok=f"runs {' '.join([*(svc.command or []), *(svc.args or [])])}",
    )


# --------------------------------------------------------------------------- credentials in plain env


@check("SVC-PLAINTEXT-CREDS", subjects=services_where(lambda svc: True))
@guarded("SVC-PLAINTEXT-CREDS")
def test_no_plaintext_credentials(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """Advisory: credentials belong in Secret Manager (§1.4), not in plain env values.

    > # echo -n "your-secret-value" | gcloud secrets versions add jwt-secret --data-file=- --project=$PROD_PROJECT
    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    """
    svc, service = _service("SVC-PLAINTEXT-CREDS", name, spec, inv)
    if not isinstance(service, Service):
        return service
    offenders = [(var, kind) for var in service.env if (kind := credential_kind(var))]
    if not offenders:
        return verdict("pass", "SVC-PLAINTEXT-CREDS", name, "no credentials in plain env values", section=svc.section)
    steps: list[Step] = []
    for var, _ in offenders:
        if var.name in svc.secrets:  # the checklist names its secret (INF-SECRET makes sure it exists)
            ref = ":".join(svc.secret_ref(var.name))
            steps += reference_secret("SVC-PLAINTEXT-CREDS", svc, where(inv), var.name, ref, remove_plain=True).steps
        else:
            ref = f"{name}-{var.name.lower().replace('_', '-')}:latest"
            steps += move_to_secret("SVC-PLAINTEXT-CREDS", svc, where(inv), var.name, ref).steps
    listed = ", ".join(f"{var.name} ({kind})" for var, kind in offenders)
    return verdict(
        "fail",
        "SVC-PLAINTEXT-CREDS",
        name,
        f"credentials in plain env values: {listed}",
        expected="credentials from Secret Manager",
        actual=f"plain: {listed}",
        fix=Fix("SVC-PLAINTEXT-CREDS", name, tuple(steps)),
        section=f"1.4; {svc.section}",
    )
