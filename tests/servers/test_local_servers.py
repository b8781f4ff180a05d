"""Local binaries really start, answer, run unprivileged and leave nothing behind."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from mobius_gate.fixtures import servers
from mobius_gate.fixtures.servers import Server, ServerError

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def local_redis() -> Iterator[Server]:
    server = servers.start_redis("local-binary")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def local_postgres() -> Iterator[Server]:
    server = servers.start_postgres("local-binary")
    yield server
    server.stop()


def _pid(server: Server) -> int:
    match = re.search(r"pid (\d+)", server.detail)
    assert match, server.detail
    return int(match.group(1))


def _uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]


def test_local_redis_answers_on_a_fresh_loopback_port(local_redis: Server) -> None:
    assert local_redis.source == "local-binary"
    assert local_redis.url.startswith("redis://127.0.0.1:")
    assert not local_redis.url.endswith(":6379/0")
    client = redis.Redis.from_url(local_redis.url)
    assert client.ping()
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}


def test_local_postgres_runs_unprivileged_with_trust_auth(local_postgres: Server) -> None:
    assert local_postgres.source == "local-binary"
    with psycopg.connect(local_postgres.url) as conn:
        user, version = conn.execute("SELECT current_user, current_setting('server_version_num')").fetchone()
    assert user == "postgres"
    assert int(version) >= 130000  # DROP DATABASE ... WITH (FORCE)
    if os.geteuid() == 0:
        assert _uid(_pid(local_postgres)) != 0


def test_create_and_drop_database(local_postgres: Server) -> None:
    url = servers.create_database(local_postgres.url, "t_roundtrip")
    conn = psycopg.connect(url, autocommit=True)
    assert conn.execute("SELECT current_database()").fetchone() == ("t_roundtrip",)
    servers.drop_database(local_postgres.url, "t_roundtrip")  # forces the open session out
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with psycopg.connect(local_postgres.url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_database WHERE datname = 't_roundtrip'").fetchone()
    assert row == (0,)


def test_invalid_database_name_is_refused(local_postgres: Server) -> None:
    with pytest.raises(ServerError, match="invalid database name"):
        servers.create_database(local_postgres.url, "x; DROP DATABASE postgres")


def test_given_url_is_used_as_is(local_redis: Server, local_postgres: Server) -> None:
    given_redis = servers.start_redis("given", local_redis.url)
    given_pg = servers.start_postgres("given", local_postgres.url)
    assert (given_redis.source, given_redis.url) == ("given", local_redis.url)
    assert (given_pg.source, given_pg.url) == ("given", local_postgres.url)
    given_redis.stop()  # not ours: stopping a given server is a no-op
    assert redis.Redis.from_url(local_redis.url).ping()


def test_given_url_that_does_not_answer_is_one_line_error() -> None:
    port = servers.free_port()
    with pytest.raises(ServerError) as info:
        servers.start_redis("given", f"redis://:hunter2@127.0.0.1:{port}/0")
    assert "did not answer PING" in str(info.value)
    assert "hunter2" not in str(info.value)
    with pytest.raises(ServerError, match="not reachable") as info:
        servers.start_postgres("given", f"postgresql://u:hunter2@127.0.0.1:{port}/x")
    assert "hunter2" not in str(info.value)
    assert "\n" not in str(info.value)


def test_stop_terminates_and_cleans_up() -> None:
    server = servers.start_redis("local-binary")
    pid = _pid(server)
    server.stop()
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=1).ping()
    server.stop()  # idempotent
