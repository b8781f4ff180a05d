"""Framework tests: hermetic by default, and never a byte beyond loopback.

Sets the google-auth variables that stop it probing the GCE metadata server,
and installs a guard that fails any attempt to resolve or connect to a
non-loopback address from this process.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

#: google-auth reads NO_GCE_CHECK at import and honours only the lowercase "true" (google-auth 2.x):
#: with it, a run without credentials fails at once instead of retrying the metadata ping for ~3 s.
LOOPBACK_ENV = {
    "NO_GCE_CHECK": "true",
    "GCE_METADATA_HOST": "127.0.0.1:9",
    "GCE_METADATA_IP": "127.0.0.1:9",
}
os.environ.update(LOOPBACK_ENV)

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NonLoopbackTraffic(AssertionError):
    """A test tried to reach beyond loopback."""


def _loopback_host(host: object) -> bool:
    if host is None:
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in _LOCAL_NAMES or text == "":
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _loopback_host(host):
        raise NonLoopbackTraffic(f"test tried to resolve non-loopback host {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _check_address(sock: socket.socket, address: object) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not _loopback_host(address[0]):  # type: ignore[index]
        raise NonLoopbackTraffic(f"test tried to connect to non-loopback address {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture
def loopback_env() -> dict[str, str]:
    """Environment for subprocesses: the current one plus the metadata-server guards, no ADC."""
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    env.update(LOOPBACK_ENV)
    return env


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``: a module per work unit, and all of ``e2e/`` in one (tests/xdist_scopes.py)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from tests.xdist_scopes import ModulesAndE2E

    return ModulesAndE2E(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze the collected suite out of the cyclic GC's reach (see mobius_gate/heap.py).

    Many tests run the gate in this process; pytest's ``gc.collect()`` at the end of each inner
    run would otherwise walk every collected item and imported module again.
    """
    import gc

    gc.freeze()
