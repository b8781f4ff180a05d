"""Bad report options are one usage line before any check runs; a --compare target that cannot be
collected costs the gap table only (the summary, the reports and the exit status stay the run's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mobius_gate.reports import json_out
from mobius_gate.reports.targets import resolve

from tests.acceptance.gate import GateRun, run_inprocess
from tests.reports.conftest import run_with_reports


def _usage(tmp_path: Path, *args: str) -> str:
    """The gate with ARGS stops at configure time: exit 4, no check run, one ERROR line, no traceback."""
    run: GateRun = run_inprocess("--project=mobiusos-new", "--emulator=staging", *args, basetemp=tmp_path / "t")
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 4 and not run.outcomes, run.stdout[-2000:] + run.stderr[-2000:]
    assert len(errors) == 1 and "Traceback" not in run.stdout + run.stderr, run.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{}", "not a mobius-gate conformance report (conformance.json): no schema_version"),
        ("not json\n", "not JSON (line 1, column 1"),
        ('{"schema_version": "0.9"}', "no run"),
        (None, "schema_version '0.9', this gate reads '1.0'"),
    ],
)
def test_compare_to_a_file_that_is_no_report(tmp_path: Path, content: str | None, why: str) -> None:
    previous = tmp_path / "previous.json"
    if content is None:  # a real report of another schema version
        report = run_with_reports(tmp_path / "first", tmp_path / "t0", "--emulator=staging").document
        content = json.dumps(report | {"schema_version": "0.9"})
    previous.write_text(content)
    line = _usage(tmp_path, f"--compare-to={previous}")
    assert line.startswith(f"ERROR: --compare-to {previous}: ") and why in line


def test_report_dir_that_is_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert _usage(tmp_path, f"--conformance-report={afile}") == (
        f"ERROR: --conformance-report: {afile} exists and is not a directory"
    )
    assert _usage(tmp_path, f"--conformance-report={afile}/sub").startswith(
        f"ERROR: --conformance-report: cannot create {afile}/sub: "
    )


def test_unknown_scenario_and_non_project_targets(tmp_path: Path) -> None:
    line = _usage(tmp_path, "--compare=emulator:nosuch")
    assert line.startswith("ERROR: --compare: no bundled scenario 'nosuch' (known: ") and "staging" in line
    line = _usage(tmp_path, "--compare=Staging_Project")
    assert "not a bundled scenario" in line and "an existing path or a GCP project id" in line
    assert _usage(tmp_path, f"--compare=snapshot:{tmp_path}/none").endswith(f"no such directory: {tmp_path}/none")


def test_how_a_bare_target_is_read(tmp_path: Path) -> None:
    assert (resolve("staging").kind, resolve("staging").source) == ("emulator", "emulator:staging")
    typo = resolve("stagng")  # looks like a project id: read as one, and every message says so
    assert (typo.kind, typo.source) == ("project", "live:stagng")
    assert typo.reading == (
        "a live project id (not a bundled scenario or an existing path; did you mean emulator:staging?)"
    )
    assert resolve("mobiusos-staging").kind == "project"
    assert resolve(str(tmp_path)).kind == "snapshot"
    assert resolve("emulator:http://127.0.0.1:8089").source == "emulator:http://127.0.0.1:8089"


def test_a_target_that_cannot_be_collected_costs_only_the_gap_table(tmp_path: Path) -> None:
    run = run_with_reports(tmp_path / "out", tmp_path / "t", "--emulator=prod", "--compare=emulator:http://127.0.0.1:9")
    assert run.gate.returncode == 1, run.gate.stdout[-3000:]  # the release's own verdict: FAIL
    stdout = run.gate.stdout
    assert "release gate: FAIL (exit 1)" in stdout and "Traceback" not in stdout + run.gate.stderr
    (line,) = [x for x in stdout.splitlines() if "--compare" in x]
    assert line.startswith("--compare emulator:http://127.0.0.1:9: read as the URL of a running emulator: ")
    assert "no mobius-gate emulator answers there" in line and line.endswith("the reports have no gap table")
    doc = run.document
    json_out.validate(doc)
    assert doc["gap"] is None and doc["gap_error"] == line.removesuffix(" — the reports have no gap table")
    assert doc["gap_error"] in run.text("summary.md") and 'id="gap-error"' in run.text("conformance.html")
    assert not (run.out / "compare.json").exists()
