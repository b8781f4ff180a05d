"""The release verdict: PASS only when every blocking requirement was judged and held.

Pure: a list of :class:`Outcome` (one per check, after waivers) in, a :class:`Release` out.

| verdict      | when                                                                  | exit |
|--------------|-----------------------------------------------------------------------|------|
| PASS         | every blocking check judged and held (or waived, or repaired)         | 0    |
| FAIL         | a blocking check deviates                                             | 1    |
| INCOMPLETE   | nothing deviates, but a blocking check errored or was not judged      | 6    |
| partial run  | the run was narrowed (-k, -m, --requirement, a path): no verdict;     | 1 / 6 / 0 |
|              | the exit code reports what ran, by the same rules                     |      |
| usage error  | bad option, checklist, waivers file, credentials                      | 4    |
| (pytest)     | -k / -m selected no check ("no check matches …"); internal error      | 5; 3 |
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from mobius_gate.requirements import CATALOGUE

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 4
EXIT_INCOMPLETE = 6

Kind = Literal["pass", "repaired", "fail", "error", "unjudged", "live_only", "na", "advisory", "waived"]
#: Fix order: APIs → Redis → connector → secrets → database → services → verification (the catalogue's order).
FIX_ORDER = {rid: index for index, rid in enumerate(CATALOGUE)}


@dataclass(frozen=True)
class Outcome:
    """One check as the release verdict sees it."""

    requirement: str
    resource: str
    status: str  # the rule's verdict: pass / fail / error / na
    reason: str = ""
    #: Not judged for lack of input (a section not collected, an opt-in flow not run).
    unjudged: bool = False
    #: How to supply what was missing (``--db-url=…``, ``-m e2e_live``).
    supply: str | None = None
    #: The waiver that accepts this check (its label), if one applies.
    waived: str | None = None
    #: The label of an expired waiver that would have covered this check.
    expired: str | None = None
    advisories_block: bool = False
    #: Held after ``--remediate=apply`` changed it (the remediation plugin's ``mobius_repaired`` mark).
    repaired: bool = False
    #: Not judged on a snapshot because only the live project shows it (out of the pre-deploy gate's scope).
    live_only: bool = False

    @property
    def blocking(self) -> bool:
        return CATALOGUE[self.requirement].severity == "blocking" or self.advisories_block

    @property
    def kind(self) -> Kind:
        if self.status == "pass":
            return "repaired" if self.repaired else "pass"
        if self.waived and (self.status in ("fail", "error") or self.unjudged):
            return "waived"
        if self.live_only and self.status == "na":
            return "live_only"
        if self.unjudged:
            return "unjudged" if self.blocking else "na"
        if self.status == "fail":
            return "fail" if self.blocking else "advisory"
        if self.status == "error":
            return "error"
        return "na"


@dataclass(frozen=True)
class Release:
    verdict: Literal["PASS", "FAIL", "INCOMPLETE"] | None  # None: a partial run gives no verdict
    exit_code: int
    counts: Counter[str]
    failing: list[Outcome] = field(default_factory=list)
    errors: list[Outcome] = field(default_factory=list)
    unjudged: list[Outcome] = field(default_factory=list)
    waived: list[Outcome] = field(default_factory=list)
    advisories: list[Outcome] = field(default_factory=list)
    expired: list[Outcome] = field(default_factory=list)

    def headline(self) -> str:
        if self.verdict is None:
            return "partial run: no release verdict"
        return f"release gate: {self.verdict}"

    def failing_requirements(self) -> list[tuple[str, int]]:
        """Failing blocking requirements in the order to fix them, with their check counts."""
        per = Counter(o.requirement for o in self.failing)
        return sorted(per.items(), key=lambda item: FIX_ORDER.get(item[0], len(FIX_ORDER)))

    def not_judged(self) -> list[tuple[str, str, int]]:
        """(requirement, how to supply it, checks) for every blocking requirement not judged."""
        per: Counter[tuple[str, str]] = Counter(
            (o.requirement, o.supply or o.reason or "see the skip reason") for o in self.unjudged
        )
        rows = [(rid, supply, n) for (rid, supply), n in per.items()]
        return sorted(rows, key=lambda row: FIX_ORDER.get(row[0], len(FIX_ORDER)))


def decide(outcomes: list[Outcome], *, partial: bool, services: Sequence[str] = ()) -> Release:
    """The release verdict over every check of the run (see the module's table).

    ``services``: the checklist's service names in its order, the order failing resources are listed in.
    """
    key = fix_key(services)
    by_kind: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_kind.setdefault(outcome.kind, []).append(outcome)
    counts = Counter({kind: len(items) for kind, items in by_kind.items()})
    failing = sorted(by_kind.get("fail", []), key=key)
    errors = sorted(by_kind.get("error", []), key=key)
    unjudged = sorted(by_kind.get("unjudged", []), key=key)
    expired = [o for o in outcomes if o.expired and o.kind in ("fail", "error", "unjudged")]
    if failing:
        verdict, code = "FAIL", EXIT_FAIL
    elif errors or unjudged:
        verdict, code = "INCOMPLETE", EXIT_INCOMPLETE
    else:
        verdict, code = "PASS", EXIT_PASS
    if partial:
        verdict = None  # a narrowed run says nothing about the release; its exit code reports what ran
    return Release(
        verdict=verdict,  # type: ignore[arg-type]
        exit_code=code,
        counts=counts,
        failing=failing,
        errors=errors,
        unjudged=unjudged,
        waived=by_kind.get("waived", []),
        advisories=by_kind.get("advisory", []),
        expired=expired,
    )


_HEAD = re.compile(r"[+:/ ]")


class Placed(Protocol):
    """Anything placed in the fix order: an :class:`Outcome`, a report's check."""

    @property
    def requirement(self) -> str: ...

    @property
    def resource(self) -> str: ...


def fix_key(services: Sequence[str] = ()) -> Callable[[Placed], tuple[int, int, str]]:
    """The order to fix checks in: the catalogue's requirement order, then the checklist's service order.

    A resource is placed by the service it names (``mobius-chat-api``, ``mobius-chat-api+REDIS_URL``);
    one naming no service (a secret, a database) comes after, alphabetically.
    """
    rank = {name: index for index, name in enumerate(services)}

    def key(outcome: Placed) -> tuple[int, int, str]:
        head = _HEAD.split(outcome.resource, maxsplit=1)[0]
        return FIX_ORDER.get(outcome.requirement, len(FIX_ORDER)), rank.get(head, len(rank)), outcome.resource

    return key
