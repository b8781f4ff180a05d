"""``summary.md``: the verdict, the counts, what to fix first (with its gcloud fix), what changed since last run.

Short enough for a CI step summary (``$GITHUB_STEP_SUMMARY``) or a chat post.
"""

from __future__ import annotations

from mobius_gate.reports.changes import age
from mobius_gate.reports.compare import gap_markdown
from mobius_gate.reports.model import OUTCOMES, Change, CheckResult, Report, fix_order

ICON = {"PASS": "✅", "FAIL": "❌", "INCOMPLETE": "⚠️"}
#: At most this many resources named per failing requirement (the JSON has them all).
NAMES = 8


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _failing(report: Report) -> list[str]:
    groups = fix_order(report.checks)
    if not groups:
        return []
    lines = ["", "## Failing requirements, in the order to fix them", ""]
    for index, (rid, checks) in enumerate(groups, 1):
        names = ", ".join(c.check_id for c in checks[:NAMES]) + (" …" if len(checks) > NAMES else "")
        lines.append(f"{index}. **{rid}** — {checks[0].title} ({len(checks)}): {names}")
        fixes: dict[str, CheckResult] = {}
        for c in checks:
            if c.fix and c.fix not in fixes:
                fixes[c.fix] = c
        for fix, c in list(fixes.items())[:NAMES]:
            lines.append(f"   - {c.check_id}: {_code(fix)}")
    return lines


def _unknown(report: Report) -> list[str]:
    errors = [c for c in report.checks if c.outcome == "error"]
    unjudged = [c for c in report.checks if c.unjudged]
    lines: list[str] = []
    if errors:
        lines += ["", f"## Could not judge ({len(errors)}: errors, not passes)", ""]
        lines += [f"- **{c.requirement}** {c.check_id}: {c.reason}" for c in errors[: NAMES * 2]]
    if unjudged:
        by_supply: dict[str, list[str]] = {}
        for c in unjudged:
            by_supply.setdefault(c.supply or c.reason, []).append(c.requirement)
        lines += ["", f"## Not judged ({len(unjudged)} blocking checks lacked input)", ""]
        lines += [f"- {', '.join(dict.fromkeys(ids))} — {supply}" for supply, ids in by_supply.items()]
    return lines


def _change_lines(title: str, changes: list[Change], now: str, aged: bool) -> list[str]:
    if not changes:
        return []
    lines = [f"**{title} ({len(changes)})**", ""]
    for ch in changes:
        tail = f" — open {age(ch.open_since, now)} ({ch.open_runs} runs)" if aged else f" — was {ch.before}"
        lines.append(f"- {ch.key}: {ch.after}{tail}")
    return [*lines, ""]


def _changes(report: Report) -> list[str]:
    ch = report.changes
    if ch is None:
        return []
    now = report.run.finished_at
    lines = ["", f"## Since the previous run ({ch.previous_at}, {ch.previous_verdict or 'partial'})", ""]
    if not (ch.fixed or ch.regressed or ch.still_open):
        return [*lines, "Nothing open, nothing changed."]
    lines += _change_lines("Fixed", ch.fixed, now, aged=False)
    lines += _change_lines("Regressed", ch.regressed, now, aged=True)
    lines += _change_lines("Still open", ch.still_open, now, aged=True)
    return lines


def render(report: Report) -> str:
    run, counts = report.run, report.counts()
    icon = ICON.get(run.verdict or "", "🔎")
    lines = [
        f"# {icon} mobius-gate {run.project}: {run.verdict_label}",
        "",
        f"{run.source.label()} · {run.region} · checklist `{run.checklist_sha256[:12]}` · {run.finished_at} · "
        f"conformance {report.conformance():.0%}",
        "",
        "| " + " | ".join(OUTCOMES) + " | total |",
        "|" + "---:|" * (len(OUTCOMES) + 1),
        "| " + " | ".join(str(counts[o]) for o in OUTCOMES) + f" | {counts['total']} |",
    ]
    if counts["unjudged"]:
        lines += ["", f"{counts['unjudged']} of the skipped checks are blocking and were not judged (see below)."]
    lines += _failing(report) + _unknown(report)
    diagnoses = report.diagnoses()
    if diagnoses:
        lines += ["", "## Likely causes", ""]
        lines += [f"- {d['cause']} ({d['count']} checks)" for d in diagnoses]
    lines += _changes(report)
    if report.gap:
        lines += ["", *gap_markdown(report.gap)]
    if report.gap_error:
        lines += ["", "## Executive Summary gap: not generated", "", f"{report.gap_error}"]
    return "\n".join(lines) + "\n"
