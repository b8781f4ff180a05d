"""``conformance.html``: the page people look at, one self-contained file (Jinja2, autoescaped, no network).

Top to bottom: the release verdict; the services x requirements matrix (a cell opens its checks'
reason and fix on click, ``<details>`` without script); the infrastructure and database items; the
likely causes; what changed since the previous run; the trend over past runs; the gap table.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from mobius_gate.reports import matrix, trend
from mobius_gate.reports.changes import age
from mobius_gate.reports.model import OUTCOMES, Report

_ENV = Environment(
    loader=PackageLoader("mobius_gate.reports", "templates"),
    autoescape=select_autoescape(("html", "j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(report: Report) -> str:
    grid = matrix.build(report)
    template = _ENV.get_template("conformance.html.j2")
    return template.render(
        report=report,
        run=report.run,
        counts=report.counts(),
        outcomes=OUTCOMES,
        conformance=report.conformance(),
        grid=grid,
        symbols=matrix.SYMBOL,
        shown=matrix.shown,
        diagnoses=report.diagnoses(),
        changes=report.changes,
        age=lambda since: age(since, report.run.finished_at),
        trend_svg=Markup(trend.svg(report.trend)),  # built from numbers and escaped text only
        gap=report.gap,
        gap_error=report.gap_error,
    )
