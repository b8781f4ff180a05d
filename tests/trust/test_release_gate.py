"""The release verdict as a user meets it: INCOMPLETE, waivers, partial runs, exit codes, counts.

The gate runs in-process on the bundled emulator (the real plugin, the real checks).
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mobius_gate.plugin import CHECKS_DIR
from mobius_gate.release import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_PASS

NEXT_MONTH = "2099-01-01"
REPO = CHECKS_DIR.parent


@dataclass
class Run:
    ret: int
    out: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def outcomes(self) -> dict[str, int]:
        final = self.lines[-1]
        return {word.rstrip(","): int(n) for n, word in re.findall(r"(\d+) (\w+)", final)} | {
            "errors": int(m.group(1)) if (m := re.search(r"(\d+) errors?", final)) else 0
        }


def gate(tmp_path: Path, *args: str) -> Run:
    """``pytest checks --project=mobiusos-new ARGS`` through pytest.main in this process (proto classes load once)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        mp.chdir(REPO)
        argv = [str(CHECKS_DIR), "--project=mobiusos-new", "-p", "no:cacheprovider", f"--rootdir={REPO}"]
        code = pytest.main([*argv, f"--basetemp={tmp_path / 'basetemp'}", *args])
    return Run(int(code), out.getvalue())


def waivers(tmp_path: Path, *entries: tuple[str, str]) -> str:
    path = tmp_path / "waivers.yaml"
    lines = ["waivers:"]
    for requirement, expires in entries:
        lines += [
            f"  - requirement: {requirement}",
            "    reason: accepted for this release (OPS-1)",
            f"    expires: {expires}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return f"--waivers={path}"


def test_a_default_run_without_database_or_live_flows_is_incomplete(tmp_path: Path) -> None:
    result = gate(tmp_path, "--emulator=staging")
    assert result.ret == EXIT_INCOMPLETE
    out = result.out
    assert "release gate: INCOMPLETE (exit 6)" in out
    assert "DB-EXISTS, DB-MIGRATION, DB-RAG-META, DB-RAG-CONSISTENT — no database URL: pass --db-url" in out
    assert (
        "VER-E2E-CHAT, VER-E2E-RAG, VER-E2E-SCRAPER — the live flows of §4.4 are opt-in: run with --live-flows" in out
    )
    assert "release gate: PASS" not in out


def test_waiving_what_was_not_judged_passes_and_says_waived(tmp_path: Path) -> None:
    result = gate(tmp_path, "--emulator=staging", waivers(tmp_path, ("DB-*", NEXT_MONTH), ("VER-E2E-*", NEXT_MONTH)))
    assert result.ret == EXIT_PASS, result.out[-2000:]
    out = result.out
    assert "release gate: PASS (exit 0)" in out
    assert "waived (7, accepted by --waivers, not passes):" in out
    assert (result.outcomes()["passed"], result.outcomes()["xfailed"]) == (158, 7)


def test_an_expired_waiver_no_longer_applies(tmp_path: Path) -> None:
    result = gate(tmp_path, "--emulator=staging", waivers(tmp_path, ("DB-*", "2026-01-01"), ("VER-E2E-*", NEXT_MONTH)))
    assert result.ret == EXIT_INCOMPLETE
    assert "expired waiver no longer applies (4 check(s)): DB-* until 2026-01-01" in result.out


def test_a_waived_deviation_is_waived_not_passed(tmp_path: Path) -> None:
    extra = waivers(tmp_path, ("DB-*", NEXT_MONTH), ("VER-E2E-*", NEXT_MONTH), ("SVC-INGRESS", NEXT_MONTH))
    result = gate(tmp_path, "--emulator=public-dbt-ui", extra)
    assert result.ret == EXIT_PASS
    assert (result.outcomes()["passed"], result.outcomes()["xfailed"]) == (157, 8)


@pytest.mark.parametrize(
    ("scenario", "narrowing", "code"),
    [
        ("prod", "--requirement=SVC-CPU-ALWAYS", EXIT_PASS),
        ("prod", "-kSVC-DEPLOYED", EXIT_FAIL),
        ("staging", "-mservices", EXIT_PASS),
    ],
)
def test_a_narrowed_run_gives_no_release_verdict(tmp_path: Path, scenario: str, narrowing: str, code: int) -> None:
    result = gate(tmp_path, f"--emulator={scenario}", narrowing)
    assert result.ret == code
    out = result.out
    assert f"partial run: no release verdict (exit {code})" in out
    assert "release gate:" not in out


def test_a_failing_run_is_fail_with_requirements_in_fix_order(tmp_path: Path) -> None:
    result = gate(tmp_path, "--emulator=prod")
    assert result.ret == EXIT_FAIL
    lines = result.lines
    start = lines.index("failing requirements, in the order to fix them:")
    order = [line.split()[0] for line in lines[start + 1 :] if line.startswith("  ")]
    order = order[: order.index("DB-EXISTS,")] if "DB-EXISTS," in order else order
    assert order == [
        "INF-API",
        "INF-REDIS",
        "INF-VPC",
        "INF-SECRET",
        "SVC-DEPLOYED",
        "SVC-VPC-CONNECTOR",
        "SVC-VPC-EGRESS",
        "SVC-ENV",
    ]


def test_the_summary_counts_equal_pytests_own(tmp_path: Path) -> None:
    result = gate(tmp_path, "--emulator=prod")
    ours = re.search(
        r"(\d+) pass, (\d+) fail, (\d+) error, (\d+) advisory, (\d+) waived, (\d+) not judged, (\d+) not applicable",
        result.out,
    )
    assert ours is not None
    passed, failed, errors, advisory, waived, unjudged, na = (int(n) for n in ours.groups())
    outcomes = result.outcomes()
    assert passed == outcomes.get("passed", 0)
    assert failed == outcomes.get("failed", 0)
    assert errors == outcomes.get("errors", 0)
    assert advisory + waived == outcomes.get("xfailed", 0)
    assert unjudged + na == outcomes.get("skipped", 0)
