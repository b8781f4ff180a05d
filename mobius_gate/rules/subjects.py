"""What a rule is judged over: typed subjects from the checklist, their test ids and resources.

An :class:`Over` generates the subjects of a requirement from the resolved
checklist, names each (the test id, which is also the resource of a verdict made
before the rule runs) and says whether the rule needs a deployed service: then
the rule receives a :class:`Deployed` and a service that is not deployed is
``na`` once, before the rule (SVC-DEPLOYED fails it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mobius_gate.inventory import Service
from mobius_gate.spec import Checklist, ServiceSpec


@dataclass(frozen=True)
class Deployed:
    """A service of the checklist with its deployed state; ``key`` is the env var a per-env rule judges."""

    spec: ServiceSpec
    service: Service
    key: str = ""

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Over:
    """The subjects of a requirement in a checklist, and how each is named."""

    generate: Callable[[Checklist], Iterable[Any]]
    #: The test id of a subject (``mobius-rag``, ``mobius-rag:REDIS_URL``).
    ident: Callable[[Any], str] = str
    #: The service a subject needs deployed (the rule then receives a :class:`Deployed`).
    needs_service: Callable[[Any], ServiceSpec] | None = None
    #: The env var of a per-env subject (``Deployed.key``).
    key: Callable[[Any], str] | None = None

    def section_of(self, subject: Any) -> str | None:
        """The checklist section of a subject that is (or names) a service."""
        if self.needs_service is not None:
            return self.needs_service(subject).section
        return getattr(subject, "section", None)


def each(generate: Callable[[Checklist], Iterable[Any]], ident: Callable[[Any], str] = str) -> Over:
    """Plain subjects (API names, instance names, database facts) named by ``ident``."""
    return Over(generate, ident)


def declared_services(where: Callable[[ServiceSpec], bool] = lambda svc: True) -> Over:
    """The checklist's services (deployed or not) for which ``where`` holds."""
    return Over(lambda spec: [s for s in spec.services if where(s)], _name)


def services(where: Callable[[ServiceSpec], bool] = lambda svc: True) -> Over:
    """Deployed services of the checklist for which ``where`` holds (the rule gets a :class:`Deployed`)."""
    return Over(lambda spec: [s for s in spec.services if where(s)], _name, needs_service=lambda svc: svc)


def service_envs(names: Callable[[ServiceSpec], Iterable[str]]) -> Over:
    """``(service, env var)`` for each env var ``names`` lists; id ``service:VAR``; the service must be deployed."""
    return Over(
        lambda spec: [(svc, var) for svc in spec.services for var in names(svc)],
        lambda pair: f"{pair[0].name}:{pair[1]}",
        needs_service=lambda pair: pair[0],
        key=lambda pair: pair[1],
    )


def _name(subject: Any) -> str:
    return str(subject.name)
