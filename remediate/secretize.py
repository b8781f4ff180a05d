"""A supplied value that is a credential goes to Secret Manager, never into a plain env var.

A deploy or update step sets an env var to a placeholder a human fills (``CHAT_RAG_DATABASE_URL=
<chat-rag-database-url>``). When the value supplied for it (``--secret-value NAME=@FILE``) is a
credential — :func:`mobius_gate.credentials.credential_kind` on the name and the value: a DSN with a
password, a credential-named variable — the step references a secret instead
(``--set-secrets NAME=chat-rag-database-url:latest``) and the plan gains, before it, the secret's
container, its version (the value from the file, never shown) and the service account's
``secretAccessor`` grant. The secret's name is the placeholder's: the variable's name in lower
case with dashes. Nothing here does I/O beyond reading the supplied file to classify its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mobius_gate.remediate.values import PLACEHOLDER, REDIS_IP, Supplied, norm

from mobius_gate.credentials import credential_kind
from mobius_gate.fixes import Step

#: Plain env parameter → the secret parameter of the same operation.
_AS_SECRET = {"set_env_vars": "set_secrets", "update_env_vars": "update_secrets"}


def _credential_placeholder(name: str, value: Any, supplied: Supplied) -> str | None:
    """The placeholder ``value`` is made of, when what fills it is a credential; else None."""
    found = PLACEHOLDER.fullmatch(str(value))
    if found is None or found.group(1) == REDIS_IP:
        return None
    placeholder = found.group(1)
    filled = next((supplied.read(n) for n in (placeholder, name) if supplied.has(n)), str(value))
    return placeholder if credential_kind(name, filled) else None


def secret_name(env_name: str) -> str:
    """The secret a credential env var is stored in: ``CHAT_RAG_DATABASE_URL`` → ``chat-rag-database-url``."""
    return norm(env_name)


def store_credentials(step: Step, supplied: Supplied, accounts: Mapping[str, str]) -> list[Step]:
    """``step`` with credential env values moved to secrets, preceded by the steps creating them."""
    if step.operation not in ("run.deploy", "run.update"):
        return [step]
    params = dict(step.params)
    account = params.get("service_account") or accounts.get(step.target)
    before: list[Step] = []
    for plain, secret in _AS_SECRET.items():
        env = dict(params.get(plain) or {})
        for name, value in list(env.items()):
            placeholder = _credential_placeholder(name, value, supplied)
            if placeholder is None:
                continue
            stored = secret_name(name)
            del env[name]
            params[secret] = {**(params.get(secret) or {}), name: f"{stored}:latest"}
            before += _secret_steps(stored, placeholder, step, account)
        if plain in params:
            params[plain] = env or None
    if not before:
        return [step]
    kept = {k: v for k, v in params.items() if v is not None}
    return [*before, Step(step.operation, step.target, step.project, step.region, kept, step.manual)]


def _secret_steps(name: str, placeholder: str, step: Step, account: str | None) -> list[Step]:
    steps = [
        Step("secrets.create", name, step.project),
        Step("secrets.versions.add", name, step.project, None, {"value": f"<{placeholder}>"}),
    ]
    if account:
        member = account if ":" in account else f"serviceAccount:{account}"
        steps.append(Step("secrets.iam.add", name, step.project, None, {"member": member}))
    return steps
