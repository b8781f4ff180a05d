"""The Cloud SQL instance of §2.1 (DB-INSTANCE, SVC-CLOUDSQL): where it must be, whether it serves, how to repair it.

Cloud SQL reports a stopped instance as ``state: RUNNABLE`` with
``settings.activationPolicy: NEVER`` (gcloud shows it as STOPPED): "serving" is
RUNNABLE *and* not NEVER. An instance is never created automatically: the
checklist connects to an existing one holding the production data.
"""

from __future__ import annotations

from mobius_gate.fixes import Fix, Step
from mobius_gate.inventory import Inventory, Section, SqlInstance
from mobius_gate.rules.common import section_cause
from mobius_gate.spec import Checklist, CloudSqlSpec

SQLADMIN_API = "sqladmin.googleapis.com"
RUNNABLE = "RUNNABLE"
STOPPED_POLICY = "NEVER"
#: States that end by themselves (maintenance, creation, repair): wait, then re-run.
TRANSIENT = ("MAINTENANCE", "ONLINE_MAINTENANCE", "PENDING_CREATE", "REPAIRING")
_STATE_NOTES = {
    "SUSPENDED": (
        "a SUSPENDED instance is suspended by Google (billing account or policy) and no gcloud command starts it: "
        "resolve the billing account or the suspension notice, then re-run"
    ),
    "FAILED": "the instance FAILED: read its operations (gcloud sql operations list --instance={name}); "
    "restore from a backup or contact support",
    "PENDING_DELETE": "the instance is being deleted: restore it from a backup under the same name (never automatic)",
}


def where_of(sql: CloudSqlSpec) -> tuple[str, str]:
    """(project, region) of the checklist's instance, from its connection name ``project:region:instance``."""
    project, region, _ = [*sql.connection_name.split(":"), "", ""][:3]
    return project, region


def is_stopped(instance: SqlInstance) -> bool:
    return (instance.activation_policy or "").upper() == STOPPED_POLICY


def create_fix(requirement: str, sql: CloudSqlSpec, section: Section[SqlInstance]) -> Fix:
    """A missing instance: look for it under another name, else create it by hand (never automatic)."""
    project, region = where_of(sql)
    steps = [Step("services.enable", SQLADMIN_API, project)] if section.status == "disabled" else []
    steps.append(Step("sql.instances.list", sql.instance, project))
    params = {"region": region, "database_version": "<database-version>", "tier": "<tier>"}
    steps.append(Step("sql.instances.create", sql.instance, project, None, params))
    note = (
        "never created automatically: production data lives in this instance; if it is listed under another "
        "name correct cloud_sql in checklist.yaml, else create it and restore the data before the migrations of §2"
    )
    return Fix(requirement, sql.instance, tuple(steps), note)


def repair_fix(requirement: str, sql: CloudSqlSpec, instance: SqlInstance, wrong: list[str]) -> Fix:
    """What brings an existing instance to RUNNABLE in the region (or the honest manual note)."""
    project, region = where_of(sql)
    name = sql.instance
    describe = Step("sql.instances.describe", name, project)
    if "region" in wrong:
        note = (
            f"a Cloud SQL instance cannot move region: create {name} in {region} and migrate the data "
            "(export/import), or correct cloud_sql.connection_name in checklist.yaml"
        )
        return Fix(requirement, name, (), note)
    state = (instance.state or "").upper()
    if state == RUNNABLE and is_stopped(instance):
        return Fix(requirement, name, (Step("sql.instances.activate", name, project),))
    if state in _STATE_NOTES:
        return Fix(requirement, name, (describe,), _STATE_NOTES[state].format(name=name))
    note = "wait until it is RUNNABLE, then re-run" if state in TRANSIENT else "read why it is not RUNNABLE"
    return Fix(requirement, name, (describe,), note)


def attached_instance_missing(inv: Inventory, spec: Checklist) -> str | None:
    """Why the instance a service attaches is not known to exist (None when it exists or this source cannot tell).

    Raises LookupError with the cause when the instance list could not be read.
    """
    section, want = inv.sql_instances, spec.cloud_sql.connection_name
    if section.status == "not_collected":
        return None
    if section.status == "unavailable":
        raise LookupError(f"Cloud SQL instances unreadable ({section_cause(section, 'unavailable')})")
    if any(i.connection_name == want for i in section.items):
        return None
    cause = f" ({section.cause})" if section.status == "disabled" and section.cause else ""
    return f"the attached instance {want} does not exist{cause} (see DB-INSTANCE)"
