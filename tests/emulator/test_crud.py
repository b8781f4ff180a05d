"""The CRUD/LRO helper over HTTP: error order on create, updateMask, and operations counting their polls."""

from __future__ import annotations

import httpx
import pytest
from mobius_gate.fixtures.emulator import Emulator

from tests.emulator.conftest import PROD, REGION

pytestmark = pytest.mark.servers
INSTANCES = f"/v1/projects/{PROD}/locations/{REGION}/instances"
BASIC = {"tier": "BASIC", "memorySizeGb": 1}


@pytest.fixture
def http(emulator: Emulator) -> httpx.Client:
    client = httpx.Client(base_url=emulator.url, timeout=10)
    assert client.post(f"/v1/projects/{PROD}/services/redis.googleapis.com:enable").status_code == 200
    return client


def test_create_checks_the_id_then_existence_then_the_body(http: httpx.Client) -> None:
    missing = http.post(INSTANCES, json=BASIC)
    assert (missing.status_code, missing.json()["error"]["message"]) == (400, "instanceId is required.")
    assert http.post(INSTANCES, params={"instanceId": "r1"}, json=BASIC).status_code == 200
    again = http.post(INSTANCES, params={"instanceId": "r1"}, json={"tier": 7})
    assert again.status_code == 409  # already exists wins over the invalid body
    assert http.post(INSTANCES, params={"instanceId": "r2"}, json={"tier": 7}).status_code == 400


def test_update_mask_sets_clears_and_refuses(http: httpx.Client) -> None:
    http.post(INSTANCES, params={"instanceId": "r1"}, json={**BASIC, "displayName": "one"})
    op = http.patch(f"{INSTANCES}/r1", params={"updateMask": "memory_size_gb,display_name"}, json={"memorySizeGb": 4})
    assert op.status_code == 200 and op.json()["metadata"]["verb"] == "update"
    inst = http.get(f"{INSTANCES}/r1").json()
    assert inst["memorySizeGb"] == 4 and "displayName" not in inst
    assert http.patch(f"{INSTANCES}/r1", json={}).json()["error"]["message"] == "updateMask is required."
    refused = http.patch(f"{INSTANCES}/r1", params={"updateMask": "name"}, json={})
    assert refused.json()["error"]["message"] == "Unsupported field in updateMask: name"


def test_operations_are_done_at_once_and_count_their_polls(emulator: Emulator, http: httpx.Client) -> None:
    created = http.post(INSTANCES, params={"instanceId": "r1"}, json=BASIC).json()
    assert created["done"] is True and created["response"]["name"].endswith("/instances/r1")
    op = emulator.store.operation(created["name"])
    assert op.polls == 0  # answering the create is not a poll
    for _ in range(2):
        polled = http.get(f"/v1/{created['name']}").json()
        assert polled == created
    listed = http.get(f"/v1/projects/{PROD}/locations/{REGION}/operations").json()["operations"]
    assert created in listed
    assert op.polls == 2  # listing is not a poll either
