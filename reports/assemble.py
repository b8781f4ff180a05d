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
        _add_gap(report, settings, config)


def _add_gap(report: Report, settings: Settings, config: pytest.Config) -> None:
    """The gap table; when TARGET cannot be collected, the reports go out without it and say why."""
    from mobius_gate.reports.targets import CompareFailed

    try:
        report.gap = _gap(settings, config)
    except CompareFailed as exc:
        report.gap_error = str(exc)


def _gap(settings: Settings, config: pytest.Config) -> dict:
    from mobius_gate.reports.plugin import source_label
    from mobius_gate.reports.targets import CompareFailed, collect, resolve, target_settings

    from mobius_gate.plugin.state import inventory

    try:
        target = resolve(settings.compare or "")
    except pytest.UsageError as exc:  # resolved at configure time; a path removed since
        raise CompareFailed(f"--compare {settings.compare}: {exc}") from None
    own = inventory(config)
    other = collect(target, settings)
    sources = (target.source, source_label(settings))
    labels = (
        side_label(settings.checklist, target_settings(target, settings).project, f"compared ({sources[0]})"),
        side_label(settings.checklist, settings.project, f"this run ({settings.project})"),
    )
    if labels[0] == labels[1]:
        labels = (f"{labels[0]} ({sources[0]})", f"{labels[1]} ({sources[1]})")
    table = gap(settings.spec, other, own, labels)
    table["left"]["source"], table["right"]["source"] = sources  # not the in-process emulator's throwaway port
    return table


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
    if report.gap_error:
        lines.append(f"{report.gap_error} — the reports have no gap table")
    if written:
        where = written[0].parent
        lines.append(f"mobius-gate reports in {where}: {', '.join(p.name for p in written)}")
    return lines
