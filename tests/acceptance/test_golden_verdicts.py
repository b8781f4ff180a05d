"""Every bundled emulator scenario, judged by the whole gate, against its committed verdicts.

``golden/<scenario>.tsv`` holds one ``requirement  resource  status  reason`` row per
check (``?  <test>  noverdict`` for a check that records none, e.g. the opt-in live
flows), so a changed verdict or reason shows as a one-line diff. After changing a
rule on purpose, rewrite them with ``MOBIUS_GOLDEN_UPDATE=1 pytest tests/acceptance``
and review the diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import mobius_gate.fixtures.emulator
import pytest

from tests.acceptance.gate import format_rows, read_rows

pytestmark = [pytest.mark.servers, pytest.mark.xdist_group("gate-emulator")]

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted(
    p.stem for p in (Path(mobius_gate.fixtures.emulator.__file__).resolve().parent / "scenarios").glob("*.yaml")
)


def test_there_is_a_golden_file_for_every_scenario_and_no_other() -> None:
    assert SCENARIOS, "no bundled scenarios found"
    assert sorted(p.stem for p in GOLDEN.glob("*.tsv")) == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_verdicts_equal_the_golden_file(gate, scenario: str) -> None:
    run = gate("--project=mobiusos-new", f"--emulator={scenario}")
    assert run.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), run.stderr[-2000:]
    golden = GOLDEN / f"{scenario}.tsv"
    got = format_rows(run.rows())
    if os.environ.get("MOBIUS_GOLDEN_UPDATE"):
        golden.write_text(got)
    want = golden.read_text()
    assert run.rows() == read_rows(golden), "verdicts changed:\n" + "".join(
        difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden/{scenario}.tsv", "this run")
    )
