"""Fixtures for rule tests: the resolved checklist and a conformant inventory."""

from __future__ import annotations

import pytest

from mobius_gate.inventory import Inventory
from mobius_gate.spec import Checklist
from tests.checks.factory import conformant, resolved_spec


@pytest.fixture(scope="session")
def spec() -> Checklist:
    return resolved_spec()


@pytest.fixture
def inv(spec: Checklist) -> Inventory:
    return conformant(spec)
