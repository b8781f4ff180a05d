"""Phase 3 env and secrets: required env values, secret references, no credentials in plain values."""

from __future__ import annotations

from mobius_gate.fixes import Fix, Step, env_fix_value, move_to_secret, reference_secret, secret_fix, secret_to_plain
from mobius_gate.inventory import SecretKeyRef
from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.secret_access import unresolved
from mobius_gate.rules.services import instance_address
from mobius_gate.rules.subjects import Deployed, service_envs, services
from mobius_gate.rules.values import credential_kind, describe_env, leftover
from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN
from mobius_gate.verdict import Verdict


def _required_text(required: str) -> str:
    if required == PRESENT:
        return "set to a real value"
    if required == REDIS_URL_TOKEN:
        return "set to the Memorystore URL (judged by INF-REDIS-URL)"
    return repr(required)


@check("SVC-ENV", service_envs(lambda svc: svc.env))
def test_env_value(it: Deployed, judge: Judge) -> Verdict:
    """§3: each required env value is set as the checklist deploys it, with no template leftover.

    > --set-env-vars="QUEUE_TYPE=redis,REDIS_URL=$REDIS_URL,CHAT_RAG_DATABASE_URL=postgresql://..."
    > --set-env-vars="WORKER_TYPE=chunking,REDIS_URL=$REDIS_URL,..."
    > --set-env-vars="ENV=prod,MOBIUS_OS_URL=...,MOBIUS_CHAT_URL=...,..."
    """
    name, required, details = it.key, it.spec.env[it.key], {"env": it.key}
    value_to_set = env_fix_value(name, required, instance_address(judge.spec, judge.inv), judge.spec.redis.database)
    fix = judge.update(it.spec, update_env_vars={name: value_to_set})
    any_value = required in (PRESENT, REDIS_URL_TOKEN)

    def fail(reason: str, actual: str) -> Verdict:
        return judge.failed(reason, expected=_required_text(required), actual=actual, fix=fix, details=details)

    var = it.service.env_value(name)
    if var is None:
        return fail(f"{name} is not set", "unset")
    if dup := _duplicated(it, name):
        return fail(f"{name} is set {dup}", dup)
    if var.secret_ref is not None:
        if any_value:
            return judge.passed(f"{name} is set {describe_env(var)}", details=details)
        plain = secret_to_plain(judge.requirement, it.spec, judge.where, name, value_to_set)
        note = f"the gate never reads secret values; {required!r} is no credential, so set it plainly"
        return judge.errored(
            f"cannot confirm {name}={required}: it comes {describe_env(var)}, whose value is never read",
            details=details,
            fix=judge.fix(plain.steps, note),
        )
    value = var.value or ""
    if any_value and not value.strip():
        return fail(f"{name} is empty", "empty")
    if any_value and (why := leftover(value)):
        kind = "not a production value" if why.startswith("a local address") else "a template leftover"
        return fail(f"{name} is {kind} ({why})", describe_env(var))
    if any_value:
        return judge.passed(f"{name} is set", details=details)
    if value != required:
        return fail(f"{name} is {describe_env(var)}, not {required!r}", describe_env(var))
    return judge.passed(f"{name}={required}", details=details)


@check("SVC-SECRET-REF", service_envs(lambda svc: svc.secrets))
def test_secret_reference(it: Deployed, judge: Judge) -> Verdict:
    """§3.1, §3.2, §3.7: secret env vars come from Secret Manager, not plain values, and resolve.

    The reference must resolve to an ENABLED version (``latest`` = the newest one, whatever
    its state), or no new instance of the service can start.

    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    > --set-secrets="POSTGRES_PASSWORD=db-password-mobius-rag:latest"
    """
    name, details = it.key, {"env": it.key}
    ref = ":".join(it.spec.secret_ref(name))
    var = it.service.env_value(name)
    plain = var is not None and var.secret_ref is None
    fix = judge.fix(reference_secret(judge.requirement, it.spec, judge.where, name, ref, remove_plain=plain).steps)
    if var is not None and (dup := _duplicated(it, name)):
        return judge.failed(
            f"{name} is set {dup}", expected=f"secret {ref}, once", actual=dup, details=details, fix=fix
        )
    if var is not None and var.secret_ref is not None and var.secret_ref.same_project is not True:
        return _other_project(it, judge, var.secret_ref, ref, fix)
    if var is not None and var.secret_ref is not None:
        actual = f"{var.secret_ref.secret}:{var.secret_ref.version}"
        if actual == ref:
            return _resolves(it, judge, var.secret_ref.secret, var.secret_ref.version)
        reason = f"{name} references the wrong secret"
        return judge.failed(reason, expected=ref, actual=actual, details=details, fix=fix)
    reason = f"{name} is a plain env value, not from Secret Manager" if plain else f"{name} is not set"
    actual = "plain value (masked)" if plain else "unset"
    return judge.failed(reason, expected=f"secret {ref}", actual=actual, details=details, fix=fix)


def _duplicated(it: Deployed, name: str) -> str | None:
    """``twice (…, …)`` when the service lists ``name`` more than once (which entry wins is unclear)."""
    entries = it.service.env_entries(name)
    if len(entries) < 2:
        return None
    times = "twice" if len(entries) == 2 else f"{len(entries)} times"
    return f"{times} ({', '.join(describe_env(var) for var in entries)}): a duplicate entry"


def _other_project(it: Deployed, judge: Judge, found: SecretKeyRef, ref: str, fix: Fix) -> Verdict:
    """A reference into another project (fail), or a project number that cannot be matched (error)."""
    name, details = it.key, {"env": it.key}
    actual = f"projects/{found.project}/secrets/{found.secret}:{found.version}"
    if found.same_project is None:
        reason = (
            f"cannot confirm {name} comes from this project's {ref}: it names project number {found.project}, "
            f"which cannot be matched with {judge.inv.project}"
        )
        return judge.errored(reason, details=details, fix=fix)
    reason = f"{name} references a secret of another project ({found.project}), not {judge.inv.project}'s"
    return judge.failed(reason, expected=f"{ref} in {judge.inv.project}", actual=actual, details=details, fix=fix)


def _resolves(it: Deployed, judge: Judge, secret: str, version: str) -> Verdict:
    """The right reference: pass when it resolves to an ENABLED version (or that cannot be told here)."""
    name, details = it.key, {"env": it.key}
    ref = f"{secret}:{version}"
    bad = unresolved(judge.inv, secret, version)
    if bad is None:
        return judge.passed(f"{name} from secret {ref}", details=details)
    steps = secret_fix(
        secret,
        judge.where,
        exists=bad.exists,
        enable_version=bad.enable_version,
        add_version=bad.add_version,
        requirement=judge.requirement,
    ).steps
    reason = f"{name} references {ref}, but {bad.why}: no new instance of {it.name} can start"
    fix = judge.fix(steps, bad.note)
    return judge.failed(
        reason, expected=f"{ref} resolving to an ENABLED version", actual=bad.why, details=details, fix=fix
    )


@check("SVC-PLAINTEXT-CREDS", services())
def test_no_plaintext_credentials(it: Deployed, judge: Judge) -> Verdict:
    """Advisory: credentials belong in Secret Manager (§1.4), not in plain env values.

    > # echo -n "your-secret-value" | gcloud secrets versions add jwt-secret --data-file=- --project=$PROD_PROJECT
    > --set-secrets="JWT_SECRET=jwt-secret:latest"
    """
    offenders = [(var, kind) for var in it.service.env if (kind := credential_kind(var))]
    if not offenders:
        return judge.passed("no credentials in plain env values")
    steps: list[Step] = []
    for var, _ in offenders:
        if var.name in it.spec.secrets:  # the checklist names it (§1.4 creates it)
            ref = ":".join(it.spec.secret_ref(var.name))
            steps += reference_secret(judge.requirement, it.spec, judge.where, var.name, ref, remove_plain=True).steps
        else:
            ref = f"{it.name}-{var.name.lower().replace('_', '-')}:latest"
            steps += move_to_secret(judge.requirement, it.spec, judge.where, var.name, ref).steps
    listed = ", ".join(f"{var.name} ({kind})" for var, kind in offenders)
    return judge.failed(
        f"credentials in plain env values: {listed}",
        expected="credentials from Secret Manager",
        actual=f"plain: {listed}",
        fix=judge.fix(steps),
        section=f"1.4; {it.spec.section}",
    )
