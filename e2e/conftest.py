"""End-to-end flows on real Redis and PostgreSQL.

``pytest e2e`` (default ``--stack=local``) starts the local reference stack
(:mod:`mobius_gate.fixtures.stack`) on the servers :mod:`mobius_gate.fixtures.server_fixtures` provides;
``pytest e2e --stack=images --project=P`` runs the same flows against the
deployed images ``gcr.io/P/...`` in containers (needs a Docker engine).

Redis logical databases: the stack uses database 10 of the Redis server and
failure-mode tests that need a Redis of their own use 11-15; each is flushed
before use (so on a given ``--redis-url`` these databases must be disposable).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from mobius_gate.fixtures import servers
from mobius_gate.fixtures.server_fixtures import add_server_options, server_report_header
from mobius_gate.fixtures.servers import Server
from mobius_gate.fixtures.stack.launcher import STACK_DATABASE, App, LocalStack, StackError, prepare_database, stop_all
from mobius_gate.fixtures.stack.site import LocalSite

from e2e.flows import Endpoints, Mobius

#: Logical Redis databases: the stack's, then the failure-mode tests' own (``spare_redis``). All flushed.
STACK_REDIS_DB = 10

SITE_PAGES = {
    "/skills/redis.html": (
        "<html><head><title>Redis skills</title><style>p{}</style></head><body>"
        "<h1>Operating Memorystore</h1><p>Workers poll the mobius:scraper:requests queue.</p>"
        "<script>var ignored = 1;</script></body></html>"
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    add_server_options(parser)
    group = parser.getgroup("mobius-gate e2e", "end-to-end flows (pytest e2e)")
    group.addoption(
        "--stack",
        dest="mobius_stack",
        choices=("local", "images"),
        default="local",
        help="local: the reference stack from fixtures/stack (default); images: the deployed images "
        "gcr.io/<project>/... in containers (needs Docker). --project names the project.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("mobius_stack") == "images":
        probe = servers.probe_docker()
        if not probe.ok:
            raise pytest.UsageError(
                f"--stack=images needs a Docker engine: none answered at {probe.endpoint} ({probe.reason})"
            )


def pytest_report_header(config: pytest.Config) -> list[str]:
    kind = config.getoption("mobius_stack")
    project = config.getoption("mobius_project", default=None) or "mobiusos-new"
    where = f"images gcr.io/{project}/* in containers" if kind == "images" else "local reference stack (processes)"
    return [*server_report_header(config), f"mobius-gate e2e: stack={kind} — {where}"]


def _project(config: pytest.Config) -> str:
    return config.getoption("mobius_project", default=None) or "mobiusos-new"


@pytest.fixture(scope="session")
def stack_kind(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("mobius_stack"))


@pytest.fixture(scope="session")
def stack(
    stack_kind: str,
    pytestconfig: pytest.Config,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The running stack (local processes or image containers), for the whole session."""
    if stack_kind == "images":
        from mobius_gate.fixtures.stack.images import ImagesStack

        images = ImagesStack(_project(pytestconfig), tmp_path_factory.mktemp("images"))
        try:
            try:
                images.start()
            except StackError as exc:
                pytest.fail(f"images stack did not start: {exc}", pytrace=False)
            yield images
        finally:
            images.stop()
        return
    # Asked for here, not as parameters: the images path brings its own servers.
    redis_server: Server = request.getfixturevalue("redis_server")
    postgres_server: Server = request.getfixturevalue("postgres_server")
    name = STACK_DATABASE if postgres_server.source != "given" else f"{STACK_DATABASE}_{uuid.uuid4().hex[:8]}"
    database = prepare_database(postgres_server.url, name)
    stack_redis = servers.redis_db_url(redis_server.url, STACK_REDIS_DB)
    servers.flush_redis(stack_redis)  # the vector index lives there: start it empty
    local = LocalStack(stack_redis, database, tmp_path_factory.mktemp("stack"), project=_project(pytestconfig))
    try:
        try:
            local.start()
        except StackError as exc:
            pytest.fail(f"local stack did not start: {exc}", pytrace=False)
        yield local
    finally:
        local.stop()
        servers.drop_database(postgres_server.url, name)


@pytest.fixture(scope="session")
def endpoints(stack: Any) -> Endpoints:
    return Endpoints(
        chat_api=stack.endpoint("mobius-chat-api"),
        rag_api=stack.endpoint("mobius-rag"),
        scraper_api=stack.endpoint("mobius-skills-scraper"),
        chat_worker=stack.endpoint("mobius-chat-worker"),
        scraper_worker=stack.endpoint("mobius-skills-scraper-worker"),
    )


@pytest.fixture
def mobius(endpoints: Endpoints, stack: Any) -> Iterator[Mobius]:
    client = Mobius(endpoints, stack.jwt_secret)
    yield client
    client.close()


@pytest.fixture(scope="session")
def site(stack: Any) -> Iterator[Any]:
    """The scraper's target: a loopback HTTP site (a container on the images path)."""
    if hasattr(stack, "site"):
        yield stack.site(SITE_PAGES)
        return
    with LocalSite(SITE_PAGES) as local_site:
        yield local_site


@pytest.fixture
def local_stack(stack: Any, stack_kind: str) -> LocalStack:
    if stack_kind != "local":
        pytest.skip("failure modes start, kill and rewire service processes: --stack=local only")
    return stack


@pytest.fixture
def spawn(local_stack: LocalStack) -> Iterator[Callable[..., App]]:
    """Start extra service processes for one test (``wait=False``: do not wait for /health);
    they are stopped when the test ends."""
    started: list[App] = []

    def _spawn(service: str, name: str | None = None, *, wait: bool = True, **env: str) -> App:
        app = local_stack.spawn(service, name or f"{service}-{uuid.uuid4().hex[:6]}", wait=wait, **env)
        started.append(app)
        return app

    yield _spawn
    stop_all(started)


@pytest.fixture
def spare_redis(local_stack: LocalStack) -> Callable[[int], str]:
    """``spare_redis(n)``: URL of logical database 11+n on the stack's Redis, flushed."""

    def _url(n: int) -> str:
        url = servers.redis_db_url(local_stack.redis_url, 11 + n)
        servers.flush_redis(url)
        return url

    return _url
