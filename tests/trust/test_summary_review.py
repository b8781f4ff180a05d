"""A new user's review of the gate's summary and narrowing, through in-process gate runs.

``-k`` selecting nothing says so; ``--requirement`` takes globs; an unknown scenario stops
before collection; repaired and live-only checks are counted apart so the numbers equal
pytest's; failing resources come in the checklist's service order; an unused waiver is named.
"""

from __future__ import annotations

import re
from pathlib import Path

from mobius_gate.plugin import CHECKS_DIR
from mobius_gate.release import EXIT_FAIL, EXIT_USAGE
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist
from tests.acceptance.gate import GateRun, run_inprocess

REPO = CHECKS_DIR.parent
SNAPSHOT = REPO / "tests" / "collect" / "data" / "snapshot-staging"
PROJECT = "--project=mobiusos-new"


def _pytest_counts(run: GateRun) -> dict[str, int]:
    final = run.stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", final)}


def _our_counts(run: GateRun) -> dict[str, int]:
    line = next(line for line in run.stdout.splitlines() if line.startswith("project mobiusos-new · "))
    return {word: int(n) for n, word in re.findall(r"(\d+) ([a-z][a-z -]*[a-z])", line.split(": ", 1)[1])}


def test_k_selecting_no_check_says_so_and_exits_5(tmp_path: Path) -> None:
    run = run_inprocess(PROJECT, "--emulator=prod", "-k", "SVC-DEPLOYD", basetemp=tmp_path)
    assert run.returncode == 5
    assert "no check matches -k 'SVC-DEPLOYD': see pytest checks --list-requirements" in run.stdout
    assert "collecting the inventory" not in run.stdout


def test_requirement_globs_narrow_the_run(tmp_path: Path) -> None:
    run = run_inprocess(PROJECT, "--emulator=prod", "--requirement=svc-dep*,INF-API", basetemp=tmp_path)
    assert run.returncode == EXIT_FAIL
    assert {row[0] for row in run.rows()} == {"SVC-DEPLOYED", "INF-API"}
    assert "partial run: no release verdict (exit 1)" in run.stdout


def test_an_unknown_scenario_stops_before_collecting(tmp_path: Path) -> None:
    run = run_inprocess(PROJECT, "--emulator=prd", basetemp=tmp_path)
    assert run.returncode == EXIT_USAGE
    assert "ERROR: --emulator: unknown scenario 'prd'; bundled scenarios: " in run.stderr
    assert "collected" not in run.stdout and "collecting the inventory" not in run.stdout


def test_snapshot_counts_live_only_checks_apart(tmp_path: Path) -> None:
    run = run_inprocess(PROJECT, f"--snapshot={SNAPSHOT}", basetemp=tmp_path)
    ours, theirs = _our_counts(run), _pytest_counts(run)
    live = re.search(r"^(\d+) check\(s\) need the live project", run.stdout, re.M)
    assert live is not None and ours["live-only"] == int(live.group(1)) > 0
    assert ours["not judged"] + ours["not applicable"] + ours["live-only"] == theirs["skipped"]
    assert ours["pass"] == theirs["passed"]


def test_failing_services_are_listed_in_the_checklists_order(tmp_path: Path) -> None:
    run = run_inprocess(PROJECT, "--emulator=prod", "--requirement=SVC-DEPLOYED", basetemp=tmp_path)
    line = next(line for line in run.stdout.splitlines() if line.startswith("  SVC-DEPLOYED x"))
    listed = line.split(": ", 1)[1].split(", ")
    order = [s.name for s in load_checklist(DEFAULT_CHECKLIST).services]
    assert listed == sorted(listed, key=order.index) and listed != sorted(listed)


def test_a_waiver_matching_nothing_is_named(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - requirement: SVC-INGRESS\n    resource: mobius-dbt-iu\n"
        "    reason: behind IAP (OPS-1240)\n    expires: 2099-01-01\n"
    )
    run = run_inprocess(PROJECT, "--emulator=public-dbt-ui", f"--waivers={waivers}", basetemp=tmp_path)
    assert run.returncode == EXIT_FAIL  # the typo waives nothing
    assert (
        "waiver matches nothing: SVC-INGRESS mobius-dbt-iu until 2099-01-01 (behind IAP (OPS-1240)) "
        "(typo? or already fixed)" in run.stdout
    )


def test_an_impossible_waiver_date_is_one_usage_line(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - requirement: DB-*\n    reason: by hand (OPS-1)\n    expires: 2026-02-30\n")
    run = run_inprocess(PROJECT, "--emulator=staging", f"--waivers={waivers}", basetemp=tmp_path)
    assert run.returncode == EXIT_USAGE
    assert f"ERROR: --waivers: {waivers}:4: invalid YAML: '2026-02-30' is not a valid date" in run.stderr
    assert "INTERNALERROR" not in run.stdout + run.stderr


def test_repaired_checks_are_counted_as_pytest_counts_them(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    run = run_inprocess(
        PROJECT, "--emulator=prod", "--remediate=apply", "--yes", f"--audit-log={audit}", basetemp=tmp_path
    )
    ours, theirs = _our_counts(run), _pytest_counts(run)
    assert theirs["repaired"] > 0
    assert (ours["pass"], ours["repaired"], ours["fail"]) == (theirs["passed"], theirs["repaired"], theirs["failed"])
