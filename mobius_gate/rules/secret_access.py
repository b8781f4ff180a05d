"""Who uses a secret and who may access it (INF-SECRET): the secret's IAM policy and the project's."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mobius_gate.fixes import Fix
from mobius_gate.inventory import Inventory, Secret, SecretVersion
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.spec import Checklist

#: service → (its account, the versions of the secret it references).
Users = dict[str, tuple[str | None, list[str]]]


def secret_names(spec: Checklist) -> list[str]:
    """The checklist's secrets, then every secret a service of the checklist references."""
    names = list(spec.secrets.required)
    for svc in spec.services:
        for env_name in svc.secrets:
            secret, _ = svc.secret_ref(env_name)
            if secret not in names:
                names.append(secret)
    return names


def secret_users(name: str, spec: Checklist, inv: Inventory) -> Users:
    """service → (its account, versions it references) for every service using secret ``name``."""
    users: Users = {}
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
class ProjectGrants:
    """What the project IAM policy says about secret access (read or not)."""

    read: bool
    #: Why it could not be read (``read`` False).
    cause: str
    #: Members holding a secret-access role on the project, unconditionally / only under a condition.
    members: frozenset[str] = frozenset()
    conditional: frozenset[str] = frozenset()

    @classmethod
    def of(cls, inv: Inventory) -> ProjectGrants:
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


def _judge_access(service: str, account: str, secret: Secret, project: ProjectGrants, found: Findings) -> bool:
    """Record whether ``account`` may access ``secret``; True when it needs a secret-level grant.

    Access is granted on the secret's own IAM policy or on the project's (a role in
    :data:`~mobius_gate.inventory.SECRET_ACCESS_ROLES`). It is a failure only when both
    policies were read and neither grants it; an unread policy, or a grant only under an IAM
    condition (on either policy), makes it "cannot confirm".
    """
    on_secret = secret.accessors is not None and _holds(secret.accessors, account)
    if on_secret or project.grants(account):
        return False
    unknown = []
    if not project.read:
        unknown.append(project.cause)
    elif _holds(project.conditional, account):
        unknown.append("only a conditional project-level grant")
    conditional = _holds(secret.conditional_accessors, account)
    if conditional:
        unknown.append("its condition is not evaluated")
    if secret.accessors is None or unknown:
        secret_side = "accessors not read" if secret.accessors is None else "not on the secret's IAM policy"
        if conditional:
            secret_side = "only a conditional grant on the secret's IAM policy"
        found.cannot_confirm(f"access for {service} ({'; '.join([secret_side, *unknown])})")
        return False
    found.deviate(
        f"access for {service}",
        f"serviceAccount:{account} holds secretAccessor on the secret or the project",
        "on neither the secret's IAM policy nor the project's (both read)",
    )
    return True


def judge_secret(secret: Secret, users: Users, found: Findings, project: ProjectGrants) -> list[str]:
    """Versions and accessors of one existing secret; returns the accounts that need a grant."""
    if secret.versions is None:
        found.cannot_confirm("versions (not listed)")
    elif not secret.has_enabled_version:
        states = ", ".join(f"{v.name}={v.state}" for v in secret.versions) or "no versions"
        found.deviate("enabled version", "at least one ENABLED", states)
    if secret.versions is not None:
        _judge_references(secret, users, found)
    grants: list[str] = []
    for service, (account, _) in sorted(users.items()):
        if account is None:
            found.cannot_confirm(f"the account of {service} (field absent)")
        elif _judge_access(service, account, secret, project, found):
            grants.append(account)
    return sorted(set(grants))


def resolve(secret: Secret, version: str) -> SecretVersion | None:
    """The version a reference names: ``latest`` is the newest version whatever its state (Secret
    Manager does not skip a DISABLED or DESTROYED newest one), an alias its version, a number itself;
    None when there is no such version (or versions were not listed)."""
    if not secret.versions:
        return None
    if version == "latest":
        return max(secret.versions, key=lambda v: (int(v.name) if v.name.isdigit() else -1, v.name))
    wanted = secret.aliases.get(version, version)
    return next((v for v in secret.versions if v.name == wanted), None)


def _judge_references(secret: Secret, users: Users, found: Findings) -> None:
    """Each version a service references resolves to an ENABLED one (``latest`` = the newest, whatever its state)."""
    latest_users = sorted(service for service, (_, versions) in users.items() if "latest" in versions)
    newest = resolve(secret, "latest")
    # With no ENABLED version at all, "enabled version" above already says it.
    if newest is not None and newest.state != "ENABLED" and secret.has_enabled_version and latest_users:
        enabled = ", ".join(v.name for v in secret.versions or [] if v.state == "ENABLED")
        found.deviate(
            "latest",
            "the newest version ENABLED",
            f"version {newest.name} {newest.state} (ENABLED: {enabled}), "
            f"so no new instance of {', '.join(latest_users)} can start",
        )
    for service, (_, versions) in sorted(users.items()):
        for version in versions:
            resolved = None if version == "latest" else resolve(secret, version)
            if version != "latest" and (resolved is None or resolved.state != "ENABLED"):
                state = resolved.state if resolved is not None else "absent"
                found.deviate(f"version {version} used by {service}", "ENABLED", state)


def version_repair(secret: Secret, users: Users) -> tuple[str | None, bool]:
    """(version to enable, whether a new version must be added) so that ``latest`` and the secret are usable.

    ``latest`` (what the checklist deploys; assumed when no service references the secret)
    is repaired at the newest version: enable it when DISABLED, add one when it is DESTROYED.
    Otherwise a secret without any ENABLED version gets its newest DISABLED one back.
    """
    if secret.versions is None:
        return None, False
    if not secret.versions:
        return None, True
    references = {v for _, versions in users.values() for v in versions} or {"latest"}
    newest = resolve(secret, "latest")
    if "latest" in references and newest is not None and newest.state != "ENABLED":
        return (newest.name, False) if newest.state == "DISABLED" else (None, True)
    if not secret.has_enabled_version:
        disabled = [v.name for v in secret.versions if v.state == "DISABLED"]
        return (max(disabled, key=version_key), False) if disabled else (None, True)
    return None, False


def accounts_to_grant(users: Users, project: ProjectGrants) -> list[str]:
    """Accounts a newly created secret must be shared with (not those the project already grants)."""
    return sorted({a for a, _ in users.values() if a and not project.grants(a)})


def version_key(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (-1, version)


def with_version_note(fix: Fix, found: Findings) -> Fix:
    """Pinned references to a version that is not ENABLED have no gcloud fix: say what to do instead."""
    pinned = [label for label in found.labels if label.startswith("version ") or " version " in label]
    if not pinned:
        return fix
    note = "point pinned references at an ENABLED version (e.g. :latest)"
    return replace(fix, note=note)


@dataclass(frozen=True)
class Unresolved:
    """A secret reference that cannot resolve to an ENABLED version, and how to repair the secret."""

    why: str
    exists: bool = True
    enable_version: str | None = None
    add_version: bool = False
    note: str | None = None


def unresolved(inv: Inventory, name: str, version: str) -> Unresolved | None:
    """Why ``name:version`` resolves to no ENABLED version; None when it does or cannot be told.

    Told only from a read secrets section (INF-SECRET judges the unreadable case). ``latest``
    resolves to the newest version whatever its state; an instance that cannot read its
    secret does not start.
    """
    if not inv.secrets.judgeable:
        return None
    secret = inv.secret(name)
    if secret is None:
        return Unresolved(f"secret {name} does not exist", exists=False, add_version=True)
    if secret.versions is None:
        return None
    resolved = resolve(secret, version)
    shown = f"{name}:{version}" + (f" (version {resolved.name})" if resolved and resolved.name != version else "")
    if resolved is None:
        if version == "latest":
            return Unresolved(f"{name} has no version", add_version=True)
        return Unresolved(f"{shown} does not exist", note=f"reference an existing version of {name}")
    if resolved.state == "ENABLED":
        return None
    why = f"{shown} is {resolved.state}"
    if resolved.state == "DISABLED":
        return Unresolved(why, enable_version=resolved.name)
    if version == "latest":
        return Unresolved(why, add_version=True, note="a DESTROYED version cannot come back: add the value anew")
    return Unresolved(why, note=f"a DESTROYED version cannot come back: reference an ENABLED version of {name}")
