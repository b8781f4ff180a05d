"""The reports plugin: registered by the gate's plugin on the controller when a report is asked for.

It gathers what the verdicts do not carry — each check's duration and the optional
``mobius_repaired`` mark — and at session end, after ``mobius-gate-summary`` decided the release,
builds one :class:`~mobius_gate.reports.model.Report`, adds the history (``history.sqlite`` in the
report directory, or ``--compare-to=PREVIOUS.json``) and the ``--compare`` gap table, and writes every
format. pytest-html gets its columns, title and environment from :mod:`.html_hooks`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mobius_gate.reports.html_hooks import HtmlColumns
from mobius_gate.reports.model import Report, RunMeta, Source, check_result

import mobius_gate
from mobius_gate.options import Settings, report_dir
from mobius_gate.release import fix_key

REPAIRED = "mobius_repaired"
HTML_NAME = "report.html"


def default_html(config: pytest.Config) -> None:
    """``--conformance-report=DIR`` without ``--html``: pytest-html writes DIR/report.html (self-contained)."""
    directory = config.getoption("mobius_conformance_report", None)
    if directory and not getattr(config.option, "help", False):
        report_dir(directory)  # a file in the way is one usage line here, before pytest-html's mkdir
    if directory and hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(Path(directory) / HTML_NAME)
        config.option.self_contained_html = True


def register(config: pytest.Config, settings: Settings) -> None:
    plugin = ReportPlugin(settings)
    config.pluginmanager.register(plugin, "mobius-gate-reports")
    config.pluginmanager.register(HtmlColumns(config, plugin.environment()), "mobius-gate-html")


def source_label(settings: Settings) -> str:
    """This run's source as ``compare.json`` records it: ``emulator:prod`` (the URL only when given), ``live:ID``."""
    source = source_of(settings)
    return f"live:{settings.project}" if source.kind == "live" else f"{source.kind}:{source.name}"


def source_of(settings: Settings) -> Source:
    if settings.inventory_file:
        return Source("inventory", str(settings.inventory_file))
    if settings.snapshot_dir:
        return Source("snapshot", str(settings.snapshot_dir))
    if settings.emulator:
        return Source("emulator", settings.emulator)
    return Source("live", "live GCP")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReportPlugin:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started_at = _now()
        self.checklist_sha256 = hashlib.sha256(settings.checklist_path.read_bytes()).hexdigest()
        self.durations: dict[str, float] = defaultdict(float)
        self.repaired: set[str] = set()
        self.report: Report | None = None
        self.written: list[Path] = []

    def environment(self) -> dict[str, str]:
        return {
            "Project": self.settings.project,
            "Region": self.settings.region,
            "Source": source_of(self.settings).label(),
            "Checklist": f"{self.settings.checklist_path.name} sha256:{self.checklist_sha256[:12]}",
        }

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] += report.duration
        if any(key == REPAIRED for key, _ in report.user_properties):
            self.repaired.add(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        summary = session.config.pluginmanager.get_plugin("mobius-gate-summary")
        if summary is None or summary.release is None:
            return
        self.report = self._build(summary)
        from mobius_gate.reports.assemble import complete

        complete(self.report, self.settings, session.config)
        if self.settings.conformance_report:
            from mobius_gate.reports.write import write_all

            self.written = write_all(self.report, self.settings.conformance_report)

    def _build(self, summary: Any) -> Report:
        release, s = summary.release, self.settings
        checks = [
            check_result(
                verdict,
                summary.outcome(verdict).kind,  # the release's own reading (waivers, live-only, strict)
                nodeid=nodeid,
                duration_s=self.durations.get(nodeid, 0.0),
                repaired=nodeid in self.repaired,
            )
            for nodeid, verdict in summary.results.items()
        ]
        meta = RunMeta(
            project=s.project,
            region=s.region,
            source=source_of(s),
            started_at=self.started_at,
            finished_at=_now(),
            checklist_path=str(s.checklist_path),
            checklist_sha256=self.checklist_sha256,
            tool_version=mobius_gate.__version__,
            verdict=release.verdict,
            exit_code=release.exit_code,
            partial=release.verdict is None,
        )
        # The checks in the order to fix them: the terminal summary's own key (catalogue, then checklist service order).
        return Report(meta, sorted(checks, key=fix_key([svc.name for svc in s.spec.services])))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from mobius_gate.reports.assemble import terminal_lines

        if self.report is not None:
            for line in terminal_lines(self.report, self.written):
                terminalreporter.write_line(line)
