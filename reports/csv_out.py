"""``conformance.csv``: one row per check, the columns Prowler/Powerpipe users sort and filter on."""

from __future__ import annotations

import csv
import io

from mobius_gate.reports.model import Report

COLUMNS = (
    "project",
    "requirement",
    "phase",
    "severity",
    "resource",
    "check_id",
    "outcome",
    "reason",
    "expected",
    "actual",
    "fix",
    "diagnosis",
    "section",
    "duration_s",
)


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in report.checks:
        row = {**c.__dict__, "project": report.run.project}
        writer.writerow(["" if row[col] is None else row[col] for col in COLUMNS])
    return out.getvalue()
