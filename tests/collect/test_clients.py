"""Client wiring: the emulator's http:// endpoint is kept as given; live endpoints are Google's."""

from __future__ import annotations

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials as OAuthCredentials

from mobius_gate.collect.clients import SQLADMIN_ENDPOINT, BearerAuth, Clients, run_v1_endpoint
from mobius_gate.collect.target import Target

GAPIC = ("run_services", "run_revisions", "redis", "vpcaccess", "secretmanager", "service_usage")
EMULATOR = "http://127.0.0.1:9"


@pytest.mark.parametrize("name", GAPIC)
def test_emulator_endpoint_stays_plain_http(name: str) -> None:
    clients = Clients(Target("p", "us-central1", endpoint=EMULATOR))
    client = getattr(clients, name)
    assert client.transport.kind == "rest"
    assert client.transport._host == EMULATOR  # no https upgrade, no googleapis.com host
    assert isinstance(clients.credentials, AnonymousCredentials)


def test_emulator_json_apis_use_the_emulator_without_a_token() -> None:
    clients = Clients(Target("p", "us-central1", endpoint=EMULATOR))
    try:
        assert clients.run_v1.base_url == EMULATOR
        assert clients.sqladmin.base_url == EMULATOR
        assert clients._auth() is None
    finally:
        clients.close()


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("run_services", "https://run.googleapis.com"),
        ("redis", "https://redis.googleapis.com"),
        ("vpcaccess", "https://vpcaccess.googleapis.com"),
        ("secretmanager", "https://secretmanager.googleapis.com"),
        ("service_usage", "https://serviceusage.googleapis.com"),
    ],
)
def test_live_clients_point_at_google(name: str, host: str) -> None:
    """Building a client opens no connection, so this stays on loopback."""
    clients = Clients(Target("p", "us-central1"), credentials=OAuthCredentials(token="t"))
    assert getattr(clients, name).transport._host == host


def test_live_json_apis_are_regional_run_v1_and_sqladmin() -> None:
    clients = Clients(Target("p", "europe-west1"), credentials=OAuthCredentials(token="t"))
    try:
        assert clients.run_v1.base_url == run_v1_endpoint("europe-west1") == "https://europe-west1-run.googleapis.com"
        assert clients.sqladmin.base_url == SQLADMIN_ENDPOINT
    finally:
        clients.close()


def test_bearer_auth_adds_the_token() -> None:
    auth = BearerAuth(OAuthCredentials(token="ya29.test-token"))
    flow = auth.auth_flow(httpx.Request("GET", "https://sqladmin.googleapis.com/v1/projects/p/instances"))
    request = next(flow)
    assert request.headers["Authorization"] == "Bearer ya29.test-token"
