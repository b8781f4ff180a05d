"""The plan's data: one :class:`Change` per API mutation, with its state as the run goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mobius_gate.fixes import Step

#: planned: will be applied (apply) or would be (plan); manual: a human does it (printed);
#: held: beyond --max-changes; skipped: a value or a dependency is missing; applied: written;
#: unchanged: already as wanted when read; failed: the API refused or a conflict persisted.
State = Literal["planned", "manual", "held", "skipped", "applied", "unchanged", "failed"]


@dataclass(frozen=True)
class FieldDiff:
    """One field of one resource before and after a change (values already redacted)."""

    field: str
    before: Any
    after: Any

    def text(self) -> str:
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@dataclass
class Change:
    """One step of the plan: an operation on one resource, and the checks it repairs."""

    step: Step
    #: (requirement, resource) of every failing check whose fix contains this step.
    checks: list[tuple[str, str]]
    stage: int
    state: State = "planned"
    why: str = ""
    #: Indexes (in the plan) of the changes this one needs first.
    needs: list[int] = field(default_factory=list)
    diff: list[FieldDiff] = field(default_factory=list)
    operation_name: str | None = None
    #: The step as shown: placeholders filled from the state (supplied values as markers).
    shown: Step | None = None

    @property
    def resource(self) -> str:
        return f"{self.step.operation.split('.', 1)[0]}/{self.step.target}"

    def gcloud(self) -> str:
        return (self.shown or self.step).gcloud()


@dataclass
class ManualItem:
    """A fix the gate does not apply: why, and the command a human runs."""

    checks: list[tuple[str, str]]
    command: str
    why: str
    #: Whether ``command`` is a shell command (shown behind ``$``) or a note (shown as text).
    shell: bool = True


@dataclass
class Plan:
    """Every change in dependency order, and what stays manual."""

    changes: list[Change] = field(default_factory=list)
    manual: list[ManualItem] = field(default_factory=list)

    def by_state(self, *states: State) -> list[Change]:
        return [c for c in self.changes if c.state in states]

    def checks_of(self, *states: State) -> set[tuple[str, str]]:
        return {check for c in self.by_state(*states) for check in c.checks}
