"""The services x requirements matrix of ``conformance.html`` (pure).

A cell is every check of one requirement about one service (``SVC-ENV`` has one per variable;
``SVC-REDIS-SHARED`` about ``api+worker`` counts for both); its outcome is the worst of them.
Checks about no service (APIs, Redis, connector, secrets, the database) are the "items".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mobius_gate.reports.model import CheckResult, Report

#: Worst first: the outcome a cell shows is the lowest rank among its checks.
RANK = {"fail": 0, "error": 1, "unjudged": 2, "advisory": 3, "waived": 4, "repaired": 5, "pass": 6, "skipped": 7}
SYMBOL = {
    "fail": "✗",
    "error": "!",
    "unjudged": "?",
    "advisory": "△",
    "waived": "W",
    "repaired": "R",
    "pass": "✓",
    "skipped": "-",
}


def shown(check: CheckResult) -> str:
    """The outcome a cell colours by: ``unjudged`` for a blocking check not judged, else the outcome."""
    return "unjudged" if check.unjudged else check.outcome


@dataclass
class Cell:
    service: str
    requirement: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return min((shown(c) for c in self.checks), key=RANK.__getitem__)

    @property
    def symbol(self) -> str:
        return SYMBOL[self.outcome]


@dataclass
class Matrix:
    services: list[str]
    requirements: list[str]
    cells: dict[tuple[str, str], Cell]
    items: list[CheckResult]

    def cell(self, service: str, requirement: str) -> Cell | None:
        return self.cells.get((service, requirement))


def services_of(check: CheckResult, known: set[str]) -> list[str]:
    return [name for name in check.resource.split("+") if name in known]


def build(report: Report) -> Matrix:
    deployed = [c.resource for c in report.checks if c.requirement == "SVC-DEPLOYED"]
    about_services = [n for c in report.checks if c.phase == "services" for n in c.resource.split("+")]
    known = list(dict.fromkeys(deployed + about_services))  # every declared service, first
    known_set = set(known)
    cells: dict[tuple[str, str], Cell] = {}
    requirements: list[str] = []
    items: list[CheckResult] = []
    for check in report.checks:
        names = services_of(check, known_set)
        if not names:
            items.append(check)
            continue
        if check.requirement not in requirements:
            requirements.append(check.requirement)
        for name in names:
            cells.setdefault((name, check.requirement), Cell(name, check.requirement)).checks.append(check)
    return Matrix(known, requirements, cells, items)
