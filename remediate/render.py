"""The plan and its outcome as text: per failing check, and for the whole run (terminal summary)."""

from __future__ import annotations

from mobius_gate.remediate.model import Change, ManualItem, Plan
from mobius_gate.remediate.runner import Result

from mobius_gate.redact import redact

_MARK = {
    "planned": "would apply",
    "applied": "applied",
    "unchanged": "unchanged",
    "held": "held back",
    "skipped": "skipped",
    "failed": "FAILED",
    "manual": "manual",
}


def change_lines(number: int, change: Change, mode: str) -> list[str]:
    state = "to apply" if change.state == "planned" and mode == "apply" else _MARK[change.state]
    checks = ", ".join(f"{req} {res}" for req, res in change.checks)
    lines = [f"{number:>2}. [{state}] {change.step.operation} {change.step.target}  ({checks})"]
    lines.append(f"      $ {redact(change.gcloud())}")
    lines += [f"      {d.text()}" for d in change.diff]
    if change.why:
        lines.append(f"      why: {change.why}")
    if change.operation_name:
        lines.append(f"      operation: {change.operation_name}")
    return lines


def _manual_line(item: ManualItem) -> str:
    """A manual item's command behind ``$ ``; a note (no command to run) as plain text."""
    return f"      {'$ ' if item.shell else ''}{redact(item.command)}"


def check_text(plan: Plan, mode: str, check: tuple[str, str]) -> str | None:
    """The ordered changes (and manual steps) repairing one check, or None when it has none."""
    lines: list[str] = []
    for number, change in enumerate(plan.changes, 1):
        if check in change.checks:
            lines += change_lines(number, change, mode)
    for item in plan.manual:
        if check in item.checks:
            lines += [f" -. [manual] {item.why}", _manual_line(item)]
    return "\n".join(lines) if lines else None


def held_lines(result: Result) -> list[str]:
    """What ``--max-changes`` held back, and exactly how to continue."""
    held = result.plan.by_state("held")
    if not held:
        return []
    limit = f"--max-changes={result.max_changes}"
    out = [
        f"held back ({len(held)}, beyond {limit}): " + ", ".join(f"{c.step.operation} {c.step.target}" for c in held)
    ]
    if result.mode == "apply":
        out.append(
            "  to continue: run --remediate=apply again (it continues where this run stopped), "
            f"or re-run with --max-changes={len(held)} to make the rest in one run"
        )
    else:
        every = len(held) + len(result.plan.by_state("planned"))
        out.append(
            f"  to make every change in one run: --remediate=apply --max-changes={every}; or apply twice "
            "(the second apply continues where the first stopped)"
        )
    return out


def summary_lines(result: Result) -> list[str]:
    """The whole plan in dependency order, what was held back, and what stays manual."""
    plan, mode = result.plan, result.mode
    out = [f"remediation ({mode}): {len(plan.changes)} change(s) in dependency order, {len(plan.manual)} manual"]
    for number, change in enumerate(plan.changes, 1):
        out += change_lines(number, change, mode)
    out += held_lines(result)
    if plan.manual:
        out.append("stays manual:")
        for item in plan.manual:
            checks = ", ".join(f"{req} {res}" for req, res in item.checks)
            out += [f"  - {checks}: {item.why}", _manual_line(item)]
    if mode == "apply":
        counts = {s: len(plan.by_state(s)) for s in ("applied", "unchanged", "failed", "skipped", "held")}
        out.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f"; {len(result.repaired)} check(s) repaired")
        if result.audit_path is None:
            out.append("audit: not kept (ephemeral emulator); pass --audit-log to keep it")
        else:
            out.append(f"audit: {result.audit_lines} line(s) appended to {result.audit_path} as {result.principal}")
    else:
        out.append("nothing was written (plan)")
    return out
