"""What the check modules share: redacted verdicts, comparison bookkeeping, guards.

Every verdict a check returns is built by :func:`verdict`, which passes each text
field through :func:`fixtures.redact.redact` — so no credential that reached the
inventory (a DSN password in a plain env value) can reach a message, a report
or a fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fixtures.fixes import Fix, Where
from fixtures.inventory import Inventory, Section, Service
from fixtures.redact import redact
from fixtures.requirements import CATALOGUE
from fixtures.spec import Checklist, ServiceSpec
from fixtures.verdict import Status, Verdict

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
    fix: Fix | None = None,
    section: str | None = None,
    diagnosis: str | None = None,
    details: dict[str, str] | None = None,
) -> Verdict:
    """A verdict whose every text field is redacted; the structured fix rides in ``details['fix']``."""
    extra = {k: redact(v) or "" for k, v in (details or {}).items()}
    fix_text = None
    if fix is not None and fix.steps:
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
            return verdict("error", requirement, resource, f"cannot judge: {name} unavailable ({cause})")
        if section.status == "not_collected":
            cause = section_cause(section, "this source does not cover it")
            return verdict("na", requirement, resource, f"{name} not collected ({cause})")
    return None


def guarded(requirement: str) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Return error/na before judging when a section the requirement needs is unavailable/not collected."""
    needs = CATALOGUE[requirement].needs

    def decorate(rule: Callable[..., Verdict]) -> Callable[..., Verdict]:
        @functools.wraps(rule)
        def judged(subject: Any, spec: Checklist, inv: Inventory) -> Verdict:
            stop = blocked(requirement, subject_label(subject), inv, needs)
            return stop if stop is not None else rule(subject, spec, inv)

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
