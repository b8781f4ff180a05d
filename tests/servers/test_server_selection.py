"""Choosing where Redis and PostgreSQL come from, without Docker and without servers."""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mobius_gate.fixtures import servers
from mobius_gate.fixtures.servers import DockerProbe, ServerError

NO_DOCKER = DockerProbe("unix:///nowhere.sock", False, "/nowhere.sock does not exist")
DOCKER = DockerProbe("unix:///var/run/docker.sock", True)


@pytest.mark.parametrize(
    ("given", "docker", "expected"),
    [
        ("redis://127.0.0.1:1/0", DOCKER, "given"),
        ("redis://127.0.0.1:1/0", NO_DOCKER, "given"),
        (None, DOCKER, "testcontainers"),
        (None, NO_DOCKER, "local-binary"),
        ("", NO_DOCKER, "local-binary"),
    ],
)
def test_choose_source_prefers_given_then_docker_then_local(given, docker, expected) -> None:
    assert servers.choose_source(given, docker) == expected


def test_given_url_option_beats_environment() -> None:
    env = {"MOBIUS_REDIS_URL": "redis://127.0.0.1:2/0", "MOBIUS_POSTGRES_URL": "postgresql://p@127.0.0.1:3/x"}
    assert servers.given_url("redis", "redis://127.0.0.1:1/0", env) == "redis://127.0.0.1:1/0"
    assert servers.given_url("redis", None, env) == "redis://127.0.0.1:2/0"
    assert servers.given_url("postgres", None, env) == "postgresql://p@127.0.0.1:3/x"
    assert servers.given_url("postgres", None, {}) is None


def test_docker_endpoint_defaults_to_local_socket() -> None:
    assert servers.docker_endpoint({}) == "unix:///var/run/docker.sock"
    assert servers.docker_endpoint({"DOCKER_HOST": "tcp://127.0.0.1:2375"}) == "tcp://127.0.0.1:2375"


def test_probe_missing_socket_is_negative_and_says_why(tmp_path: Path) -> None:
    probe = servers.probe_docker(f"unix://{tmp_path}/docker.sock")
    assert not probe.ok
    assert "does not exist" in probe.reason
    assert servers.choose_source(None, probe) == "local-binary"


def test_probe_closed_loopback_port_is_negative_and_fast() -> None:
    port = servers.free_port()
    started = time.monotonic()
    probe = servers.probe_docker(f"tcp://127.0.0.1:{port}", timeout=1.0)
    assert not probe.ok
    assert time.monotonic() - started < 2.0


def test_probe_never_contacts_a_remote_engine() -> None:
    # tests/conftest.py turns any non-loopback resolve/connect into an error, so
    # a negative answer here proves the host was not contacted.
    probe = servers.probe_docker("tcp://docker.example.com:2375")
    assert not probe.ok
    assert "not loopback" in probe.reason


def test_probe_rejects_unknown_scheme() -> None:
    probe = servers.probe_docker("ssh://user@127.0.0.1")
    assert not probe.ok
    assert "unsupported" in probe.reason


@contextlib.contextmanager
def _unix_server(path: str, reply: bytes) -> Iterator[list[bytes]]:
    """A one-shot server on a unix socket answering ``reply``; yields what it received."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(1)
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            seen.append(conn.recv(4096))
            conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        thread.join(2)
        sock.close()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="mgd-") as d:
        yield Path(d)


def test_probe_positive_when_engine_answers_ping(short_tmp: Path) -> None:
    path = str(short_tmp / "d.sock")
    reply = b"HTTP/1.1 200 OK\r\nApi-Version: 1.45\r\nContent-Length: 2\r\n\r\nOK"
    with _unix_server(path, reply) as seen:
        probe = servers.probe_docker(f"unix://{path}")
    assert probe.ok, probe.reason
    assert seen[0].startswith(b"GET /_ping ")
    assert servers.choose_source(None, probe) == "testcontainers"


def test_probe_negative_when_socket_is_not_docker(short_tmp: Path) -> None:
    path = str(short_tmp / "d.sock")
    with _unix_server(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"):
        probe = servers.probe_docker(f"unix://{path}")
    assert not probe.ok
    assert "404" in probe.reason


def test_given_url_with_wrong_scheme_is_one_line_error() -> None:
    with pytest.raises(ServerError, match=r"expected a redis\|rediss:// URL") as info:
        servers.start_redis("given", "http://127.0.0.1:1/")
    assert "\n" not in str(info.value)
    with pytest.raises(ServerError, match="postgres"):
        servers.start_postgres("given", "mysql://127.0.0.1/x")


def test_redact_url_masks_password_only() -> None:
    assert servers.redact_url("redis://:s3cret@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert servers.redact_url("postgresql://u:pw@h:5432/db?x=1") == "postgresql://u:***@h:5432/db?x=1"
    assert servers.redact_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_database_and_index_urls_replace_the_path() -> None:
    assert servers.database_url("postgresql://u@h:1/postgres", "t_1") == "postgresql://u@h:1/t_1"
    assert servers.redis_db_url("redis://h:1/0", 5) == "redis://h:1/5"
    assert servers.redis_db_url("redis://h:1", 3) == "redis://h:1/3"


def test_find_binary_prefers_newest_versioned_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for version in ("9", "15", "13"):
        binary = tmp_path / version / "bin" / "fakedb-initdb"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    found = servers.find_binary("fakedb-initdb", (f"{tmp_path}/*/bin",))
    assert found == tmp_path / "15" / "bin" / "fakedb-initdb"
    assert servers.find_binary("fakedb-missing", (f"{tmp_path}/*/bin",)) is None


def test_missing_binaries_give_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServerError, match="apt-get install redis-server"):
        servers.LocalRedis().start()
    with pytest.raises(ServerError, match="apt-get install postgresql"):
        servers.LocalPostgres(search=(f"{tmp_path}/none/*/bin",)).start()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("172.17.0.1", False),  # testcontainers' gateway address when running inside a container
        ("docker.example.com", False),
        ("127.0.0.1.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_testcontainers_ports_are_used_only_on_loopback(host: str | None, loopback: bool) -> None:
    assert servers.is_loopback_host(host) is loopback
    if loopback:
        servers.require_loopback(host, "redis:7")
    else:
        with pytest.raises(ServerError, match="not loopback") as info:
            servers.require_loopback(host, "redis:7")
        assert "\n" not in str(info.value)
