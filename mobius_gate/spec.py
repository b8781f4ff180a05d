"""The checklist as typed data: ``checklist.yaml`` → :class:`Checklist`.

A malformed file fails with one :class:`ChecklistError` naming the file, the
line and the field; so do binary junk, UTF-16, control characters, a key given
twice and absurd nesting (:mod:`mobius_gate.strict_input`). Templated values (``{project}``, ``{region}``,
``{registry}``) are resolved per profile by :meth:`Checklist.resolve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mobius_gate.strict_input import InputError, decode_utf8, yaml_documents

DEFAULT_CHECKLIST = Path(__file__).resolve().parent / "checklist.yaml"

#: An env value that must be set to something real (not a template leftover).
PRESENT = "present"
#: The env value that must equal the Redis instance's URL.
REDIS_URL_TOKEN = "{redis_url}"

Role = Literal["api", "worker", "ui"]


class ChecklistError(Exception):
    """A checklist that cannot be used; the message names file, line and field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(_Model):
    project: str
    region: str


class Defaults(_Model):
    service_account: str
    image_registry: str


class Apis(_Model):
    section: str
    required: list[str]


class RedisSpec(_Model):
    section: str
    name: str
    region: str
    tier: str
    memory_size_gb: int
    redis_version: str
    connect_mode: str
    network: str
    port: int = 6379
    database: int = 0


class ConnectorSpec(_Model):
    section: str
    name: str
    region: str
    network: str
    ip_cidr_range: str
    min_instances: int
    max_instances: int


class Secrets(_Model):
    section: str
    required: list[str]


class Migration(_Model):
    id: str
    section: str
    tables: dict[str, list[str]]


class TableSpec(_Model):
    section: str
    columns: list[str] = Field(default_factory=list)
    min_rows: int = 0


class DatabaseSpec(_Model):
    name: str
    migrations: list[Migration] = Field(default_factory=list)
    tables: dict[str, TableSpec] = Field(default_factory=dict)


class CloudSqlSpec(_Model):
    section: str
    instance: str
    connection_name: str
    private_ip: Literal["required", "advisory", "ignore"] = "advisory"
    databases: list[DatabaseSpec] = Field(default_factory=list)


class RoleDefaults(_Model):
    cpu_always_allocated: bool | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    timeout_seconds: int | None = None


class RedisUsers(_Model):
    vpc_connector: str
    vpc_egress: Literal["private-ranges-only", "all-traffic"]
    env: dict[str, str] = Field(default_factory=dict)


class ServiceSpec(_Model):
    """One Cloud Run service as the checklist deploys it (role defaults applied)."""

    name: str
    section: str
    role: Role
    image: str
    service_account: str | None = None
    cloudsql: bool = False
    public: bool | None = None
    uses_redis: bool = False
    cpu_always_allocated: bool | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    timeout_seconds: int | None = None
    vpc_connector: str | None = None
    vpc_egress: str | None = None
    health_path: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    command: list[str] | None = None
    args: list[str] | None = None
    log_lines: list[str] = Field(default_factory=list)
    pairs_with: list[str] = Field(default_factory=list)

    @field_validator("pairs_with", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for env_name, ref in value.items():
            if not ref.split(":", 1)[0]:
                raise ValueError(f"{env_name}: secret reference must be NAME[:VERSION]")
        return value

    def secret_ref(self, env_name: str) -> tuple[str, str]:
        """``JWT_SECRET`` → ``("jwt-secret", "latest")``."""
        name, _, version = self.secrets[env_name].partition(":")
        return name, version or "latest"

    @property
    def is_worker(self) -> bool:
        return self.role == "worker"


class VectorSearchSpec(_Model):
    """DB-RAG-CONSISTENT: where the Vertex AI Vector Search index and its metadata rows are.

    Lesson 4 of "Notes from Staging Debugging": the index had vectors but
    ``published_rag_metadata`` was empty, so RAG found matches but returned nothing.
    """

    section: str = "2.2 RAG Metadata Sync"
    #: The service whose env names the index endpoint and deployed index.
    service: str = "mobius-chat-worker"
    endpoint_env: str = "VERTEX_INDEX_ENDPOINT_ID"
    deployed_index_env: str = "VERTEX_DEPLOYED_INDEX_ID"
    database: str = "mobius_chat"
    metadata_table: str = "published_rag_metadata"
    id_column: str = "id"
    #: Neighbours asked for by the probe query (the sample judged).
    neighbor_count: int = Field(default=100, ge=1, le=1000)
    #: Largest tolerated fraction of returned ids without a metadata row.
    max_missing_fraction: float = Field(default=0.0, ge=0.0, le=1.0)


class E2EWait(_Model):
    """Poll a step until a JSON field reaches a final value (bounded by the flow's timeout)."""

    field: str
    done: list[str]
    failed: list[str] = Field(default_factory=list)


class E2EStep(_Model):
    """One HTTP request of a live flow; ``{name}`` in path/body is filled from earlier captures."""

    name: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str
    body: dict[str, Any] | None = None
    expect_status: list[int] = Field(default_factory=lambda: [200])
    #: Values to remember: capture name → dotted path in the JSON response.
    capture: dict[str, str] = Field(default_factory=dict)
    #: Dotted paths that must hold a non-empty value in the (final) response.
    expect_nonempty: list[str] = Field(default_factory=list)
    wait: E2EWait | None = None


class E2EFlow(_Model):
    """A live end-to-end flow of checklist §4.4 against one deployed service."""

    section: str = "4.4 End-to-End Tests"
    service: str
    description: str
    steps: list[E2EStep]
    #: Always run afterwards (even on failure) to delete what the flow created; 404 counts as done.
    cleanup: list[E2EStep] = Field(default_factory=list)


class E2ELiveSpec(_Model):
    """VER-E2E-*: opt-in live flows (``-m e2e_live``) with bounded waits."""

    timeout_s: float = Field(default=180.0, gt=0)
    poll_interval_s: float = Field(default=3.0, gt=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    #: Env var holding a bearer token for the APIs (never printed); unset = no Authorization header.
    token_env: str | None = "MOBIUS_E2E_TOKEN"
    chat: E2EFlow | None = None
    rag: E2EFlow | None = None
    scraper: E2EFlow | None = None


class RemediateSpec(_Model):
    """``remediate:``: projects ``--remediate=apply`` may change without ``--yes`` (still named by ``--project``)."""

    allow_projects: list[str] = Field(default_factory=list)


class Checklist(_Model):
    version: int
    source: str
    profiles: dict[str, Profile]
    defaults: Defaults
    apis: Apis
    redis: RedisSpec
    vpc_connector: ConnectorSpec
    secrets: Secrets
    cloud_sql: CloudSqlSpec
    roles: dict[Role, RoleDefaults]
    redis_users: RedisUsers
    services: list[ServiceSpec]
    #: DB-RAG-CONSISTENT settings (defaults match the checklist's chat worker).
    vector_search: VectorSearchSpec = Field(default_factory=VectorSearchSpec)
    #: VER-E2E-* live flows (opt-in).
    e2e_live: E2ELiveSpec = Field(default_factory=E2ELiveSpec)
    #: ``--remediate=apply`` policy (none allowed by default).
    remediate: RemediateSpec = Field(default_factory=RemediateSpec)

    @field_validator("services")
    @classmethod
    def _unique_names(cls, services: list[ServiceSpec]) -> list[ServiceSpec]:
        names = [s.name for s in services]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate service names: {', '.join(dupes)}")
        known = set(names)
        for svc in services:
            for other in svc.pairs_with:
                if other not in known:
                    raise ValueError(f"{svc.name}.pairs_with names unknown service {other!r}")
        return services

    @model_validator(mode="after")
    def _known_references(self) -> Checklist:
        """vector_search and e2e_live name services (and a database) the checklist declares."""
        known = {s.name for s in self.services}
        if self.vector_search.service not in known:
            raise ValueError(f"vector_search.service names unknown service {self.vector_search.service!r}")
        databases = {d.name for d in self.cloud_sql.databases}
        if databases and self.vector_search.database not in databases:
            raise ValueError(f"vector_search.database names unknown database {self.vector_search.database!r}")
        for kind in ("chat", "rag", "scraper"):
            flow = getattr(self.e2e_live, kind)
            if flow is not None and flow.service not in known:
                raise ValueError(f"e2e_live.{kind}.service names unknown service {flow.service!r}")
        return self

    def resolve(self, project: str, region: str | None = None) -> Checklist:
        """The checklist for one project: templates filled, role defaults applied."""
        region = region or self.region_for(project)
        registry = self.defaults.image_registry.format(project=project, region=region)
        values = {"project": project, "region": region, "registry": registry}

        def fill(text: str) -> str:
            # {redis_url} stays a token: it is judged against the live instance.
            return text if text == REDIS_URL_TOKEN else text.format(**values)

        data = self.model_dump()
        services = []
        for raw in data["services"]:
            svc = dict(raw)
            role = self.roles.get(svc["role"], RoleDefaults()).model_dump()
            for key, default in role.items():
                if svc.get(key) is None and default is not None:
                    svc[key] = default
            if svc["uses_redis"]:
                svc["vpc_connector"] = svc["vpc_connector"] or self.redis_users.vpc_connector
                svc["vpc_egress"] = svc["vpc_egress"] or self.redis_users.vpc_egress
                svc["env"] = {**self.redis_users.env, **svc["env"]}
            svc["service_account"] = svc["service_account"] or self.defaults.service_account
            svc["image"] = fill(svc["image"])
            svc["service_account"] = fill(svc["service_account"])
            svc["env"] = {k: fill(v) for k, v in svc["env"].items()}
            services.append(svc)
        data["services"] = services
        data["redis"]["region"] = fill(data["redis"]["region"])
        data["vpc_connector"]["region"] = fill(data["vpc_connector"]["region"])
        data["cloud_sql"]["connection_name"] = fill(data["cloud_sql"]["connection_name"])
        data["defaults"]["service_account"] = fill(data["defaults"]["service_account"])
        data["defaults"]["image_registry"] = registry
        return Checklist.model_validate(data)

    def region_for(self, project: str) -> str:
        """The region of the profile that names ``project`` (else the first profile's)."""
        for profile in self.profiles.values():
            if profile.project == project:
                return profile.region
        return next(iter(self.profiles.values())).region

    def service(self, name: str) -> ServiceSpec:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    @property
    def redis_user_services(self) -> list[ServiceSpec]:
        return [s for s in self.services if s.uses_redis]


#: libyaml's safe loader when PyYAML has it (10x faster: start-up), else the pure-Python one; same results.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_checklist(path: str | Path = DEFAULT_CHECKLIST) -> Checklist:
    """Read and validate a checklist file; any problem → one ChecklistError (file, line, field)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot read checklist: {exc.strerror or exc}") from None
    try:
        documents = yaml_documents(decode_utf8(raw))
    except InputError as exc:
        raise ChecklistError(exc.where(path)) from None
    if len(documents) > 1:
        line = documents[1][0].start_mark.line + 1
        raise ChecklistError(f"{path}:{line}: expected one YAML document, found another here")
    node, data = documents[0] if documents else (None, None)
    if not isinstance(data, dict):
        raise ChecklistError(f"{path}:1: checklist must be a mapping at the top level")
    try:
        return Checklist.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(node, loc)
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ChecklistError(f"{path}:{line}: {field}: {err['msg']}{more}") from None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest YAML node on ``loc`` that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
