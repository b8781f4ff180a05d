"""Server fixtures for these tests (the mobius-gate plugin may also provide them; same objects)."""

from fixtures.server_fixtures import *  # noqa: F403
