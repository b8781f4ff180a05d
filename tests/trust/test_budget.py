"""The collection budget bounds the whole run, even against a server that drips one byte a second.

Socket read timeouts never fire against such a server (every read gets its
byte in time), so only the budget can stop the run: the calls are abandoned at
the deadline, their sections become ``unavailable`` and the checks errors, and
the process exits (no thread left behind keeps it alive).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import timedelta

import pytest

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.health import LATE, collect_health
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.inventory import Section, Service
from mobius_gate.release import EXIT_INCOMPLETE
from mobius_gate.spec import load_checklist

PROJECT, REGION = "mobiusos-new", "us-central1"
BUDGET_S = 2.5
#: How late past the budget a run may end and still count as cut at the budget. Generous, so a loaded
#: machine does not flake it: a dripping server left alone keeps the process alive for minutes.
SLACK_S = 10.0
#: conftest for the subprocess: wall-clock times of session start and end, for the parent to compare.
TIMESTAMPS = """
import time

def pytest_sessionstart(session):
    session.config._mobius_started = time.time()

def pytest_unconfigure(config):
    with open("session.times", "w") as out:
        out.write(f"{config._mobius_started} {time.time()}")
"""
STATS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
#: Sent one byte at a time, then ``x`` forever: the status line and a header that never ends.
DRIP_HEAD = b"HTTP/1.1 200 OK\r\nX-Drip: "
ONE_CHECK = """
from mobius_gate.requirements import check
from mobius_gate.rules.subjects import each


@check("SVC-DEPLOYED", each(lambda spec: ["mobius-chat-api"]))
def test_deployed(name, judge):
    return judge.passed("deployed") if judge.inv.service(name) else judge.failed("absent")


@check("INF-API", each(lambda spec: ["run.googleapis.com"], lambda api: "run"))
def test_api(api, judge):
    return judge.passed("enabled") if api in judge.inv.apis.items else judge.failed("disabled")
"""


class DripServer:
    """Loopback HTTP server answering every request one byte per ``interval`` seconds, forever.

    ``/_emulator/stats`` (the emulator probe) is answered at once unless ``drip_probe``.
    """

    def __init__(self, interval: float = 1.0, drip_probe: bool = False) -> None:
        self.interval = interval
        self.drip_probe = drip_probe
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._accept, name="drip-accept", daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), name="drip-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            request = conn.recv(65536)
            if b" /_emulator/stats" in request.split(b"\r\n", 1)[0] and not self.drip_probe:
                conn.sendall(STATS)
                return
            for byte in itertools.chain(DRIP_HEAD, itertools.repeat(ord("x"))):  # never ends
                if self._stop.wait(self.interval):
                    return
                conn.sendall(bytes([byte]))

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    server = DripServer()
    yield server
    server.close()


def test_collection_ends_at_the_budget_with_every_section_unavailable(drip: DripServer) -> None:
    before = _non_daemon_threads()
    started = time.monotonic()
    inv = collect_inventory(Target(PROJECT, REGION, drip.url), CollectOptions(timeout_s=1.5, db_url=None))
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + SLACK_S, elapsed
    assert drip.connections > 0
    assert [t.name for t in _non_daemon_threads() - before] == []
    google = ["apis", "services", "redis_instances", "connectors", "secrets", "sql_instances", "project_iam"]
    for name in google:
        section = inv.section(name)
        assert section.status == "unavailable", name
        assert section.cause is not None and section.cause.endswith("collection budget of 1.5 s exhausted"), (
            section.cause
        )


def test_a_dripping_health_endpoint_is_an_error_at_the_budget(drip: DripServer) -> None:
    spec = load_checklist().resolve(PROJECT, REGION)
    name = next(s.name for s in spec.services if s.health_path)
    services = Section[Service](items=[Service(name=name, uri=drip.url)])
    before = _non_daemon_threads()
    started = time.monotonic()
    section = collect_health(services, spec, timeout_s=5.0, budget_s=1.0)
    assert time.monotonic() - started < 1.0 + 0.5
    assert [t.name for t in _non_daemon_threads() - before] == []
    probe = next(p for p in section.items if p.service == name)
    assert (probe.status_code, probe.error) == (None, LATE)


def _non_daemon_threads() -> set[threading.Thread]:
    """Threads that would keep the interpreter from exiting."""
    return {t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon}


def test_the_gate_process_exits_within_the_budget(
    pytester: pytest.Pytester, drip: DripServer, loopback_env: dict[str, str]
) -> None:
    """The whole run, in its own process: checks are errors, and nothing keeps the process alive.

    Timed from inside (session start → end, wall clock) and from outside (session end → process
    gone), so the interpreter's start-up on a busy machine does not blur the measure.
    """
    pytester.makepyfile(test_gate=ONE_CHECK)
    pytester.makeconftest(TIMESTAMPS)
    for key, value in loopback_env.items():
        pytester._monkeypatch.setenv(key, value)
    result = pytester.runpytest_subprocess(
        "test_gate.py",
        f"--emulator={drip.url}",
        f"--collect-timeout={BUDGET_S:g}",
        "-p",
        "no:cacheprovider",
        "-rA",
        timeout=60,
    )
    exited = time.time()
    started, finished = (float(t) for t in (pytester.path / "session.times").read_text().split())
    assert finished - started < BUDGET_S + SLACK_S, finished - started
    assert exited - finished < SLACK_S, exited - finished
    result.assert_outcomes(errors=2)
    assert result.ret == EXIT_INCOMPLETE  # errors only: could not judge, never a pass
    result.stdout.fnmatch_lines(
        [
            "*[[]SVC-DEPLOYED[]] mobius-chat-api: cannot judge: *collection budget of 2.5 s exhausted*",
            "*[[]INF-API[]] run: cannot judge: *collection budget of 2.5 s exhausted*",
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_dripping_emulator_probe_is_a_usage_error_within_the_budget(pytester: pytest.Pytester) -> None:
    server = DripServer(drip_probe=True)
    try:
        pytester.makepyfile(test_gate=ONE_CHECK)
        started = time.monotonic()
        result = pytester.runpytest_inprocess(
            "test_gate.py", f"--emulator={server.url}", "--collect-timeout=1", "-p", "no:cacheprovider"
        )
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert elapsed < 1.0 + SLACK_S, elapsed
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert errors == [
        f"ERROR: --emulator {server.url}: no mobius-gate emulator answers there (no answer within 1 s); "
        "start one with `python -m mobius_gate.fixtures.emulator --scenario prod --port 8089`"
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"timeout_s": float("inf")},
        {"timeout_s": float("nan")},
        {"timeout_s": 0.0},
        {"timeout_s": -1.0},
        {"logs_since": timedelta(0)},
        {"logs_since": timedelta(seconds=-1)},
    ],
)
def test_collect_options_refuse_an_endless_budget_or_an_empty_window(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        CollectOptions(**changes)  # type: ignore[arg-type]
