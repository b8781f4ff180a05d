"""Phase 2 §2.1: the Cloud SQL instance exists, is RUNNABLE, in the region; (advisory) on a private IP only."""

from __future__ import annotations

from mobius_gate.requirements import check
from mobius_gate.rules.cloudsql import RUNNABLE, create_fix, is_stopped, repair_fix, where_of
from mobius_gate.rules.common import Findings
from mobius_gate.rules.infra import upper
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.spec import CloudSqlSpec
from mobius_gate.sql_fixes import private_ip_fix
from mobius_gate.verdict import Verdict


@check(
    "DB-INSTANCE",
    each(lambda spec: [spec.cloud_sql], lambda sql: sql.instance),
    section=lambda _, spec: spec.cloud_sql.section,
)
def test_cloudsql_instance(sql: CloudSqlSpec, judge: Judge) -> Verdict:
    """§2.1 Chat Database: the instance the migrations run on exists, is RUNNABLE and is in the region.

    A stopped instance (activation policy NEVER) still reports RUNNABLE: it fails too.

    > # Connect to production Cloud SQL
    > gcloud sql connect mobius-platform-db --user=postgres --project=$PROD_PROJECT
    > export CLOUDSQL_CONNECTION=mobiusos-new:us-central1:mobius-platform-db
    """
    section = judge.inv.sql_instances
    project, region = where_of(sql)
    instance = judge.inv.sql_instance(sql.instance)
    if instance is None:
        cause = f" ({section.cause})" if section.status == "disabled" and section.cause else ""
        reason = f"Cloud SQL instance {sql.instance} does not exist in project {project}{cause}"
        fix = create_fix(judge.requirement, sql, section)
        return judge.failed(reason, expected=f"{RUNNABLE} in {region}", actual="absent", fix=judge.then(fix))
    found = Findings()
    found.compare("region", region, instance.region)
    found.compare("state", RUNNABLE, upper(instance.state))
    if upper(instance.state) == RUNNABLE and is_stopped(instance):
        found.deviate("activation policy", "ALWAYS (serving)", "NEVER (stopped: no connection is accepted)")
    fix = judge.then(repair_fix(judge.requirement, sql, instance, found.labels))
    return judge.findings(found, what="instance not serving as specified", fix=fix, ok=f"{RUNNABLE} in {region}")


@check("DB-PRIVATE-IP", each(lambda spec: [spec.cloud_sql], lambda sql: sql.instance), section="Executive Summary")
def test_cloudsql_private_ip(sql: CloudSqlSpec, judge: Judge) -> Verdict:
    """Executive Summary (advisory): the Cloud SQL instance has a private IP and no public one.

    > | **Cloud SQL** | Private IP | Public IP | Consider private for security |
    """
    if sql.private_ip == "ignore":
        return judge.na("private_ip: ignore in the checklist")
    instance = judge.inv.sql_instance(sql.instance)
    if instance is None:
        # No instance, no IP to judge: the instance check fails it, with the command that creates it.
        return judge.na(f"Cloud SQL instance {sql.instance} not found (see DB-INSTANCE)")
    if instance.public_ip is None:
        return judge.errored("whether the instance has a public IP is unknown")
    if instance.public_ip:
        fix = private_ip_fix(judge.requirement, judge.spec, exists=True)
        reason = "the Cloud SQL instance has a public IP"
        return judge.failed(reason, expected="private IP only", actual="public IP assigned", fix=fix)
    network = f" on {instance.private_network}" if instance.private_network else ""
    return judge.passed(f"private IP only{network}")
