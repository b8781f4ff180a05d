"""Phase 1: Infrastructure Prerequisites — APIs, Memorystore, VPC connector, secrets.

Each rule is a pure function of (subject, checklist, inventory); ``@check``
makes it a pytest test parametrized per subject by the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass

from mobius_gate.fixes import (
    Fix,
    Step,
    create_connector,
    create_redis,
    enable_api,
    redis_url,
    repair_connector,
    repair_redis,
    secret_fix,
    secret_to_plain,
    update_service,
)
from mobius_gate.inventory import Inventory, RedisInstance, Secret, Service
from mobius_gate.redact import host_port
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings, deployed, guarded, section_cause, verdict, where
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict

REDIS_API = "redis.googleapis.com"
VPCACCESS_API = "vpcaccess.googleapis.com"
SECRETMANAGER_API = "secretmanager.googleapis.com"
REDIS_SCHEMES = ("redis", "rediss")


def _api_missing(inv: Inventory, api: str) -> bool:
    """True only when the API list was read and ``api`` is not on it."""
    return inv.apis.judgeable and api not in inv.apis.items


def _with_enable(fix: Fix, inv: Inventory, api: str, section_status: str) -> Fix:
    """Prefix ``gcloud services enable API`` when the API is known to be off."""
    if section_status != "disabled" and not _api_missing(inv, api):
        return fix
    return Fix(fix.requirement, fix.resource, (*enable_api(api, where(inv)).steps, *fix.steps), fix.note)


def _absent_reason(kind: str, section_status: str, cause: str | None, api: str, project: str) -> str:
    if section_status == "disabled":
        return f"{kind} does not exist ({cause or f'{api} is disabled in project {project}'})"
    return f"{kind} does not exist"


# --------------------------------------------------------------------------- 1.1 APIs


@check("INF-API", subjects=lambda spec: [(api, api) for api in spec.apis.required])
@guarded("INF-API")
def test_api_enabled(api: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.1 Enable Required APIs: each required API is enabled (checklist.yaml adds run, sqladmin and
    logging, which §2-§4 use).

    > gcloud services enable redis.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable vpcaccess.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable aiplatform.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable secretmanager.googleapis.com --project=$PROD_PROJECT
    """
    section = f"{spec.apis.section}"
    if api in inv.apis.items:
        return verdict("pass", "INF-API", api, "enabled", section=section)
    return verdict(
        "fail",
        "INF-API",
        api,
        f"not enabled in project {inv.project}",
        expected="enabled",
        actual="disabled",
        fix=enable_api(api, where(inv)),
        section=section,
    )


# --------------------------------------------------------------------------- 1.2 Redis


@check("INF-REDIS", subjects=lambda spec: [(spec.redis.name, spec.redis.name)])
@guarded("INF-REDIS")
def test_redis_instance(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.2 Create Redis (Memorystore): the instance exists, is READY and is as created.

    > gcloud redis instances create mobius-redis
    > --tier=basic
    > --size=1
    > --redis-version=redis_7_0
    > --connect-mode=private-service-access
    > Redis instance is RUNNING
    """
    want = spec.redis
    section = want.section
    instance = inv.redis_instance(name)
    if instance is None:
        cause = section_cause(inv.redis_instances, "") or None
        reason = _absent_reason("instance", inv.redis_instances.status, cause, REDIS_API, inv.project)
        fix = _with_enable(create_redis(spec, where(inv)), inv, REDIS_API, inv.redis_instances.status)
        return verdict("fail", "INF-REDIS", name, reason, expected="READY", actual="absent", fix=fix, section=section)
    found = Findings()
    found.compare("state", "READY", _upper(instance.state))
    found.compare("tier", want.tier.upper(), _upper(instance.tier))
    found.compare("memory_size_gb", want.memory_size_gb, instance.memory_size_gb)
    found.compare("redis_version", want.redis_version.upper(), _upper(instance.redis_version))
    found.compare("connect_mode", want.connect_mode.upper(), _upper(instance.connect_mode))
    found.compare("authorized_network", want.network, instance.authorized_network)
    fix = repair_redis(spec, where(inv), found.labels)
    return found.judge(
        "INF-REDIS",
        name,
        what="instance not as specified",
        fix=fix,
        section=section,
        ok=f"READY, {want.tier} {want.memory_size_gb} GB {want.redis_version} {want.connect_mode}",
    )


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None


def _instance_address(instance: RedisInstance, spec: Checklist) -> str | None:
    if not instance.host:
        return None
    return f"{instance.host}:{instance.port or spec.redis.port}"


@check(
    "INF-REDIS-URL",
    subjects=lambda spec: [(svc.name, svc.name) for svc in spec.redis_user_services],
)
@guarded("INF-REDIS-URL")
def test_redis_url_points_at_instance(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.2 / §3.1: every REDIS_URL points at the instance's private IP and port.

    > # Get the private IP after creation
    > export REDIS_URL="redis://<REDIS_IP>:6379/0"
    """
    svc = spec.service(name)
    section = f"{spec.redis.section}; {svc.section}"
    service = deployed("INF-REDIS-URL", svc, inv)
    if not isinstance(service, Service):
        return service
    instance = inv.redis_instance(spec.redis.name)
    if instance is None:
        return verdict(
            "na", "INF-REDIS-URL", name, f"Redis instance {spec.redis.name} missing (see INF-REDIS)", section=section
        )
    address = _instance_address(instance, spec)
    if address is None:
        return verdict(
            "error", "INF-REDIS-URL", name, f"cannot confirm: host of {spec.redis.name} (field absent)", section=section
        )
    var = service.env_value("REDIS_URL")
    if var is None:
        return verdict("na", "INF-REDIS-URL", name, "REDIS_URL not set (see SVC-ENV)", section=section)
    if var.secret_ref is not None:
        return verdict(
            "error",
            "INF-REDIS-URL",
            name,
            f"cannot confirm: REDIS_URL comes from secret {var.secret_ref.secret}, whose value is never read",
            section=section,
            fix=(
                f"the gate never reads secret values: confirm by hand that {var.secret_ref.secret} holds "
                f"redis://{address}/{spec.redis.database}, or (a private-IP URL is no credential) set it plainly: "
                + secret_to_plain(
                    "INF-REDIS-URL", svc, where(inv), "REDIS_URL", redis_url(address, spec.redis.database)
                ).command()
            ),
        )
    fix = update_service(
        "INF-REDIS-URL", svc, where(inv), update_env_vars={"REDIS_URL": redis_url(address, spec.redis.database)}
    )
    value = var.value or ""
    actual = host_port(value, default_port=spec.redis.port)
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if actual is None or scheme not in REDIS_SCHEMES:
        return verdict(
            "fail",
            "INF-REDIS-URL",
            name,
            "REDIS_URL is not a redis://host:port URL",
            expected=f"redis://{address}/{spec.redis.database}",
            actual=value,
            fix=fix,
            section=section,
        )
    if actual != address:
        return verdict(
            "fail",
            "INF-REDIS-URL",
            name,
            f"REDIS_URL points at {actual}, not at {spec.redis.name}",
            expected=address,
            actual=actual,
            fix=fix,
            section=section,
        )
    return verdict("pass", "INF-REDIS-URL", name, f"REDIS_URL points at {spec.redis.name} ({address})", section=section)


# --------------------------------------------------------------------------- 1.3 VPC connector


def _connector_subjects(spec: Checklist) -> list[tuple[str, str]]:
    names = [spec.vpc_connector.name]
    names += sorted({s.vpc_connector for s in spec.services if s.vpc_connector} - set(names))
    return [(n, n) for n in names]


@check("INF-VPC", subjects=_connector_subjects)
@guarded("INF-VPC")
def test_vpc_connector(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.3 Create VPC Connector: the connector is READY, as created, on the Redis network.

    > gcloud compute networks vpc-access connectors create mobius-redis-connector
    > --network=default
    > --range=10.8.0.0/28
    > --min-instances=2
    > --max-instances=10
    > VPC connector is READY
    """
    want = spec.vpc_connector
    primary = name == want.name
    section = want.section
    connector = inv.connector(name)
    if connector is None:
        cause = section_cause(inv.connectors, "") or None
        reason = _absent_reason("connector", inv.connectors.status, cause, VPCACCESS_API, inv.project)
        fix = _with_enable(create_connector(spec, where(inv)), inv, VPCACCESS_API, inv.connectors.status)
        users = [s.name for s in spec.services if s.vpc_connector == name]
        if not primary:
            fix = Fix("INF-VPC", name, (), f"create connector {name} or point {', '.join(users)} at {want.name}")
        return verdict(
            "fail",
            "INF-VPC",
            name,
            reason,
            expected="READY",
            actual="absent",
            fix=fix,
            section=section,
            details={"used_by": ", ".join(users)},
        )
    found = Findings()
    found.compare("state", "READY", _upper(connector.state))
    if primary:
        found.compare("network", want.network, connector.network)
        found.compare("ip_cidr_range", want.ip_cidr_range, connector.ip_cidr_range)
        found.compare("min_instances", want.min_instances, connector.min_instances)
        found.compare("max_instances", want.max_instances, connector.max_instances)
        _same_network_as_redis(found, spec, inv, connector.network)
        _named_connectors_exist(found, spec, inv)
    own = [label for label in found.labels if not label.startswith("connector of ")]
    if own and not primary:  # only its state is judged; repair_connector knows the checklist's connector only
        describe = Step("vpcaccess.describe", name, inv.project, inv.region)
        fix = Fix("INF-VPC", name, (describe,), "wait for READY; recreate if it stays in another state")
    else:
        fix = repair_connector(spec, where(inv), own) if own else Fix("INF-VPC", name, ())
    repoint = [
        Step("run.update", label.removeprefix("connector of "), inv.project, inv.region, {"vpc_connector": name})
        for label in found.labels
        if label.startswith("connector of ")
    ]
    if repoint:
        fix = Fix("INF-VPC", name, (*fix.steps, *repoint), fix.note)
    return found.judge(
        "INF-VPC",
        name,
        what="connector not as specified",
        fix=fix,
        section=section,
        ok=f"READY on network {connector.network}" + (f", {want.ip_cidr_range}" if primary else ""),
    )


def _same_network_as_redis(found: Findings, spec: Checklist, inv: Inventory, network: str | None) -> None:
    """The connector must reach Redis: same network as the instance's authorized network."""
    if not inv.redis_instances.judgeable:
        cause = section_cause(inv.redis_instances, inv.redis_instances.status)
        found.cannot_confirm(f"the Redis network (redis_instances {inv.redis_instances.status}: {cause})")
        return
    instance = inv.redis_instance(spec.redis.name)
    if instance is None or network is None:
        return  # INF-REDIS fails the missing instance; the connector is judged against the checklist
    if instance.authorized_network is None:
        found.cannot_confirm(f"the authorized network of {spec.redis.name} (field absent)")
    elif instance.authorized_network != network:
        found.deviate("redis_network", f"{instance.authorized_network} (network of {spec.redis.name})", network)


def _named_connectors_exist(found: Findings, spec: Checklist, inv: Inventory) -> None:
    """Every connector a deployed service names exists (other than the checklist's, judged above)."""
    if not inv.services.ok:
        cause = section_cause(inv.services, inv.services.status)
        if inv.services.status != "disabled":
            found.cannot_confirm(f"connectors named by services (services {inv.services.status}: {cause})")
        return
    for service in inv.services.items:
        named = service.vpc_connector
        if named and named != spec.vpc_connector.name and inv.connector(named) is None:
            found.deviate(f"connector of {service.name}", "an existing connector", f"{named} (absent)")


# --------------------------------------------------------------------------- 1.4 Secrets


def _secret_subjects(spec: Checklist) -> list[tuple[str, str]]:
    names = list(spec.secrets.required)
    for svc in spec.services:
        for env_name in svc.secrets:
            secret, _ = svc.secret_ref(env_name)
            if secret not in names:
                names.append(secret)
    return [(n, n) for n in names]


def _secret_users(name: str, spec: Checklist, inv: Inventory) -> dict[str, tuple[str | None, list[str]]]:
    """service → (its account, versions it references) for every service using secret ``name``."""
    users: dict[str, tuple[str | None, list[str]]] = {}
    for svc in spec.services:
        for env_name in svc.secrets:
            secret, version = svc.secret_ref(env_name)
            if secret == name and inv.service(svc.name) is None:
                account, versions = users.get(svc.name, (svc.service_account, []))
                users[svc.name] = (account, [*versions, version])
    if inv.services.ok:
        for service in inv.services.items:
            for var in service.env:
                if var.secret_ref is not None and var.secret_ref.secret == name:
                    _, versions = users.get(service.name, (service.service_account, []))
                    users[service.name] = (service.service_account, [*versions, var.secret_ref.version])
    return users


@dataclass(frozen=True)
class _ProjectGrants:
    """What the project IAM policy says about secret access (read or not)."""

    read: bool
    #: Why it could not be read (``read`` False).
    cause: str
    #: Members holding a secret-access role on the project, unconditionally / only under a condition.
    members: frozenset[str] = frozenset()
    conditional: frozenset[str] = frozenset()

    @classmethod
    def of(cls, inv: Inventory) -> _ProjectGrants:
        section = inv.project_iam
        if not section.ok:
            return cls(False, f"project IAM policy {section.status}: {section_cause(section, 'not read')}")
        return cls(
            True,
            "",
            frozenset(inv.project_secret_grantees()),
            frozenset(inv.project_secret_grantees(conditional=True)),
        )

    def grants(self, account: str) -> bool:
        return _holds(self.members, account)


def _holds(members: frozenset[str] | list[str], account: str) -> bool:
    return account in members or f"serviceAccount:{account}" in members


def _judge_access(service: str, account: str, secret: Secret, project: _ProjectGrants, found: Findings) -> bool:
    """Record whether ``account`` may access ``secret``; True when it needs a secret-level grant.

    Access is granted on the secret's own IAM policy or on the project's (a role in
    :data:`~mobius_gate.inventory.SECRET_ACCESS_ROLES`). It is a failure only when both
    policies were read and neither grants it; an unread policy makes it "cannot confirm".
    """
    on_secret = secret.accessors is not None and _holds(secret.accessors, account)
    if on_secret or project.grants(account):
        return False
    unknown = []
    if not project.read:
        unknown.append(project.cause)
    elif _holds(project.conditional, account):
        unknown.append("only a conditional project-level grant")
    if secret.accessors is None or unknown:
        secret_side = "accessors not read" if secret.accessors is None else "not on the secret's IAM policy"
        found.cannot_confirm(f"access for {service} ({'; '.join([secret_side, *unknown])})")
        return False
    found.deviate(
        f"access for {service}",
        f"serviceAccount:{account} holds secretAccessor on the secret or the project",
        "on neither the secret's IAM policy nor the project's (both read)",
    )
    return True


def _judge_secret(
    secret: Secret, users: dict[str, tuple[str | None, list[str]]], found: Findings, project: _ProjectGrants
) -> list[str]:
    """Versions and accessors of one existing secret; returns the accounts that need a grant."""
    if secret.versions is None:
        found.cannot_confirm("versions (not listed)")
    elif not secret.has_enabled_version:
        states = ", ".join(f"{v.name}={v.state}" for v in secret.versions) or "no versions"
        found.deviate("enabled version", "at least one ENABLED", states)
    if secret.versions is not None:
        by_id = {v.name: v.state for v in secret.versions}
        for service, (_, versions) in sorted(users.items()):
            for version in versions:
                if version != "latest" and by_id.get(version) != "ENABLED":
                    found.deviate(f"version {version} used by {service}", "ENABLED", by_id.get(version, "absent"))
    grants: list[str] = []
    for service, (account, _) in sorted(users.items()):
        if account is None:
            found.cannot_confirm(f"the account of {service} (field absent)")
        elif _judge_access(service, account, secret, project, found):
            grants.append(account)
    return sorted(set(grants))


def _accounts_to_grant(users: dict[str, tuple[str | None, list[str]]], project: _ProjectGrants) -> list[str]:
    """Accounts a newly created secret must be shared with (not those the project already grants)."""
    return sorted({a for a, _ in users.values() if a and not project.grants(a)})


@check("INF-SECRET", subjects=_secret_subjects)
@guarded("INF-SECRET")
def test_secret_ready(name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.4 Create Secrets (if not exist): the secret exists with an enabled version its users may access.

    An account may access it when granted on the secret's IAM policy or on the project's
    (secretAccessor, secretmanager.admin or owner); an unread policy is "cannot confirm".

    > # Create any missing secrets
    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    > --set-secrets="POSTGRES_PASSWORD=db-password-mobius-rag:latest"
    > All secrets created
    """
    section = spec.secrets.section
    users = _secret_users(name, spec, inv)
    secret = inv.secret(name)
    if secret is None:
        cause = section_cause(inv.secrets, "") or None
        reason = _absent_reason("secret", inv.secrets.status, cause, SECRETMANAGER_API, inv.project)
        accounts = _accounts_to_grant(users, _ProjectGrants.of(inv))
        fix = secret_fix(name, where(inv), exists=False, grant_to=accounts)
        fix = _with_enable(fix, inv, SECRETMANAGER_API, inv.secrets.status)
        return verdict(
            "fail",
            "INF-SECRET",
            name,
            reason,
            expected="exists with an ENABLED version",
            actual="absent",
            fix=fix,
            section=section,
            details={"used_by": ", ".join(sorted(users))},
        )
    found = Findings()
    grants = _judge_secret(secret, users, found, _ProjectGrants.of(inv))
    disabled = [v.name for v in secret.versions or [] if v.state == "DISABLED"]
    no_enabled = secret.has_enabled_version is False
    fix = secret_fix(
        name,
        where(inv),
        exists=True,
        enable_version=max(disabled, key=_version_key) if no_enabled and disabled else None,
        add_version=no_enabled and not disabled,
        grant_to=grants,
    )
    fix = _with_version_note(fix, found)
    return found.judge(
        "INF-SECRET",
        name,
        what="secret not usable",
        fix=fix,
        section=section,
        ok="exists with an ENABLED version; every user's account may access it",
    )


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


def _with_version_note(fix: Fix, found: Findings) -> Fix:
    """Pinned references to a version that is not ENABLED have no gcloud fix: say what to do instead."""
    pinned = [label for label in found.labels if label.startswith("version ") or " version " in label]
    if not pinned:
        return fix
    note = "point pinned references at an ENABLED version (e.g. :latest)"
    return Fix(fix.requirement, fix.resource, fix.steps, note)


@check("INF-SECRET", subjects=lambda spec: [("referenced-by-services", "referenced-by-services")])
@guarded("INF-SECRET")
def test_referenced_secrets_exist(label: str, spec: Checklist, inv: Inventory) -> Verdict:
    """§1.4: secrets deployed services reference beyond the checklist's exist and are usable too.

    > # Create any missing secrets
    > All secrets created
    """
    section = spec.secrets.section
    if not inv.services.ok:
        if inv.services.status == "disabled":
            return verdict("na", "INF-SECRET", label, "no service is deployed (Cloud Run disabled)", section=section)
        cause = section_cause(inv.services, inv.services.status)
        return verdict(
            "error", "INF-SECRET", label, f"cannot judge: services {inv.services.status} ({cause})", section=section
        )
    known = {n for n, _ in _secret_subjects(spec)}
    extra = sorted(
        {
            var.secret_ref.secret
            for service in inv.services.items
            for var in service.env
            if var.secret_ref is not None and var.secret_ref.secret not in known
        }
    )
    if not extra:
        return verdict(
            "pass",
            "INF-SECRET",
            label,
            "deployed services reference no secrets beyond the checklist's (judged per secret)",
            section=section,
        )
    found = Findings()
    steps: list[Step] = []
    project = _ProjectGrants.of(inv)
    for name in extra:
        users = _secret_users(name, spec, inv)
        secret = inv.secret(name)
        if secret is None:
            found.deviate(name, "exists", f"absent (used by {', '.join(sorted(users))})")
            accounts = _accounts_to_grant(users, project)
            steps += secret_fix(name, where(inv), exists=False, grant_to=accounts).steps
            continue
        sub = Findings()
        grants = _judge_secret(secret, users, sub, project)
        found.wrong += [(f"{name} {what}", exp, act) for what, exp, act in sub.wrong]
        found.unknown += [f"{name}: {u}" for u in sub.unknown]
        no_enabled = secret.has_enabled_version is False
        steps += secret_fix(name, where(inv), exists=True, add_version=no_enabled, grant_to=grants).steps
    fix = _with_version_note(Fix("INF-SECRET", label, tuple(steps)), found)
    return found.judge(
        "INF-SECRET",
        label,
        what="secrets referenced by services not usable",
        fix=fix,
        section=section,
        ok=f"{', '.join(extra)}: exist, enabled, accessible",
    )
