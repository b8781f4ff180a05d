"""The ``vector_neighbors`` collector against the emulator's Vertex AI routes: what it does when the
chat worker's env or the index is not as expected (no PostgreSQL needed: ids are not looked up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.scenario import SCENARIO_DIR

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.collect.vector import endpoint_path, probe_vector
from mobius_gate.inventory import Inventory

pytestmark = pytest.mark.servers

PROJECT = "mobiusos-new"
REGION = "us-central1"
#: A server that is never contacted when the index query fails first; unreachable on purpose.
DB_URL = "postgresql://postgres@127.0.0.1:9/mobius_chat"
OPTIONS = CollectOptions(db_url=DB_URL, timeout_s=20, retry_attempts=2, retry_initial_s=0.01)
INDEX = """
  indexes:
    mobius-rag-index:
      metadata: {config: {dimensions: 4}}
      emulator: {datapoint_count: 3, datapoint_prefix: "chunk-"}
  index_endpoints:
    "4156820718563000320":
      deployedIndexes: [{id: DEPLOYED, index: "projects/${PROJECT}/locations/${REGION}/indexes/mobius-rag-index"}]
"""


@pytest.fixture
def emulator_for(tmp_path: Path) -> Iterator[Callable[[str], Emulator]]:
    started: list[Emulator] = []

    def make(extra: str) -> Emulator:
        path = tmp_path / f"scenario-{len(started)}.yaml"
        path.write_text(f"extends: {SCENARIO_DIR / 'staging.yaml'}\n{extra}", encoding="utf-8")
        emu = Emulator(path, project=PROJECT)
        emu.start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


def collect(emu: Emulator, options: CollectOptions = OPTIONS) -> Inventory:
    return collect_inventory(Target(PROJECT, REGION, emu.url), options, {"services", "vector_neighbors"})


def test_ids_collected_even_when_the_database_is_unreachable(emulator_for: Callable[[str], Emulator]) -> None:
    inv = collect(emulator_for("resources:" + INDEX.replace("DEPLOYED", "mobius_rag_v1")))
    [item] = inv.vector_neighbors.items
    assert item.ids == ["chunk-0001", "chunk-0002", "chunk-0003"]
    assert item.ids_with_metadata is None, "not looked up: the database section says why"
    assert item.index_endpoint == f"projects/{PROJECT}/locations/{REGION}/indexEndpoints/4156820718563000320"


def test_unknown_deployed_index_is_unavailable(emulator_for: Callable[[str], Emulator]) -> None:
    inv = collect(emulator_for("resources:" + INDEX.replace("DEPLOYED", "another_index")))
    assert inv.vector_neighbors.status == "unavailable"
    assert "has no deployed index mobius_rag_v1 (deployed: another_index)" in (inv.vector_neighbors.cause or "")


def test_missing_endpoint_is_unavailable_with_the_api_error(emulator_for: Callable[[str], Emulator]) -> None:
    inv = collect(
        emulator_for("""
patches:
  - resource: services/mobius-chat-worker
    set: {"template.containers[0].env[VERTEX_INDEX_ENDPOINT_ID].value": "9999999999999999999"}
""")
    )
    assert inv.vector_neighbors.status == "unavailable"
    assert "querying the vector index failed" in (inv.vector_neighbors.cause or "")
    assert "404" in (inv.vector_neighbors.cause or "")


def test_placeholder_env_names_no_index(emulator_for: Callable[[str], Emulator]) -> None:
    emu = emulator_for("""
patches:
  - resource: services/mobius-chat-worker
    set: {"template.containers[0].env[VERTEX_INDEX_ENDPOINT_ID].value": "<prod-endpoint-id>"}
""")
    inv = collect(emu)
    assert inv.vector_neighbors.status == "ok" and inv.vector_neighbors.items == []
    assert "placeholders left?" in (inv.vector_neighbors.cause or "")
    assert not any("indexEndpoints" in route for route in emu.stats()["by_route"])


def test_aiplatform_disabled(emulator_for: Callable[[str], Emulator]) -> None:
    from mobius_gate.spec import load_checklist

    enabled = [a for a in load_checklist().apis.required if a != "aiplatform.googleapis.com"]
    inv = collect(emulator_for(f"apis: {{enabled: {enabled}}}\nresources:" + INDEX.replace("DEPLOYED", "x")))
    assert inv.vector_neighbors.status == "disabled"


def test_without_db_url_the_index_is_not_queried(emulator_for: Callable[[str], Emulator]) -> None:
    emu = emulator_for("resources:" + INDEX.replace("DEPLOYED", "mobius_rag_v1"))
    inv = collect(emu, CollectOptions(timeout_s=20))
    assert inv.vector_neighbors.status == "not_collected"
    assert not any("findNeighbors" in route for route in emu.stats()["by_route"])


def test_endpoint_path_and_probe_vector() -> None:
    assert endpoint_path("123", "p", "r") == "projects/p/locations/r/indexEndpoints/123"
    full = "projects/q/locations/europe-west1/indexEndpoints/9"
    assert endpoint_path(full, "p", "r") == full
    assert endpoint_path("<prod-endpoint-id>", "p", "r") is None
    vector = probe_vector(8)
    assert len(vector) == 8 and abs(sum(x * x for x in vector) - 1) < 1e-4
    assert probe_vector(8) == vector
