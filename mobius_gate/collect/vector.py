"""Section ``vector_neighbors``: what Vertex AI Vector Search returns, and which ids have metadata.

The index is the one the chat worker's env names (``VERTEX_INDEX_ENDPOINT_ID``,
``VERTEX_DEPLOYED_INDEX_ID``; see ``vector_search`` in checklist.yaml). Three
REST calls over httpx (Vertex AI has no client in our dependency set):

1. ``GET  {aiplatform}/v1/projects/P/locations/R/indexEndpoints/E`` → the public
   endpoint domain and the deployed index's ``index``;
2. ``GET  {aiplatform}/v1/{index}`` → the vector dimensions;
3. ``POST https://{publicEndpointDomainName}/v1/{name}:findNeighbors`` — ``name`` as
   step 1 returned it (``projects/NUMBER/locations/R/indexEndpoints/E``) — with a
   fixed pseudo-random unit probe vector of the index's dimensions
   (``metadata.config.dimensions``) and ``neighbor_count`` neighbours. An
   endpoint without a public domain (VPC peering / Private Service Connect) is
   unreachable from here: the section is ``unavailable`` saying so.

On the emulator all three go to the emulator URL. The returned datapoint ids
are then looked up, read-only, in the metadata table on ``--db-url``
(:func:`mobius_gate.collect.postgres.metadata_ids_present`).
"""

from __future__ import annotations

import math
import random
import re
from typing import Any

import httpx

from mobius_gate import httpclient
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.checklist_inputs import checklist_of, services_of
from mobius_gate.collect.clients import BearerAuth, json_object
from mobius_gate.collect.database import DatabaseUnreachable
from mobius_gate.collect.errors import section_for_error
from mobius_gate.inventory import Section, Service, VectorNeighbors
from mobius_gate.spec import Checklist

AIPLATFORM_API = "aiplatform.googleapis.com"
#: Seed of the probe vector: the same query every run, so samples are comparable.
PROBE_SEED = 4
_ENDPOINT_PATH = re.compile(r"^projects/([^/]+)/locations/([^/]+)/indexEndpoints/([^/]+)$")
_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


class VectorQueryError(Exception):
    """The index answered something unusable; the message is one line."""


def aiplatform_base(region: str) -> str:
    return f"https://{region}-aiplatform.googleapis.com"


def endpoint_path(value: str, project: str, region: str) -> str | None:
    """``123`` or a full resource name → ``projects/P/locations/R/indexEndpoints/123``; None if unusable."""
    value = value.strip()
    if _ENDPOINT_PATH.match(value):
        return value
    if _ID.match(value):
        return f"projects/{project}/locations/{region}/indexEndpoints/{value}"
    return None


def probe_vector(dimensions: int, seed: int = PROBE_SEED) -> list[float]:
    """A deterministic unit vector of ``dimensions`` components."""
    rng = random.Random(seed)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def index_dimensions(index: dict[str, Any]) -> int:
    """``metadata.config.dimensions`` of an ``Index`` (a JSON number, or a string if the Struct says so).

    No guess when it is missing: a probe of the wrong length is a 400 that would
    hide the real cause.
    """
    config = (index.get("metadata") or {}).get("config") or {}
    value = config.get("dimensions")
    try:
        dimensions = int(value)
    except (TypeError, ValueError):
        dimensions = 0
    if dimensions <= 0:
        name = index.get("name") or "the index"
        raise VectorQueryError(f"{name} states no usable vector dimensions (metadata.config.dimensions={value!r})")
    return dimensions


def served_endpoint_name(described: dict[str, Any], requested: str) -> str:
    """The IndexEndpoint's own ``name`` (``projects/NUMBER/...``) to query it by, else ``requested``.

    The public endpoint domain serves the endpoint under the name Google gave
    it — Google's query examples and the Vertex SDK both use that name (with the
    project number) — so the project id we were given is not relied on there.
    """
    name = described.get("name")
    return name if isinstance(name, str) and _ENDPOINT_PATH.match(name) else requested


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    return json_object(response, what, VectorQueryError)


def find_neighbor_ids(ctx: CallContext, endpoint: str, deployed_index: str, neighbor_count: int) -> list[str]:
    """The datapoint ids the deployed index returns for the probe vector (three REST calls)."""
    region = endpoint.split("/")[3]
    base = ctx.target.endpoint or aiplatform_base(region)
    auth = None if ctx.target.is_emulator else BearerAuth(ctx.clients.credentials)
    with httpclient.client(auth=auth, follow_redirects=False) as http:
        described = ctx.call(
            lambda timeout: _json(http.get(f"{base}/v1/{endpoint}", timeout=timeout), "indexEndpoints.get")
        )
        deployed = next((d for d in described.get("deployedIndexes") or [] if d.get("id") == deployed_index), None)
        if deployed is None:
            known = ", ".join(d.get("id", "?") for d in described.get("deployedIndexes") or []) or "none"
            raise VectorQueryError(
                f"index endpoint {endpoint} has no deployed index {deployed_index} (deployed: {known})"
            )
        if not deployed.get("index"):
            raise VectorQueryError(f"deployed index {deployed_index} of {endpoint} names no index")
        index = ctx.call(
            lambda timeout: _json(http.get(f"{base}/v1/{deployed['index']}", timeout=timeout), "indexes.get")
        )
        dimensions = index_dimensions(index)
        if ctx.target.is_emulator:
            query_base = base
        else:
            domain = described.get("publicEndpointDomainName")
            if not domain:
                raise VectorQueryError(
                    f"index endpoint {endpoint} has no public endpoint (private endpoints "
                    "are reachable only from inside the VPC)"
                )
            query_base = f"https://{domain}"
        query_path = served_endpoint_name(described, endpoint)
        body = {
            "deployedIndexId": deployed_index,
            "queries": [
                {
                    "datapoint": {"datapointId": "mobius-gate-probe", "featureVector": probe_vector(dimensions)},
                    "neighborCount": neighbor_count,
                }
            ],
            "returnFullDatapoint": False,
        }
        answer = ctx.call(
            lambda timeout: _json(
                http.post(f"{query_base}/v1/{query_path}:findNeighbors", json=body, timeout=timeout), "findNeighbors"
            )
        )
    ids: list[str] = []
    for result in answer.get("nearestNeighbors") or []:
        for neighbor in result.get("neighbors") or []:
            datapoint_id = (neighbor.get("datapoint") or {}).get("datapointId")
            if datapoint_id and datapoint_id not in ids:
                ids.append(datapoint_id)
    return ids


def collect_vector(ctx: CallContext, services: Section[Service], spec: Checklist) -> Section[VectorNeighbors]:
    """Query the index the chat worker names and look the ids up in the metadata table."""
    vs = spec.vector_search
    if not services.judgeable:
        return Section[VectorNeighbors].unavailable(f"services could not be read: {services.cause}")
    service = next((s for s in services.items if s.name == vs.service), None)
    if service is None:
        return Section[VectorNeighbors](cause=f"{vs.service} is not deployed, so no index is named")
    endpoint_var, deployed_var = service.env_value(vs.endpoint_env), service.env_value(vs.deployed_index_env)
    endpoint_value = endpoint_var.value if endpoint_var else None
    deployed_value = deployed_var.value if deployed_var else None
    if not endpoint_value or not deployed_value:
        return Section[VectorNeighbors](cause=f"{vs.service} has no {vs.endpoint_env} / {vs.deployed_index_env}")
    location_var = service.env_value("VERTEX_LOCATION")
    location = location_var.value if location_var and location_var.value else None
    endpoint = endpoint_path(endpoint_value, ctx.project, location or ctx.region)
    if endpoint is None or not _ID.match(deployed_value.strip()):
        return Section[VectorNeighbors](
            cause=f"{vs.service}'s {vs.endpoint_env} / {vs.deployed_index_env} are not index ids (placeholders left?)"
        )
    deployed = deployed_value.strip()
    try:
        ids = find_neighbor_ids(ctx, endpoint, deployed, vs.neighbor_count)
    except VectorQueryError as exc:
        return Section[VectorNeighbors].unavailable(str(exc))
    except Exception as exc:  # any API failure: unavailable (or disabled), with its cause
        return section_for_error(
            exc,
            what="querying the vector index",
            api=AIPLATFORM_API,
            project=ctx.project,
            quota_project=ctx.quota_project(),
        )
    with_metadata: list[str] | None = None
    if ctx.options.db_url:
        from mobius_gate.collect.postgres import metadata_ids_present  # psycopg only with a database

        try:
            with_metadata = metadata_ids_present(
                ctx.options.db_url,
                vs.database,
                vs.metadata_table,
                vs.id_column,
                ids,
                timeout_s=min(10.0, max(1.0, ctx.remaining())),
            )
        except DatabaseUnreachable:
            # The database section tells why (no database, no table, unreachable); the rule reads it.
            with_metadata = None
    item = VectorNeighbors(
        index_endpoint=endpoint,
        deployed_index_id=deployed,
        service=vs.service,
        ids=ids,
        database=vs.database,
        metadata_table=vs.metadata_table,
        ids_with_metadata=with_metadata,
    )
    return Section[VectorNeighbors](items=[item])


def collect(ctx: CallContext) -> Section[VectorNeighbors]:
    """Registry entry: not collected without ``--db-url`` (nothing to compare the ids with)."""
    if not ctx.options.db_url:
        return Section[VectorNeighbors].not_collected("no --db-url: the ids could not be compared with metadata")
    return collect_vector(ctx, services_of(ctx), checklist_of(ctx))
