"""E2E flows never send a create twice: POST is retried only when it provably never left.

A raw loopback socket server reads each request and hangs up without an answer
(the connection breaks *after* the request was sent, as a proxy reset does).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from mobius_gate.collect.flows import TRANSPORT_ATTEMPTS, FlowRunner, may_retry
from mobius_gate.spec import E2EFlow, E2ELiveSpec, E2EStep


@pytest.mark.parametrize(
    ("method", "exc", "expected"),
    [
        ("GET", httpx.ReadTimeout("slow"), True),
        ("DELETE", httpx.RemoteProtocolError("peer closed"), True),
        ("POST", httpx.ConnectError("refused"), True),
        ("POST", httpx.ConnectTimeout("no SYN-ACK"), True),
        ("POST", httpx.ReadTimeout("slow"), False),
        ("POST", httpx.RemoteProtocolError("peer closed"), False),
        ("PATCH", httpx.ReadError("reset"), False),
        ("GET", ValueError("not transport"), False),
    ],
)
def test_may_retry(method: str, exc: BaseException, expected: bool) -> None:
    assert may_retry(method, exc) is expected


@pytest.fixture
def hang_up_server() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server that reads one request per connection and closes without answering."""
    seen: list[bytes] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                seen.append(data.split(b"\r\n", 1)[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()


@pytest.mark.servers
@pytest.mark.parametrize(("method", "sends"), [("POST", 1), ("GET", TRANSPORT_ATTEMPTS)])
def test_broken_connection_after_sending(hang_up_server: tuple[str, list[bytes]], method: str, sends: int) -> None:
    base, seen = hang_up_server
    live = E2ELiveSpec(timeout_s=10, request_timeout_s=2)
    flow = E2EFlow(service="chat", description="one step", steps=[E2EStep(name="submit", method=method, path="/chat")])
    runner = FlowRunner(live, base, sleep=lambda _s: None)
    try:
        result = runner.run(flow)
    finally:
        runner.close()
    assert not result.ok
    assert result.step == "submit"
    assert "RemoteProtocolError" in result.reason
    assert seen == [f"{method} /chat HTTP/1.1".encode()] * sends
