"""What the check modules share: redacted verdicts, the inspect note of errors, comparison bookkeeping.

Every verdict a check returns is built by :func:`verdict` (through its
:class:`~mobius_gate.rules.judge.Judge`), which passes each text field through
:func:`mobius_gate.redact.redact` — so no credential that reached the inventory
(a DSN password in a plain env value) can reach a message, a report or a fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mobius_gate.fixes import Fix
from mobius_gate.inventory import Section
from mobius_gate.redact import redact
from mobius_gate.verdict import Status, Verdict

#: The table every service rule of Phase 3 stems from.
LESSONS = "3 Critical Configuration Lessons from Staging"


def verdict(
    status: Status,
    requirement: str,
    resource: str,
    reason: str,
    *,
    expected: str | None = None,
    actual: str | None = None,
    fix: Fix | str | None = None,
    section: str | None = None,
    diagnosis: str | None = None,
    details: dict[str, str] | None = None,
) -> Verdict:
    """A verdict whose every text field is redacted; the structured fix rides in ``details['fix']``.

    ``fix`` is a :class:`Fix` (steps rendered as gcloud) or, for fixes no API step
    expresses (run a migration, sync data), the command text itself.
    """
    extra = {k: redact(v) or "" for k, v in (details or {}).items()}
    fix_text = None
    if isinstance(fix, str):
        fix_text = fix
    elif fix is not None and fix.steps:
        fix_text = fix.command()
        extra["fix"] = redact(fix.to_json()) or ""
    elif fix is not None and fix.note:
        fix_text = fix.note
    return Verdict(
        requirement=requirement,
        resource=redact(resource) or resource,
        status=status,
        reason=redact(reason) or reason,
        expected=redact(expected),
        actual=redact(actual),
        fix=redact(fix_text),
        section=section,
        diagnosis=redact(diagnosis),
        details=extra,
    )


#: How to read by hand what a requirement judges: ``{name}`` is the resource's first part.
_INSPECT: dict[str, str] = {
    "INF-API": "gcloud services list --enabled",
    "INF-REDIS": "gcloud redis instances describe {name} --region={region}",
    "INF-REDIS-URL": "gcloud run services describe {name} --region={region} --format=export",
    "INF-VPC": "gcloud compute networks vpc-access connectors describe {name} --region={region}",
    "INF-SECRET": "gcloud secrets versions list {name} && gcloud secrets get-iam-policy {name}",
    "DB-PRIVATE-IP": "gcloud sql instances describe {name}",
    "DB-INSTANCE": "gcloud sql instances describe {name}",
    "VER-LOGS": "gcloud run services logs read {name} --region={region}",
}
_INSPECT_SERVICE = "gcloud run services describe {name} --region={region} --format=export"
_INSPECT_DATABASE = "psql \"$CHAT_RAG_DATABASE_URL\" -c '\\dt' (through the Cloud SQL Auth Proxy)"


def inspect_note(
    requirement: str,
    resource: str,
    project: str | None = None,
    region: str | None = None,
    cause: str | None = None,
) -> str:
    """The explicit note an error carries: nothing to change yet; how to read the facts by hand, then re-run.

    ``cause`` (the error's reason) picks the advice: a database that cannot be reached needs its
    URL or the Auth Proxy, not a role; a refused login needs the password source.
    """
    name = resource.split("+", 1)[0].split(":", 1)[0].split("/", 1)[0]
    if requirement.startswith("DB-") and requirement not in _INSPECT:
        command = _INSPECT_DATABASE
    elif requirement == "INF-SECRET" and name == "referenced-by-services":
        command = "gcloud secrets list"
    else:
        command = _INSPECT.get(requirement, _INSPECT_SERVICE).format(name=name, region=region or "REGION")
    if project and not command.startswith("psql"):
        command = command.replace(" &&", f" --project={project} &&") + f" --project={project}"
    return (
        f"no gcloud change until it can be judged: make the missing facts readable ({_remedy(command, cause)}), "
        f"or read them by hand: {command}; then re-run"
    )


#: (words in a database error, the advice that fits it), first match wins.
_DATABASE_REMEDIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("invalid database url", "invalid dsn", "invalid connection option"),
        "the database URL is malformed: fix "
        "--db-url / $CHAT_RAG_DATABASE_URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)",
    ),
    (
        ("password from secret manager",),
        "the database password could not be read from Secret Manager: grant the "
        "gate's account roles/secretmanager.secretAccessor on $MOBIUS_GATE_DB_PASSWORD_SECRET",
    ),
    (
        ("password authentication failed", "no password supplied", "authentication failed", 'role "', "pg_hba.conf"),
        "the database refused the login: check the password source (the URL, "
        "$MOBIUS_GATE_DB_PASSWORD_SECRET) and the user name",
    ),
    (("permission denied",), "the database user may not read the tables: grant it SELECT (read-only is enough)"),
    (("does not exist",), "the URL names a database the server does not have: check its database name"),
    (
        (
            "connection refused",
            "could not connect",
            "timeout",
            "timed out",
            "could not translate host",
            "name or service not known",
            "no route to host",
            "network is unreachable",
            "connection failed",
        ),
        "the database is unreachable: check the Cloud SQL Auth Proxy is running and the URL's host and port",
    ),
)


def _remedy(command: str, cause: str | None) -> str:
    """What makes the facts readable, fitting the cause; the generic advice when nothing more is known."""
    text = (cause or "").lower()
    if command.startswith("psql"):
        for words, advice in _DATABASE_REMEDIES:
            if any(word in text for word in words):
                return advice
        return "the cause above: a reachable database and a user that may read it"
    return "the cause above; e.g. grant the gate's account roles/viewer"


def section_cause(section: Section[Any], default: str) -> str:
    """Why a ``disabled``/``unavailable`` section is empty, as a clause."""
    return section.cause or default


def shown(value: Any) -> str:
    """A value as messages show it: None → ``(field absent)``, lists comma-joined."""
    if value is None:
        return "(field absent)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[]"
    return str(value)


@dataclass
class Findings:
    """Expected-vs-actual bookkeeping for a check that compares several fields of one resource."""

    wrong: list[tuple[str, str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def compare(self, label: str, expected: Any, actual: Any, *, same: bool | None = None) -> None:
        """Record a deviation (``same`` False or values unequal) or an unknown (``actual`` None)."""
        if actual is None:
            self.unknown.append(f"{label} (field absent)")
            return
        if same is None:
            same = expected == actual
        if not same:
            self.wrong.append((label, shown(expected), shown(actual)))

    def deviate(self, label: str, expected: str, actual: str) -> None:
        self.wrong.append((label, expected, actual))

    def cannot_confirm(self, phrase: str) -> None:
        """Record an unknown in words (``accessors not read``)."""
        self.unknown.append(phrase)

    @property
    def labels(self) -> list[str]:
        return [label for label, _, _ in self.wrong]

    def expected(self) -> str:
        return "; ".join(_pair(label, exp) for label, exp, _ in self.wrong)

    def actual(self) -> str:
        return "; ".join(_pair(label, act) for label, _, act in self.wrong)

    def unknown_clause(self) -> str:
        return f"cannot confirm {', '.join(self.unknown)}"

    def reason(self, what: str, consequence: str | None = None) -> str:
        """``what`` naming the deviating field(s), the consequence, and any unknown."""
        if len(self.wrong) > 1:
            reason = f"{what}: {', '.join(self.labels)} differ"
        else:
            label = self.labels[0]
            reason = what if label.lower() in what.lower() else f"{what} ({label})"
        if consequence:
            reason += f", so {consequence}"
        if self.unknown:
            reason += f"; also {self.unknown_clause()}"
        return reason


def _pair(label: str, value: str) -> str:
    """``tier=BASIC``, but ``min instances >= 1`` for a bound."""
    return f"{label} {value}" if value[:1] in "<>" else f"{label}={value}"
