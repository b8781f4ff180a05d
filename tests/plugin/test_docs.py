"""The README and the emulator's README say what the gate has: every scenario, every option, every exit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mobius_gate.cli_options import FLAGS
from mobius_gate.options import scenario_dir
from mobius_gate.plugin import CHECKS_DIR

REPO = CHECKS_DIR.parent
README = REPO / "README.md"
EMULATOR_README = scenario_dir().parent / "README.md"
SCENARIOS = sorted(p.stem for p in scenario_dir().glob("*.yaml"))


def _using_it_rows() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("| use | command |")
    return text[start : text.index("\n\n", start)]


@pytest.mark.parametrize("readme", [README, EMULATOR_README], ids=["README", "emulator-README"])
def test_every_bundled_scenario_is_listed(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    missing = [name for name in SCENARIOS if f"`{name}`" not in text]
    assert not missing, f"{readme.name} omits scenarios {missing}"


def test_every_gate_option_has_a_row_in_using_it() -> None:
    rows = _using_it_rows()
    missing = [flag for flag in FLAGS.values() if flag not in rows and flag != "--yes"]
    assert not missing, f"README 'Using it' lacks {missing}"


def test_the_exit_table_names_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| verdict | when | exit |") : text.index("\n\n", text.index("| verdict | when | exit |"))]
    codes = {code for row in table.splitlines()[2:] for code in re.findall(r"\b(\d)\b", row.rsplit("|", 2)[1])}
    assert codes >= {"0", "1", "3", "4", "5", "6"}


def test_the_docs_name_options_as_they_are_today() -> None:
    snapshot_doc = (CHECKS_DIR.parent / "mobius_gate" / "collect" / "snapshot.py").read_text(encoding="utf-8")
    assert "--save-inventory`" not in snapshot_doc and "--save-gate-inventory" in snapshot_doc
