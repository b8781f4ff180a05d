"""Fixtures for the emulator's own tests: running emulators and official REST clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from mobius_gate.fixtures.emulator import Emulator

PROD = "mobiusos-new"
STAGING = "mobiusos-staging"
REGION = "us-central1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "servers: the test starts local servers (the emulator, ...)")


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """prod in mobiusos-new + staging in mobiusos-staging; only for tests that do not mutate."""
    with Emulator("prod", PROD) as emu:
        emu.load("staging", STAGING)
        yield emu


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator (prod + staging) for tests that change state."""
    with Emulator("prod", PROD) as emu:
        emu.load("staging", STAGING)
        yield emu


def make_client(client_class: type, emu: Emulator) -> Any:
    """An official client over REST at the emulator, with anonymous credentials."""
    return client_class(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": emu.url},
    )


@pytest.fixture
def client_for() -> Callable[[type, Emulator], Any]:
    return make_client
