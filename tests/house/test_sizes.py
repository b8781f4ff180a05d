"""The house stays readable: product modules stay small and so do their functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("mobius_gate", "checks", "fixtures", "remediate", "reports")
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def product_files() -> list[Path]:
    return sorted(p for root in PRODUCT if (REPO / root).is_dir() for p in (REPO / root).rglob("*.py"))


@pytest.mark.parametrize("path", product_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_module_and_its_functions_are_small(path: Path) -> None:
    source = path.read_text()
    assert source.count("\n") <= MAX_FILE_LINES, f"{path.name}: split it by job (over {MAX_FILE_LINES} lines)"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"
