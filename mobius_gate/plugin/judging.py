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
    verdict = redacted(bound.judge(request.param, settings.spec, inventory(request.config)))
    _record(request.node, verdict)
    if verdict.status == "error":
        pytest.fail(verdict.message(), pytrace=False)
    if verdict.status == "na":
        pytest.skip(verdict.message())
    return Case(verdict, advisory=bound.requirement.severity == "advisory", strict=settings.strict)


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
