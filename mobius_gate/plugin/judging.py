"""Judging one check: its rule's verdict for its subject, as a pytest outcome.

The ``mobius_case`` fixture judges during *setup*, so an unreadable section or an
``error`` verdict is a pytest error and ``na`` a skip; the test body turns ``fail``
into a failure (advisory → xfail unless made blocking). The verdict itself —
section guard, not deployed, rule, redaction, diagnosis — is
:meth:`~mobius_gate.requirements.BoundRule.judge`.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mobius_gate.plugin.state import SETTINGS, VERDICT, inventory
from mobius_gate.redact import redact
from mobius_gate.requirements import CATALOGUE, BoundRule
from mobius_gate.verdict import Verdict
from mobius_gate.waivers import Waivers

#: How the pipeline words a verdict whose input was not collected (see rules/pipeline.py).
NOT_COLLECTED = "not collected:"


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
        pytest.fail(_with_expiry(self.verdict), pytrace=False)


@pytest.fixture
def mobius_case(request: pytest.FixtureRequest) -> Case:
    """Judge the requesting check's rule for its subject (setup phase: errors and skips happen here)."""
    bound: BoundRule = request.function.mobius_rule
    settings = request.config.stash[SETTINGS]
    verdict = redacted(bound.judge(request.param, settings.spec, inventory(request.config)))
    ident = request.node.callspec.id if hasattr(request.node, "callspec") else verdict.resource
    verdict = with_release_facts(verdict, settings.waivers, ident)
    _record(request.node, verdict)
    if "waived" in verdict.details:
        pytest.xfail(f"waived ({verdict.details['waived']}): {verdict.message()}")
    if verdict.status == "error":
        pytest.fail(_with_expiry(verdict), pytrace=False)
    if verdict.status == "na":
        pytest.skip(verdict.message())
    return Case(verdict, advisory=bound.requirement.severity == "advisory", strict=settings.strict)


def with_release_facts(verdict: Verdict, waivers: Waivers, ident: str) -> Verdict:
    """Mark what the release verdict needs: not judged for lack of input (and how to supply it), waived, expired."""
    extra: dict[str, str] = {}
    if verdict.status == "na" and verdict.reason.startswith(NOT_COLLECTED):
        extra["unjudged"] = verdict.reason.removeprefix(NOT_COLLECTED).strip()
    if verdict.status in ("fail", "error") or extra:
        decision = waivers.decide(verdict.requirement, verdict.resource)
        if decision.waiver is None and ident != verdict.resource:
            decision = waivers.decide(verdict.requirement, ident)
        if decision.waiver is not None:
            extra["waived"] = decision.waiver.label()
        elif decision.expired is not None:
            extra["waiver_expired"] = decision.expired.label()
    return replace(verdict, details={**verdict.details, **extra}) if extra else verdict


def _with_expiry(verdict: Verdict) -> str:
    expired = verdict.details.get("waiver_expired")
    return verdict.message() + (f" Waiver expired, no longer applies: {expired}." if expired else "")


def _record(item: pytest.Item, verdict: Verdict) -> None:
    """Keep the verdict whole on the item; serialize it only for reports and xdist (``user_properties``)."""
    item.stash[VERDICT] = verdict
    item.user_properties.append(("mobius_verdict", json.dumps(verdict_dict(verdict))))


def redacted(verdict: Verdict) -> Verdict:
    """Every text of ``verdict`` through the redaction layer: what reaches a report holds no credential."""
    texts = {name: redact(getattr(verdict, name)) for name in ("expected", "actual", "fix", "section", "diagnosis")}
    return replace(
        verdict,
        resource=redact(verdict.resource) or verdict.resource,
        reason=redact(verdict.reason) or "",
        details={key: redact(value) or "" for key, value in verdict.details.items()},
        **texts,
    )


def verdict_dict(verdict: Verdict) -> dict[str, object]:
    """The verdict as JUnit/xdist/reports read it: its fields, severity and phase."""
    req = CATALOGUE[verdict.requirement]
    return {**verdict.to_dict(), "severity": req.severity, "phase": req.phase}
