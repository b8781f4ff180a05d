"""Wire data → inventory models. Pure functions, no I/O.

Every function here takes what an API (or an exported file) returns — a JSON
dict as it travels over the wire, or the official client's message, which is
first turned into that same JSON dict — and returns a model of
:mod:`mobius_gate.inventory`. Absence is modelled explicitly: a platform default is
applied only where Cloud Run documents one, and anything the source cannot tell
stays ``None`` ("unknown"), never a guessed conformant value.

The functions live by resource: :mod:`.wire_values` (paths, scalars),
:mod:`.normalize_run` (Cloud Run v2 and Knative), :mod:`.normalize_resources`
(Redis, connectors, secrets, APIs, Cloud SQL, IAM) and :mod:`.normalize_logs`
(Cloud Logging entries); this module is the one import path for all of them.

See ``mobius_gate/collect/README.md`` ("Cloud Run wire traps") for why each rule
is what it is.
"""

from __future__ import annotations

from mobius_gate.collect.normalize_logs import log_entry_from_wire, request_summary
from mobius_gate.collect.normalize_resources import (
    api_name_from_wire,
    connector_from_wire,
    public_grants,
    redis_from_wire,
    role_members,
    secret_from_wire,
    sql_from_wire,
    version_from_wire,
)
from mobius_gate.collect.normalize_run import (
    A_CLOUDSQL,
    A_CONNECTOR,
    A_CPU_THROTTLING,
    A_EGRESS,
    A_INGRESS,
    A_MAX_SCALE,
    A_MIN_SCALE,
    A_NETWORK_INTERFACES,
    A_SECRETS,
    A_SERVICE_MAX,
    A_SERVICE_MIN,
    DEFAULT_EGRESS,
    DEFAULT_INGRESS,
    DEFAULT_TIMEOUT_S,
    L_LOCATION,
    direct_vpc,
    is_knative_service,
    knative_cpu_always_allocated,
    service_from_knative,
    service_from_v2,
    v2_readiness,
    with_knative_cpu,
)
from mobius_gate.collect.wire_values import WireError, connector_path, path_segment, short_name, to_wire

__all__ = [
    "A_CLOUDSQL",
    "A_CONNECTOR",
    "A_CPU_THROTTLING",
    "A_EGRESS",
    "A_INGRESS",
    "A_MAX_SCALE",
    "A_MIN_SCALE",
    "A_NETWORK_INTERFACES",
    "A_SECRETS",
    "A_SERVICE_MAX",
    "A_SERVICE_MIN",
    "DEFAULT_EGRESS",
    "DEFAULT_INGRESS",
    "DEFAULT_TIMEOUT_S",
    "L_LOCATION",
    "WireError",
    "api_name_from_wire",
    "connector_from_wire",
    "connector_path",
    "direct_vpc",
    "is_knative_service",
    "knative_cpu_always_allocated",
    "log_entry_from_wire",
    "path_segment",
    "public_grants",
    "redis_from_wire",
    "request_summary",
    "role_members",
    "secret_from_wire",
    "service_from_knative",
    "service_from_v2",
    "short_name",
    "sql_from_wire",
    "to_wire",
    "v2_readiness",
    "version_from_wire",
    "with_knative_cpu",
]
