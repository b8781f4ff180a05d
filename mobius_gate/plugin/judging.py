"""Judging one check: its rule's verdict for its subject, as a pytest outcome.

The ``mobius_case`` fixture judges during *setup*, so an unreadable section or an
``error`` verdict is a pytest error and ``na`` a skip; the test body turns ``fail``
into a failure (advisory → xfail unless made blocking).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import Inventory
from mobius_gate.options import Settings
from mobius_gate.plugin.state import SETTINGS, VERDICT, inventory
from mobius_gate.redact import redact
from mobius_gate.requirements import CATALOGUE, BoundRule
from mobius_gate.verdict import Verdict


class Case:
    """What a check's test body sees: the verdict its rule returned during setup."""

    def __init__(self, verdict: Verdict, advisory: bool, strict: bool) -> None:
        self.verdict = verdict
        self.advisory = advisory
        self.strict = strict

    def judge(self) -> None:
        if self.verdict.status == "pass":
            return
        if self.advisory and not self.strict:
            pytest.xfail(f"advisory: {self.verdict.message()}")
        pytest.fail(self.verdict.message(), pytrace=False)


@pytest.fixture
def mobius_case(request: pytest.FixtureRequest) -> Case:
    """Judge the requesting check's rule for its subject (setup phase: errors and skips happen here)."""
    bound: BoundRule = request.function.mobius_rule
    settings = request.config.stash[SETTINGS]
    req = bound.requirement
    resource = request.node.callspec.id if hasattr(request.node, "callspec") else req.id
    inv = inventory(request.config)
    for name in req.needs:
        section = getattr(inv, name, None)
        if section is None:
            pytest.skip(f"[{req.id}] {resource}: {name} is not collected by this version")
        if section.status == "unavailable":
            from mobius_gate.rules.common import inspect_note  # the read-only command a user runs meanwhile

            cannot = Verdict(
                req.id,
                resource,
                "error",
                f"cannot judge: {redact(section.cause)}",
                fix=inspect_note(req.id, resource, inv.project, inv.region),
            )
            _record(request, cannot)
            pytest.fail(cannot.message(), pytrace=False)
        if section.status == "not_collected":
            _record(request, Verdict(req.id, resource, "na", f"not collected: {redact(section.cause)}"))
            pytest.skip(f"[{req.id}] {resource}: not collected: {redact(section.cause)}")
    verdict: Verdict = bound.rule(request.param, settings.spec, inv)
    verdict = _redacted(_with_diagnosis(verdict, settings, inv))
    _record(request, verdict)
    if verdict.status == "error":
        pytest.fail(verdict.message(), pytrace=False)
    if verdict.status == "na":
        pytest.skip(verdict.message())
    return Case(verdict, advisory=req.severity == "advisory", strict=settings.strict)


def _with_diagnosis(verdict: Verdict, settings: Settings, inv: Inventory) -> Verdict:
    if verdict.status not in ("fail", "error") or verdict.diagnosis:
        return verdict
    cause = diagnose(verdict, settings.spec, inv)
    return replace(verdict, diagnosis=cause) if cause else verdict


def _redacted(verdict: Verdict) -> Verdict:
    """Every text of ``verdict`` through the redaction layer: what reaches a report holds no credential."""
    texts = {name: redact(getattr(verdict, name)) for name in ("expected", "actual", "fix", "section", "diagnosis")}
    return replace(
        verdict,
        resource=redact(verdict.resource) or verdict.resource,
        reason=redact(verdict.reason) or "",
        details={key: redact(value) or "" for key, value in verdict.details.items()},
        **texts,
    )


def _record(request: pytest.FixtureRequest, verdict: Verdict) -> None:
    request.node.stash[VERDICT] = verdict
    req = CATALOGUE[verdict.requirement]
    request.node.user_properties.append(
        ("mobius_verdict", json.dumps({**verdict.to_dict(), "severity": req.severity, "phase": req.phase}))
    )
