"""What the check modules share: redacted verdicts, comparison bookkeeping, guards.

Every verdict a check returns is built by :func:`verdict`, which passes each text
field through :func:`mobius_gate.redact.redact` — so no credential that reached the
inventory (a DSN password in a plain env value) can reach a message, a report
or a fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mobius_gate.fixes import Fix, Where
from mobius_gate.inventory import Inventory, Section, Service
from mobius_gate.redact import redact
from mobius_gate.requirements import CATALOGUE
from mobius_gate.spec import Checklist, ServiceSpec
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
        section=section or CATALOGUE[requirement].section,
        diagnosis=redact(diagnosis),
        details=extra,
    )


def passed(requirement: str, resource: str, reason: str, **kw: Any) -> Verdict:
    """A redacted pass (see :func:`verdict`)."""
    return verdict("pass", requirement, resource, reason, **kw)


def failed(requirement: str, resource: str, reason: str, **kw: Any) -> Verdict:
    """A redacted fail (see :func:`verdict`)."""
    return verdict("fail", requirement, resource, reason, **kw)


def errored(requirement: str, resource: str, reason: str, **kw: Any) -> Verdict:
    """A redacted error (see :func:`verdict`); :func:`guarded` adds :func:`inspect_note` when it names no fix."""
    return verdict("error", requirement, resource, reason, **kw)


def not_applicable(requirement: str, resource: str, reason: str, **kw: Any) -> Verdict:
    """A redacted not-applicable verdict (see :func:`verdict`)."""
    return verdict("na", requirement, resource, reason, **kw)


#: How to read by hand what a requirement judges: ``{name}`` is the resource's first part.
_INSPECT: dict[str, str] = {
    "INF-API": "gcloud services list --enabled",
    "INF-REDIS": "gcloud redis instances describe {name} --region={region}",
    "INF-REDIS-URL": "gcloud run services describe {name} --region={region} --format=export",
    "INF-VPC": "gcloud compute networks vpc-access connectors describe {name} --region={region}",
    "INF-SECRET": "gcloud secrets versions list {name} && gcloud secrets get-iam-policy {name}",
    "DB-PRIVATE-IP": "gcloud sql instances describe {name}",
    "VER-LOGS": "gcloud run services logs read {name} --region={region}",
}
_INSPECT_SERVICE = "gcloud run services describe {name} --region={region} --format=export"
_INSPECT_DATABASE = "psql \"$CHAT_RAG_DATABASE_URL\" -c '\\dt' (through the Cloud SQL Auth Proxy)"


def inspect_note(requirement: str, resource: str, project: str | None = None, region: str | None = None) -> str:
    """The explicit note an error carries: nothing to change yet; how to read the facts by hand, then re-run."""
    name = resource.split("+", 1)[0].split(":", 1)[0].split("/", 1)[0]
    if requirement.startswith("DB-") and requirement != "DB-PRIVATE-IP":
        command = _INSPECT_DATABASE
    elif requirement == "INF-SECRET" and name == "referenced-by-services":
        command = "gcloud secrets list"
    else:
        command = _INSPECT.get(requirement, _INSPECT_SERVICE).format(name=name, region=region or "REGION")
    if project and not command.startswith("psql"):
        command = command.replace(" &&", f" --project={project} &&") + f" --project={project}"
    return (
        f"no gcloud change until it can be judged: make the missing facts readable (the cause above; "
        f"e.g. grant the gate's account roles/viewer), or read them by hand: {command}; then re-run"
    )


def where(inv: Inventory) -> Where:
    return Where(inv.project, inv.region)


def section_cause(section: Section[Any], default: str) -> str:
    """Why a ``disabled``/``unavailable`` section is empty, as a clause."""
    return section.cause or default


def blocked(requirement: str, resource: str, inv: Inventory, sections: tuple[str, ...]) -> Verdict | None:
    """error / na when a section the rule needs could not be read (the plugin does this first, too)."""
    for name in sections:
        try:
            section = inv.section(name)
        except AttributeError:
            continue  # a section another collector owns (database, health, ...)
        if section.status == "unavailable":
            cause = section_cause(section, "could not be read")
            return verdict(
                "error",
                requirement,
                resource,
                f"cannot judge: {name} unavailable ({cause})",
                fix=inspect_note(requirement, resource, inv.project, inv.region),
            )
        if section.status == "not_collected":
            cause = section_cause(section, "this source does not cover it")
            return verdict("na", requirement, resource, f"{name} not collected ({cause})")
    return None


def guarded(
    requirement: str, label: Callable[[Any], str] | None = None
) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Return error/na before judging when a section the requirement needs is unavailable/not collected.

    An error the rule returns without a fix gets :func:`inspect_note`, so every
    error says what to do next. ``label`` names the resource of a subject that is
    not a plain name (default :func:`subject_label`).
    """
    needs = CATALOGUE[requirement].needs

    def decorate(rule: Callable[..., Verdict]) -> Callable[..., Verdict]:
        @functools.wraps(rule)
        def judged(subject: Any, spec: Checklist, inv: Inventory) -> Verdict:
            stop = blocked(requirement, (label or subject_label)(subject), inv, needs)
            result = stop if stop is not None else rule(subject, spec, inv)
            if result.status == "error" and not result.fix:
                note = inspect_note(result.requirement, result.resource, inv.project, inv.region)
                result = replace(result, fix=note)
            return result

        return judged

    return decorate


def subject_label(subject: Any) -> str:
    if isinstance(subject, tuple):
        return str(subject[0])
    return str(subject)


def deployed(requirement: str, svc: ServiceSpec, inv: Inventory) -> Service | Verdict:
    """The deployed service, or the na verdict every SVC check but SVC-DEPLOYED returns without it."""
    service = inv.service(svc.name)
    if service is None:
        return verdict("na", requirement, svc.name, "not deployed (see SVC-DEPLOYED)", section=svc.section)
    return service


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

    def judge(
        self,
        requirement: str,
        resource: str,
        *,
        what: str,
        fix: Fix | None,
        section: str,
        ok: str,
        consequence: str | None = None,
    ) -> Verdict:
        """fail listing every deviation; else error when something is unknown; else pass."""
        if self.wrong:
            if len(self.wrong) > 1:
                reason = f"{what}: {', '.join(self.labels)} differ"
            else:
                label = self.labels[0]
                reason = what if label.lower() in what.lower() else f"{what} ({label})"
            if consequence:
                reason += f", so {consequence}"
            if self.unknown:
                reason += f"; also {self.unknown_clause()}"
            return verdict(
                "fail",
                requirement,
                resource,
                reason,
                expected=self.expected(),
                actual=self.actual(),
                fix=fix,
                section=section,
            )
        if self.unknown:
            return verdict("error", requirement, resource, f"{what}: {self.unknown_clause()}", section=section)
        return verdict("pass", requirement, resource, ok, section=section)


def _pair(label: str, value: str) -> str:
    """``tier=BASIC``, but ``min instances >= 1`` for a bound."""
    return f"{label} {value}" if value[:1] in "<>" else f"{label}={value}"
