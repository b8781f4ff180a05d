"""Completing a run's report: history (changes, trend), ``--compare-to`` and the ``--compare`` gap table."""

from __future__ import annotations

from pathlib import Path

import pytest
from mobius_gate.reports import changes
from mobius_gate.reports.compare import gap, side_label
from mobius_gate.reports.history import FILENAME, History
from mobius_gate.reports.model import Report

from mobius_gate.options import Settings


def complete(report: Report, settings: Settings, config: pytest.Config) -> None:
    """Fill ``report.changes``, ``report.trend`` and ``report.gap`` from what the run was given."""
    if settings.conformance_report:
        history = History(settings.conformance_report / FILENAME)
        settings.conformance_report.mkdir(parents=True, exist_ok=True)
        run_id = history.record(report)
        report.changes = changes.from_history(history, report, run_id)
        report.trend = history.trend(report.run.project)
    if settings.compare_to:
        from mobius_gate.reports.json_out import load

        report.changes = changes.from_report(load(settings.compare_to), report)
    if settings.compare:
        report.gap = _gap(settings, config)


def _gap(settings: Settings, config: pytest.Config) -> dict:
    from mobius_gate.reports.targets import collect, target_settings

    from mobius_gate.plugin.state import inventory

    own = inventory(config)
    other = collect(settings.compare or "", settings)
    other_project = target_settings(settings.compare or "", settings).project
    labels = (
        side_label(settings.checklist, other_project, f"compared ({other.source})"),
        side_label(settings.checklist, settings.project, f"this run ({settings.project})"),
    )
    if labels[0] == labels[1]:
        labels = (f"{labels[0]} ({other.source})", f"{labels[1]} ({own.source})")
    return gap(settings.spec, other, own, labels)


def terminal_lines(report: Report, written: list[Path]) -> list[str]:
    lines: list[str] = []
    ch = report.changes
    if ch is not None:
        lines.append(
            f"since the previous run ({ch.previous_at}): {len(ch.fixed)} fixed, {len(ch.regressed)} regressed, "
            f"{len(ch.still_open)} still open"
        )
    if report.gap:
        from mobius_gate.reports.compare import gap_markdown

        lines += gap_markdown(report.gap)
    if written:
        where = written[0].parent
        lines.append(f"mobius-gate reports in {where}: {', '.join(p.name for p in written)}")
    return lines
