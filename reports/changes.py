"""What regressed and what was fixed since a previous run, and how long each failure has been open (pure)."""

from __future__ import annotations

from datetime import datetime

from mobius_gate.reports.history import History, Outcomes
from mobius_gate.reports.model import Change, Changes, Report


def diff(
    previous: Outcomes,
    current: Report,
    *,
    previous_at: str | None,
    previous_verdict: str | None,
    streaks: dict[str, tuple[str, int]] | None = None,
) -> Changes:
    """``current`` against ``previous`` (key → (outcome, open)); ages from ``streaks`` (key → (since, runs))."""
    streaks = streaks or {}
    out = Changes(previous_at=previous_at, previous_verdict=previous_verdict)
    for check in current.checks:
        before, was_open = previous.get(check.key, (None, False))
        since, runs = streaks.get(check.key, (current.run.finished_at, 1))
        change = Change(check.key, check.requirement, check.resource, before, check.outcome)
        if check.open and was_open:
            out.still_open.append(_aged(change, since, runs))
        elif check.open:
            out.regressed.append(_aged(change, current.run.finished_at, 1))
        elif was_open:
            out.fixed.append(change)
    return out


def _aged(change: Change, since: str, runs: int) -> Change:
    return Change(change.key, change.requirement, change.resource, change.before, change.after, since, runs)


def from_history(history: History, current: Report, run_id: int) -> Changes | None:
    """Changes against the project's run before ``run_id`` (None on its first run)."""
    earlier = history.runs(current.run.project, before=run_id)
    if not earlier:
        return None
    prev_id, prev_at, prev_verdict = earlier[0]
    open_keys = {c.key for c in current.checks if c.open}
    streaks = history.open_streaks(current.run.project, open_keys, run_id)
    return diff(history.outcomes(prev_id), current, previous_at=prev_at, previous_verdict=prev_verdict, streaks=streaks)


def from_report(previous: Report, current: Report) -> Changes:
    """``--compare-to=PREVIOUS.json``: changes against any earlier report (ages from the two runs)."""
    outcomes = {c.key: (c.outcome, c.open) for c in previous.checks}
    streaks = {c.key: (previous.run.finished_at, 2) for c in previous.checks if c.open}
    return diff(
        outcomes,
        current,
        previous_at=previous.run.finished_at,
        previous_verdict=previous.run.verdict,
        streaks=streaks,
    )


def age(since: str | None, now: str) -> str:
    """``3d 4h`` / ``2h 5m`` / ``12m`` / ``<1m`` between two ISO times."""
    if not since:
        return "-"
    seconds = max(0, int((datetime.fromisoformat(now) - datetime.fromisoformat(since)).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "<1m"
