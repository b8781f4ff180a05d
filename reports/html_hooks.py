"""pytest-html through its own hooks: title with the release verdict, environment, columns, full counts.

Title = project + release verdict (set when pytest-html writes, after the verdict is decided);
environment = project, source, checklist hash (pytest-metadata); columns requirement, resource,
severity, fix from each check's ``mobius_verdict``; the summary gains one line counting every
check — skipped (not applicable / not judged) and advisory ones included, which pytest-html's
own "N tests" leaves out.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from typing import Any

import pytest

from mobius_gate.redact import redact

COLUMNS = ("requirement", "resource", "severity", "fix")


def _verdict(report: Any) -> dict[str, Any]:
    for key, value in getattr(report, "user_properties", ()):
        if key == "mobius_verdict":
            return json.loads(value)
    return {}


def skip_reason(report: Any) -> str | None:
    """The reason of a skipped report (``Skipped: `` dropped, redacted); None for any other report."""
    longrepr = getattr(report, "longrepr", None)
    if not getattr(report, "skipped", False) or not isinstance(longrepr, tuple) or len(longrepr) != 3:
        return None
    text = str(longrepr[2])
    return redact(text.removeprefix("Skipped: ")) or ""


class HtmlColumns:
    def __init__(self, config: pytest.Config, environment: dict[str, str]) -> None:
        self.config = config
        self.environment = environment
        self._html_report: Any = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            return
        if metadata_key in self.config.stash:
            self.config.stash[metadata_key].update(self.environment)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        self._html_report = report
        report.title = f"{self.environment['Project']} — mobius-gate conformance"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        for name in COLUMNS:
            cells.insert(-1, f'<th class="sortable" data-column-type="{name}">{name.capitalize()}</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        v = _verdict(report)
        for name in COLUMNS:
            text = redact(str(v.get(name) or "")) or ""
            cells.insert(-1, f'<td class="col-{name}">{escape(text)}</td>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        """A skipped check's log is its reason as text, not pytest's ``(path, line, "Skipped: …")`` tuple."""
        reason = skip_reason(report)
        if reason is not None and data:
            data[0] = escape(reason) + "\n"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        gate = session.config.pluginmanager.get_plugin("mobius-gate-summary")
        release = getattr(gate, "release", None)
        verdict = (release.verdict or "PARTIAL RUN") if release is not None else "no checks judged"
        if self._html_report is not None:
            self._html_report.title = f"{self.environment['Project']}: {verdict} — mobius-gate conformance"
        if release is None:
            return
        kinds = Counter(release.counts)
        total = sum(kinds.values())
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        prefix.append(f"<p><b>Release gate: {escape(verdict)}</b> — {total} checks: {escape(parts)}.</p>")
