"""The requirement catalogue and the ``@check`` decorator: a rule states its ID, subjects and section once.

A check is a short pure rule over one typed subject, returning through a
:class:`~mobius_gate.rules.judge.Judge` bound to its ID, resource and section::

    @check("SVC-IMAGE", services())
    def test_service_image(it: Deployed, judge: Judge) -> Verdict:
        \"\"\"§3: the image is the checklist's.

        > --image=gcr.io/$PROD_PROJECT/mobius-chat-api:latest
        \"\"\"
        ...

``@check`` returns the pytest test function (parametrized per subject by the
plugin) and keeps the :class:`BoundRule` in :data:`RULES`; :meth:`BoundRule.judge`
is the complete verdict (section guard, not deployed, rule, diagnosis) that the
plugin, :mod:`mobius_gate.engine`, reports and remediation all use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from mobius_gate.inventory import Inventory
    from mobius_gate.rules.judge import Judge
    from mobius_gate.rules.subjects import Over
    from mobius_gate.spec import Checklist
    from mobius_gate.verdict import Verdict

Phase = Literal["infra", "database", "services", "verification"]
Severity = Literal["blocking", "advisory"]


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    phase: Phase
    section: str
    #: Inventory sections the rule reads; one that is unavailable makes the check an error.
    needs: tuple[str, ...]
    severity: Severity = "blocking"


def _r(id: str, title: str, phase: Phase, section: str, needs: tuple[str, ...], severity: Severity = "blocking"):
    return Requirement(id, title, phase, section, needs, severity)


CATALOGUE: dict[str, Requirement] = {
    r.id: r
    for r in [
        # Phase 1 — infrastructure
        _r("INF-API", "required API enabled", "infra", "1.1", ("apis",)),
        _r(
            "INF-REDIS", "Memorystore instance exists, READY, as specified", "infra", "1.2", ("apis", "redis_instances")
        ),
        _r(
            "INF-REDIS-URL",
            "REDIS_URL points at the Memorystore host:port",
            "infra",
            "1.2",
            ("services", "redis_instances"),
        ),
        _r(
            "INF-VPC", "VPC connector READY, as specified, on the Redis network", "infra", "1.3", ("apis", "connectors")
        ),
        _r("INF-SECRET", "secret exists with an enabled version", "infra", "1.4", ("secrets",)),
        # Phase 2 — database
        _r(
            "DB-INSTANCE",
            "Cloud SQL instance exists, RUNNABLE, in the region",
            "database",
            "2.1",
            ("sql_instances",),
        ),
        _r("DB-EXISTS", "database mobius_chat exists", "database", "2.1", ("database",)),
        _r("DB-MIGRATION", "migration 013_chat_progress_events applied", "database", "2.1", ("database",)),
        _r("DB-RAG-META", "published_rag_metadata exists and is populated", "database", "2.2", ("database",)),
        _r("DB-RAG-CONSISTENT", "vector ids have metadata rows", "database", "2.2", ("database", "vector_neighbors")),
        _r(
            "DB-PRIVATE-IP",
            "Cloud SQL instance uses private IP",
            "database",
            "Executive Summary",
            ("sql_instances",),
            "advisory",
        ),
        # Phase 3 — services
        _r("SVC-DEPLOYED", "service deployed", "services", "3", ("services",)),
        _r("SVC-READY", "latest revision ready and serving traffic", "services", "3", ("services",)),
        _r("SVC-IMAGE", "image as specified", "services", "3", ("services",)),
        _r("SVC-ACCOUNT", "service account as specified", "services", "3", ("services",)),
        _r("SVC-CPU-ALWAYS", "CPU always allocated (--no-cpu-throttling)", "services", "3", ("services",)),
        _r("SVC-MIN-INSTANCES", "min instances >= 1", "services", "3", ("services",)),
        _r("SVC-MAX-INSTANCES", "max instances = 1 for workers", "services", "3", ("services",)),
        _r("SVC-TIMEOUT", "request timeout 3600 s for workers", "services", "3", ("services",)),
        _r("SVC-VPC-CONNECTOR", "VPC connector attached", "services", "3", ("services",)),
        _r("SVC-VPC-EGRESS", "VPC egress private-ranges-only", "services", "3", ("services",)),
        _r("SVC-ENV", "required env value set", "services", "3", ("services",)),
        _r("SVC-REDIS-SHARED", "API and worker share one REDIS_URL", "services", "Common Issues", ("services",)),
        _r("SVC-SECRET-REF", "secret env comes from Secret Manager", "services", "3", ("services",)),
        _r("SVC-CLOUDSQL", "Cloud SQL instance attached", "services", "3", ("services",)),
        _r("SVC-INGRESS", "public/private access as specified", "services", "3", ("services",)),
        _r("SVC-COMMAND", "worker command runs app.worker_server:app", "services", "3", ("services",)),
        _r("SVC-PLAINTEXT-CREDS", "no credentials in plain env values", "services", "3", ("services",), "advisory"),
        # Phase 4 — verification
        _r("VER-HEALTH", "/health answers 200", "verification", "4.2", ("services", "health")),
        _r("VER-LOGS", "worker logged its start lines", "verification", "4.3", ("services", "log_entries")),
        _r("VER-E2E-CHAT", "live chat flow", "verification", "4.4", ("services", "live_flows")),
        _r("VER-E2E-RAG", "live RAG flow", "verification", "4.4", ("services", "live_flows")),
        _r("VER-E2E-SCRAPER", "live scraper flow", "verification", "4.4", ("services", "live_flows")),
    ]
}

#: A rule: (typed subject, judge) -> verdict. Pure: it reads only the judge's checklist and inventory.
Rule = Callable[[Any, "Judge"], "Verdict"]
#: A rule's checklist section: fixed text, or computed from the subject and the checklist.
SectionOf = str | Callable[[Any, "Checklist"], str] | None


@dataclass
class BoundRule:
    """A rule bound to its requirement, its subjects and its checklist section."""

    requirement: Requirement
    rule: Rule
    over: Over
    name: str
    doc: str = ""
    extra_marks: list[Any] = field(default_factory=list)
    section: SectionOf = None

    def subjects(self, spec: Checklist) -> list[tuple[str, Any]]:
        """``(test id, subject)`` for every subject the requirement applies to in ``spec``."""
        return [(self.over.ident(subject), subject) for subject in self.over.generate(spec)]

    def section_of(self, subject: Any, spec: Checklist) -> str:
        if callable(self.section):
            return self.section(subject, spec)
        if self.section is not None:
            return self.section
        return self.over.section_of(subject) or self.requirement.section

    def judge(self, subject: Any, spec: Checklist, inv: Inventory) -> Verdict:
        """The complete verdict on ``subject``: section guard, not deployed, the rule, its diagnosis."""
        from mobius_gate.rules.pipeline import judge_subject

        return judge_subject(self, subject, spec, inv)


#: Every rule registered by ``@check``, by ``module::function``.
RULES: dict[str, BoundRule] = {}

CASE_FIXTURE = "mobius_case"


def check(requirement_id: str, over: Over, *marks: Any, section: SectionOf = None) -> Callable[[Rule], Any]:
    """Bind a pure rule to a requirement and its subjects; return it as a parametrized pytest test."""
    requirement = CATALOGUE[requirement_id]

    def decorate(rule: Rule) -> Callable[..., Any]:
        bound = BoundRule(requirement, rule, over, rule.__name__, rule.__doc__ or "", list(marks), section)
        RULES[f"{rule.__module__}::{rule.__name__}"] = bound

        def test(mobius_case: Any) -> None:
            mobius_case.judge()

        test.__name__ = rule.__name__
        test.__qualname__ = rule.__qualname__
        test.__doc__ = rule.__doc__
        test.__module__ = rule.__module__
        test.mobius_rule = bound  # type: ignore[attr-defined]
        test = pytest.mark.requirement(requirement.id)(test)
        test = getattr(pytest.mark, requirement.phase)(test)
        for mark in marks:
            test = mark(test)
        return test

    return decorate
