"""Phase 1 §1.4 Create Secrets: each secret exists with an enabled version its users' accounts may access."""

from __future__ import annotations

from mobius_gate.fixes import Step, secret_fix
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.rules.infra import SECRETMANAGER_API, absent_reason, with_enable
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.secret_access import (
    ProjectGrants,
    accounts_to_grant,
    judge_secret,
    secret_names,
    secret_users,
    version_repair,
    with_version_note,
)
from mobius_gate.rules.subjects import each
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict

REFERENCED = "referenced-by-services"


def _section(_: str, spec: Checklist) -> str:
    return spec.secrets.section


@check("INF-SECRET", each(secret_names), section=_section)
def test_secret_ready(name: str, judge: Judge) -> Verdict:
    """§1.4 Create Secrets (if not exist): the secret exists with an enabled version its users may access.

    The version each service references must be ENABLED: ``latest`` is the newest version
    whatever its state (an older ENABLED one does not help), an alias its version.

    An account may access it when granted on the secret's IAM policy or on the project's
    (secretAccessor, secretmanager.admin or owner); an unread policy is "cannot confirm".

    > # Create any missing secrets
    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    > --set-secrets="POSTGRES_PASSWORD=db-password-mobius-rag:latest"
    > All secrets created
    """
    inv = judge.inv
    users = secret_users(name, judge.spec, inv)
    secret = inv.secret(name)
    if secret is None:
        accounts = accounts_to_grant(users, ProjectGrants.of(inv))
        fix = secret_fix(name, judge.where, exists=False, grant_to=accounts)
        fix = with_enable(fix, inv, SECRETMANAGER_API, inv.secrets)
        reason = absent_reason("secret", inv.secrets, SECRETMANAGER_API, inv.project)
        expected, details = "exists with an ENABLED version", {"used_by": ", ".join(sorted(users))}
        return judge.failed(reason, expected=expected, actual="absent", fix=fix, details=details)
    found = Findings()
    grants = judge_secret(secret, users, found, ProjectGrants.of(inv))
    enable, add = version_repair(secret, users)
    fix = secret_fix(name, judge.where, exists=True, enable_version=enable, add_version=add, grant_to=grants)
    ok = "exists with an ENABLED version; every user's account may access it"
    return judge.findings(found, what="secret not usable", fix=with_version_note(fix, found), ok=ok)


@check("INF-SECRET", each(lambda spec: [REFERENCED]), section=_section)
def test_referenced_secrets_exist(label: str, judge: Judge) -> Verdict:
    """§1.4: secrets deployed services reference beyond the checklist's exist and are usable too.

    > # Create any missing secrets
    > All secrets created
    """
    inv = judge.inv
    if not inv.services.ok:
        if inv.services.status == "disabled":
            return judge.na("no service is deployed (Cloud Run disabled)")
        cause = section_cause(inv.services, inv.services.status)
        return judge.errored(f"cannot judge: services {inv.services.status} ({cause})")
    known = set(secret_names(judge.spec))
    refs = {var.secret_ref.secret for service in inv.services.items for var in service.env if var.secret_ref}
    extra = sorted(refs - known)
    if not extra:
        return judge.passed("deployed services reference no secrets beyond the checklist's (judged per secret)")
    found = Findings()
    steps: list[Step] = []
    project = ProjectGrants.of(inv)
    for name in extra:
        users = secret_users(name, judge.spec, inv)
        secret = inv.secret(name)
        if secret is None:
            found.deviate(name, "exists", f"absent (used by {', '.join(sorted(users))})")
            steps += secret_fix(name, judge.where, exists=False, grant_to=accounts_to_grant(users, project)).steps
            continue
        sub = Findings()
        grants = judge_secret(secret, users, sub, project)
        found.wrong += [(f"{name} {what}", exp, act) for what, exp, act in sub.wrong]
        found.unknown += [f"{name}: {u}" for u in sub.unknown]
        enable, add = version_repair(secret, users)
        steps += secret_fix(
            name, judge.where, exists=True, enable_version=enable, add_version=add, grant_to=grants
        ).steps
    fix = with_version_note(judge.fix(steps), found)
    ok = f"{', '.join(extra)}: exist, enabled, accessible"
    return judge.findings(found, what="secrets referenced by services not usable", fix=fix, ok=ok)
