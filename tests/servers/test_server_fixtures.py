"""The pytest fixtures, used the way the plugin wires them: pytester runs in-process, the xdist one in a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mobius_gate.fixtures import servers
from mobius_gate.fixtures.servers import Server

pytestmark = pytest.mark.servers

CONFTEST = """
from mobius_gate.fixtures.server_fixtures import *  # noqa: F403
from mobius_gate.fixtures.server_fixtures import add_server_options, server_report_header

def pytest_addoption(parser):
    add_server_options(parser)
    add_server_options(parser)  # idempotent

def pytest_report_header(config):
    return server_report_header(config)
"""

TESTS = """
import psycopg, redis

def test_servers(redis_server, postgres_server, pg_database, redis_db):
    print("SOURCES", redis_server.source, postgres_server.source)
    assert redis.Redis.from_url(redis_db).dbsize() == 0
    redis.Redis.from_url(redis_db).set("k", "v")
    with psycopg.connect(pg_database) as conn:
        conn.execute("CREATE TABLE t (x int)")
    with psycopg.connect(postgres_server.url) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    assert pg_database.rsplit("/", 1)[1] in names

def test_redis_db_is_flushed_between_tests(redis_db):
    import redis
    assert redis.Redis.from_url(redis_db).get("k") is None
"""


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Server, Server]]:
    r, p = servers.start_redis("local-binary"), servers.start_postgres("local-binary")
    yield r, p
    r.stop()
    p.stop()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("MOBIUS_REDIS_URL", raising=False)
    monkeypatch.delenv("MOBIUS_POSTGRES_URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_it=TESTS)
    return pytester


def test_local_binaries_without_docker(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("-s", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "mobius-gate servers: redis=local-binary, postgres=local-binary "
            "(no docker engine: /nonexistent/docker.sock does not exist)",
            "*SOURCES local-binary local-binary",
        ]
    )
    result.assert_outcomes(passed=2)


def test_given_urls_and_database_dropped(project: pytest.Pytester, shared: tuple[Server, Server]) -> None:
    import psycopg

    r, p = shared
    result = project.runpytest_inprocess(
        "-s", "-p", "no:cacheprovider", f"--redis-url={r.url}", f"--postgres-url={p.url}"
    )
    result.stdout.fnmatch_lines(["mobius-gate servers: redis=given, postgres=given (*", "*SOURCES given given"])
    result.assert_outcomes(passed=2)
    with psycopg.connect(p.url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 't\\_%'").fetchone()
    assert left == (0,)


def test_given_url_from_environment(
    project: pytest.Pytester, shared: tuple[Server, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOBIUS_REDIS_URL", shared[0].url)
    result = project.runpytest_inprocess("-s", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["mobius-gate servers: redis=given, postgres=local-binary (*"])
    result.assert_outcomes(passed=2)


def test_unreachable_given_url_errors_in_one_line(project: pytest.Pytester) -> None:
    port = servers.free_port()
    result = project.runpytest_inprocess("-p", "no:cacheprovider", f"--redis-url=redis://:pw@127.0.0.1:{port}/0")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([f"*redis server unavailable: redis at redis://:***@127.0.0.1:{port}/0 did not*"])
    assert ":pw@" not in result.stdout.str()


def test_each_xdist_worker_gets_its_own_servers(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
