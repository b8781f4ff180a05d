"""Fixtures for rule tests: the resolved checklist and a conformant inventory."""

from __future__ import annotations

import pytest

from fixtures.inventory import Inventory
from fixtures.spec import Checklist
from tests.checks.factory import conformant, resolved_spec


@pytest.fixture(scope="session")
def spec() -> Checklist:
    return resolved_spec()


@pytest.fixture
def inv(spec: Checklist) -> Inventory:
    return conformant(spec)
