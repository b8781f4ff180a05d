"""The one model every writer reads: a run's metadata, its release verdict and one row per check.

Built once at session end from the verdicts (``mobius-gate-summary``), the release verdict,
the per-check durations and the optional ``mobius_repaired`` marks; every free text goes
through :func:`mobius_gate.redact.redact` here, so no writer can print a credential.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mobius_gate.redact import redact
from mobius_gate.release import FIX_ORDER
from mobius_gate.requirements import CATALOGUE
from mobius_gate.verdict import Verdict

SCHEMA_VERSION = "1.0"
OutcomeName = Literal["pass", "fail", "error", "skipped", "advisory", "waived", "repaired"]
#: Display order of outcomes (worst first), also the JSON's ``counts`` keys.
OUTCOMES: tuple[OutcomeName, ...] = ("fail", "error", "advisory", "waived", "repaired", "skipped", "pass")
#: The release's kinds (mobius_gate.release.Outcome.kind) → a report outcome.
_FROM_KIND: dict[str, OutcomeName] = {
    "pass": "pass",
    "fail": "fail",
    "error": "error",
    "advisory": "advisory",
    "waived": "waived",
    "unjudged": "skipped",
    "na": "skipped",
}


def _r(text: str | None) -> str | None:
    return redact(text) if text is not None else None


@dataclass(frozen=True)
class Source:
    kind: Literal["live", "emulator", "snapshot", "inventory"]
    name: str

    def label(self) -> str:
        return self.name if self.kind == "live" else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class RunMeta:
    project: str
    region: str
    source: Source
    started_at: str  # ISO 8601, UTC
    finished_at: str
    checklist_path: str
    checklist_sha256: str
    tool_version: str
    verdict: Literal["PASS", "FAIL", "INCOMPLETE"] | None  # None: a partial run
    exit_code: int
    partial: bool

    @property
    def verdict_label(self) -> str:
        return self.verdict or "PARTIAL RUN (no release verdict)"


@dataclass(frozen=True)
class CheckResult:
    """One (requirement, resource) as every report shows it."""

    requirement: str
    title: str
    phase: str
    severity: str
    section: str | None
    resource: str
    #: The check's own id (its pytest parameter, e.g. ``mobius-chat-api:QUEUE_TYPE``): unique per requirement.
    check_id: str
    outcome: OutcomeName
    reason: str
    expected: str | None = None
    actual: str | None = None
    fix: str | None = None
    fix_steps: list[dict[str, Any]] | None = None
    diagnosis: str | None = None
    duration_s: float = 0.0
    #: A blocking check not judged for lack of input (it makes the run INCOMPLETE), and how to supply it.
    unjudged: bool = False
    supply: str | None = None
    waiver: str | None = None
    nodeid: str = ""

    @property
    def key(self) -> str:
        return f"{self.requirement} {self.check_id}"

    @property
    def open(self) -> bool:
        """A finding someone has to act on: a blocking deviation or a check that could not judge."""
        return self.outcome in ("fail", "error")


@dataclass(frozen=True)
class Change:
    """One check's move since the previous run, and how long a failure has been open."""

    key: str
    requirement: str
    resource: str
    before: str | None
    after: str | None
    open_since: str | None = None  # ISO time of the first run of the current failing streak
    open_runs: int = 0


@dataclass
class Changes:
    previous_at: str | None = None
    previous_verdict: str | None = None
    regressed: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    still_open: list[Change] = field(default_factory=list)


@dataclass
class Report:
    run: RunMeta
    checks: list[CheckResult]
    changes: Changes | None = None
    trend: list[dict[str, Any]] = field(default_factory=list)  # [{at, verdict, pass, total, rate}]
    gap: dict[str, Any] | None = None  # the --compare table (see compare.py)
    #: Why there is no gap table although --compare was given (its target could not be collected).
    gap_error: str | None = None

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(OUTCOMES, 0)
        for c in self.checks:
            out[c.outcome] += 1
        return {**out, "unjudged": sum(c.unjudged for c in self.checks), "total": len(self.checks)}

    def conformance(self) -> float:
        """Held / counted blocking checks, 0..1 (1.0 when none is counted); reports/README.md defines it.

        Counted: every blocking check except the not-applicable ones — pass, repaired, fail, error,
        waived and not judged. Held: pass and repaired only; a waived check is accepted, never a pass.
        """
        judged = [c for c in self.checks if c.severity == "blocking" and (c.outcome != "skipped" or c.unjudged)]
        held = [c for c in judged if c.outcome in ("pass", "repaired")]
        return len(held) / len(judged) if judged else 1.0

    def diagnoses(self) -> list[dict[str, Any]]:
        """Each likely cause with the checks that point to it, most frequent first."""
        by_text: dict[str, list[str]] = {}
        for c in self.checks:
            if c.diagnosis:
                by_text.setdefault(c.diagnosis, []).append(c.key)
        rows = [{"cause": text, "count": len(keys), "checks": keys} for text, keys in by_text.items()]
        return sorted(rows, key=lambda row: -row["count"])

    def to_dict(self) -> dict[str, Any]:
        run = asdict(self.run)
        return {
            "schema_version": SCHEMA_VERSION,
            "run": run,
            "counts": self.counts(),
            "conformance": round(self.conformance(), 4),
            "checks": [asdict(c) for c in self.checks],
            "diagnoses": self.diagnoses(),
            "changes": asdict(self.changes) if self.changes else None,
            "trend": self.trend,
            "gap": self.gap,
            **({"gap_error": self.gap_error} if self.gap_error else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        run = dict(data["run"])
        run["source"] = Source(**run["source"])
        return cls(RunMeta(**run), [CheckResult(**c) for c in data["checks"]])


def check_result(
    verdict: Verdict, kind: str, *, nodeid: str = "", duration_s: float = 0.0, repaired: bool = False
) -> CheckResult:
    """A verdict and its release kind as a report row, every text redacted."""
    req = CATALOGUE[verdict.requirement]
    outcome: OutcomeName = "repaired" if repaired and verdict.status == "pass" else _FROM_KIND.get(kind, "skipped")
    details = verdict.details
    steps = None
    if details.get("fix"):
        try:
            steps = json.loads(details["fix"]).get("steps")
        except (ValueError, AttributeError):
            steps = None
    return CheckResult(
        requirement=req.id,
        title=req.title,
        phase=req.phase,
        severity=req.severity,
        section=verdict.section,
        resource=_r(verdict.resource) or verdict.resource,
        check_id=_r(_param_id(nodeid) or verdict.resource) or verdict.resource,
        outcome=outcome,
        reason=_r(verdict.reason) or "",
        expected=_r(verdict.expected),
        actual=_r(verdict.actual),
        fix=_r(verdict.fix),
        fix_steps=_redact_tree(steps),
        diagnosis=_r(verdict.diagnosis),
        duration_s=round(duration_s, 4),
        unjudged=kind == "unjudged",
        supply=_r(details.get("unjudged")) if kind == "unjudged" else None,
        waiver=_r(details.get("waived")),
        nodeid=_r(nodeid) or "",
    )


def _param_id(nodeid: str) -> str | None:
    """``mobius-chat-api:QUEUE_TYPE`` from ``checks/test_svc_env.py::test_env_value[mobius-chat-api:QUEUE_TYPE]``."""
    name = nodeid.rpartition("::")[2]
    return name[name.index("[") + 1 : -1] if name.endswith("]") and "[" in name else None


def _redact_tree(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_tree(v) for k, v in value.items()}
    return value


def fix_order(checks: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """Open blocking findings grouped by requirement, in the release's fix order (resources keep the order
    the report lists them in: the checklist's service order, see reports/plugin.py)."""
    groups: dict[str, list[CheckResult]] = {}
    for c in checks:
        if c.outcome == "fail":
            groups.setdefault(c.requirement, []).append(c)
    return sorted(groups.items(), key=lambda item: FIX_ORDER.get(item[0], len(FIX_ORDER)))
