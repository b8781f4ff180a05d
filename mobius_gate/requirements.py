"""The requirement catalogue and the ``@check`` decorator that binds a rule to it.

Every check carries a requirement ID from ``DESIGN.md``. A check is written as a
pure rule returning a :class:`~mobius_gate.verdict.Verdict`::

    @check("INF-API", subjects=lambda spec: [(api, api) for api in spec.apis.required])
    def test_api_enabled(api: str, spec: Checklist, inv: Inventory) -> Verdict:
        \"\"\"§1.1 "gcloud services enable redis.googleapis.com ..." \"\"\"
        ...

``@check`` returns the pytest test function (parametrized per subject by the
plugin) and keeps the pure rule in :data:`RULES` for reports and remediation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

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
        _r("VER-E2E-CHAT", "live chat flow", "verification", "4.4", ("services",)),
        _r("VER-E2E-RAG", "live RAG flow", "verification", "4.4", ("services",)),
        _r("VER-E2E-SCRAPER", "live scraper flow", "verification", "4.4", ("services",)),
    ]
}

#: A subject generator: checklist → [(test id, subject)].
Subjects = Callable[[Any], Iterable[tuple[str, Any]]]


@dataclass
class BoundRule:
    requirement: Requirement
    rule: Callable[..., Any]
    subjects: Subjects
    name: str
    doc: str = ""
    extra_marks: list[Any] = field(default_factory=list)


#: Every rule registered by ``@check``, by test function name.
RULES: dict[str, BoundRule] = {}

CASE_FIXTURE = "mobius_case"


def check(requirement_id: str, subjects: Subjects, *marks: Any) -> Callable[[Callable[..., Any]], Any]:
    """Bind a pure rule to a requirement and make it a parametrized pytest test."""
    requirement = CATALOGUE[requirement_id]

    def decorate(rule: Callable[..., Any]) -> Callable[..., Any]:
        bound = BoundRule(requirement, rule, subjects, rule.__name__, rule.__doc__ or "", list(marks))
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
