"""Each fix operation rendered as the equivalent ``gcloud`` command (what messages and plans show)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobius_gate.fixes import Step

SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"


def _q(value: Any) -> str:
    return shlex.quote(str(value))


def _where(step: Step) -> str:
    region = f" --region={step.region}" if step.region else ""
    return f"{region} --project={step.project}"


def _pairs(mapping: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in mapping.items())


#: Cloud Run flags in the order the checklist writes them: parameter → flag renderer.
_RUN_FLAGS: tuple[tuple[str, Callable[[Any], str | None]], ...] = (
    ("image", lambda v: f"--image={_q(v)}"),
    ("service_account", lambda v: f"--service-account={_q(v)}"),
    ("add_cloudsql_instances", lambda v: f"--add-cloudsql-instances={_q(','.join(v))}"),
    ("set_env_vars", lambda v: f"--set-env-vars={_q(_pairs(v))}"),
    ("remove_env_vars", lambda v: f"--remove-env-vars={_q(','.join(v))}"),
    ("update_env_vars", lambda v: f"--update-env-vars={_q(_pairs(v))}"),
    ("set_secrets", lambda v: f"--set-secrets={_q(_pairs(v))}"),
    ("update_secrets", lambda v: f"--update-secrets={_q(_pairs(v))}"),
    ("remove_secrets", lambda v: f"--remove-secrets={_q(','.join(v))}"),
    ("vpc_connector", lambda v: f"--vpc-connector={_q(v)}"),
    ("vpc_egress", lambda v: f"--vpc-egress={_q(v)}"),
    ("min_instances", lambda v: f"--min-instances={int(v)}"),
    ("max_instances", lambda v: f"--max-instances={int(v)}"),
    ("cpu_always_allocated", lambda v: "--no-cpu-throttling" if v else "--cpu-throttling"),
    ("timeout_seconds", lambda v: f"--timeout={int(v)}"),
    ("ingress", lambda v: f"--ingress={_q(v)}"),
    ("command", lambda v: f"--command={_q(','.join(v))}"),
    ("args", lambda v: f"--args={_q(','.join(v))}"),
    ("allow_unauthenticated", lambda v: "--allow-unauthenticated" if v else "--no-allow-unauthenticated"),
    ("invoker_iam_check", lambda v: "--invoker-iam-check" if v else "--no-invoker-iam-check"),
)


def run_flags(params: Mapping[str, Any]) -> str:
    unknown = set(params) - {name for name, _ in _RUN_FLAGS}
    if unknown:
        raise ValueError(f"unknown Cloud Run parameter(s): {', '.join(sorted(unknown))}")
    flags = [render(params[name]) for name, render in _RUN_FLAGS if params.get(name) is not None]
    return " ".join(f for f in flags if f)


def _run_deploy(s: Step) -> str:
    return f"gcloud run deploy {s.target} {run_flags(s.params)}{_where(s)}"


def _run_update(s: Step) -> str:
    return f"gcloud run services update {s.target} {run_flags(s.params)}{_where(s)}"


def _run_iam(verb: str) -> Callable[[Step], str]:
    def render(s: Step) -> str:
        return (
            f"gcloud run services {verb}-iam-policy-binding {s.target} --member={_q(s.params['member'])}"
            f" --role={s.params.get('role', 'roles/run.invoker')}{_where(s)}"
        )

    return render


def _run_traffic(s: Step) -> str:
    revisions = s.params.get("to_revisions")
    to = f"--to-revisions={_q(_pairs(revisions))}" if revisions else "--to-latest"
    return f"gcloud run services update-traffic {s.target} {to}{_where(s)}"


def _run_describe(s: Step) -> str:
    return f"gcloud run services describe {s.target}{_where(s)}"


def _run_logs_read(s: Step) -> str:
    return f"gcloud run services logs read {s.target}{_where(s)}"


def _secret_version_access(s: Step) -> str:
    return (
        f"gcloud secrets versions access {s.params.get('version', 'latest')} --secret={s.target} --project={s.project}"
    )


def _run_revision_describe(s: Step) -> str:
    return f"gcloud run revisions describe {s.params['revision']}{_where(s)}"


def _services_enable(s: Step) -> str:
    return f"gcloud services enable {s.target} --project={s.project}"


def _redis_create(s: Step) -> str:
    p = s.params
    return (
        f"gcloud redis instances create {s.target}{_where(s)} --tier={p['tier'].lower()}"
        f" --size={p['memory_size_gb']} --redis-version={p['redis_version'].lower()}"
        f" --connect-mode={p['connect_mode'].lower().replace('_', '-')}"
        + (f" --network={p['network']}" if p.get("network") not in (None, "default") else "")
    )


def _redis_update(s: Step) -> str:
    return f"gcloud redis instances update {s.target} --size={s.params['memory_size_gb']}{_where(s)}"


def _redis_upgrade(s: Step) -> str:
    version = s.params["redis_version"].lower()
    return f"gcloud redis instances upgrade {s.target} --redis-version={version}{_where(s)}"


def _redis_describe(s: Step) -> str:
    return f"gcloud redis instances describe {s.target}{_where(s)}"


def _redis_delete(s: Step) -> str:
    return f"gcloud redis instances delete {s.target}{_where(s)}"


def _connector_create(s: Step) -> str:
    p = s.params
    return (
        f"gcloud compute networks vpc-access connectors create {s.target}{_where(s)}"
        f" --network={p['network']} --range={p['ip_cidr_range']}"
        f" --min-instances={p['min_instances']} --max-instances={p['max_instances']}"
    )


def _connector_update(s: Step) -> str:
    flags = " ".join(
        f"--{key.replace('_', '-')}={s.params[key]}" for key in ("min_instances", "max_instances") if key in s.params
    )
    return f"gcloud compute networks vpc-access connectors update {s.target} {flags}{_where(s)}"


def _connector_describe(s: Step) -> str:
    return f"gcloud compute networks vpc-access connectors describe {s.target}{_where(s)}"


def _connector_delete(s: Step) -> str:
    return f"gcloud compute networks vpc-access connectors delete {s.target}{_where(s)}"


def _secret_create(s: Step) -> str:
    return f"gcloud secrets create {s.target} --replication-policy=automatic --project={s.project}"


def _secret_version_add(s: Step) -> str:
    value = s.params.get("value", "<secret-value>")
    return f"echo -n {_q(value)} | gcloud secrets versions add {s.target} --data-file=- --project={s.project}"


def _secret_version_enable(s: Step) -> str:
    return f"gcloud secrets versions enable {s.params['version']} --secret={s.target} --project={s.project}"


def _secret_iam_add(s: Step) -> str:
    return (
        f"gcloud secrets add-iam-policy-binding {s.target} --member={_q(s.params['member'])}"
        f" --role={s.params.get('role', SECRET_ACCESSOR)} --project={s.project}"
    )


def _sql_project(s: Step) -> str:
    return f" --project={s.project}"


def _sql_database_create(s: Step) -> str:
    return f"gcloud sql databases create {s.target} --instance={s.params['instance']}{_sql_project(s)}"


def _sql_connect(s: Step) -> str:
    database = f" --database={s.params['database']}" if s.params.get("database") else ""
    return f"gcloud sql connect {s.target} --user=postgres{database}{_sql_project(s)}"


def _sql_migrate(s: Step) -> str:
    return f"{_sql_connect(s)} and run \\i {s.params['migration']}.sql"


def _sql_instances_list(s: Step) -> str:
    return f"gcloud sql instances list{_sql_project(s)}"


def _sql_instance_patch(s: Step) -> str:
    return (
        f"gcloud sql instances patch {s.target} --network=projects/{s.project}/global/networks/{s.params['network']} "
        f"--no-assign-ip{_sql_project(s)}"
    )


def _sql_instance_describe(s: Step) -> str:
    return f"gcloud sql instances describe {s.target}{_sql_project(s)}"


def _sql_instance_create(s: Step) -> str:
    p = s.params
    return (
        f"gcloud sql instances create {s.target} --region={p['region']} --database-version={_q(p['database_version'])}"
        f" --tier={_q(p['tier'])}{_sql_project(s)}"
    )


def _sql_instance_activate(s: Step) -> str:
    return f"gcloud sql instances patch {s.target} --activation-policy=ALWAYS{_sql_project(s)}"


def _dbt_sync(s: Step) -> str:
    return f"cd mobius-dbt && python scripts/sync_mart_to_chat.py --dest {s.params.get('dest', 'prod')}"


RENDERERS: dict[str, Callable[[Step], str]] = {
    "services.enable": _services_enable,
    "run.deploy": _run_deploy,
    "run.update": _run_update,
    "run.iam.add": _run_iam("add"),
    "run.iam.remove": _run_iam("remove"),
    "run.traffic": _run_traffic,
    "run.describe": _run_describe,
    "run.logs.read": _run_logs_read,
    "run.revisions.describe": _run_revision_describe,
    "redis.create": _redis_create,
    "redis.update": _redis_update,
    "redis.upgrade": _redis_upgrade,
    "redis.delete": _redis_delete,
    "redis.describe": _redis_describe,
    "vpcaccess.create": _connector_create,
    "vpcaccess.update": _connector_update,
    "vpcaccess.delete": _connector_delete,
    "vpcaccess.describe": _connector_describe,
    "secrets.create": _secret_create,
    "secrets.versions.add": _secret_version_add,
    "secrets.versions.enable": _secret_version_enable,
    "secrets.iam.add": _secret_iam_add,
    "secrets.versions.access": _secret_version_access,
    "sql.databases.create": _sql_database_create,
    "sql.connect": _sql_connect,
    "sql.migrate": _sql_migrate,
    "sql.instances.list": _sql_instances_list,
    "sql.instances.patch": _sql_instance_patch,
    "sql.instances.describe": _sql_instance_describe,
    "sql.instances.create": _sql_instance_create,
    "sql.instances.activate": _sql_instance_activate,
    "dbt.sync": _dbt_sync,
}
