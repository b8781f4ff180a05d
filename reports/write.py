"""Write every format of one report into the report directory (and the CI step summary)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mobius_gate.reports import csv_out, html, json_out, junit, markdown
from mobius_gate.reports.compare import gap_markdown
from mobius_gate.reports.model import Report

#: File name → writer, in the order they are written.
WRITERS = {
    "conformance.json": json_out.render,
    "junit.xml": junit.render,
    "conformance.csv": csv_out.render,
    "summary.md": markdown.render,
    "conformance.html": html.render,
}


def write_all(report: Report, directory: Path) -> list[Path]:
    """Every format into ``directory``; the paths written. ``$GITHUB_STEP_SUMMARY`` gets the summary too."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, render in WRITERS.items():
        path = directory / name
        path.write_text(render(report), encoding="utf-8")
        written.append(path)
    if report.gap:
        (directory / "compare.md").write_text("\n".join(gap_markdown(report.gap)) + "\n", encoding="utf-8")
        (directory / "compare.json").write_text(json.dumps(report.gap, indent=2, ensure_ascii=False) + "\n")
        written += [directory / "compare.md", directory / "compare.json"]
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(markdown.render(report) + "\n")
    return written
