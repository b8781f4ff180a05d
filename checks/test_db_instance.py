"""Phase 2 Executive Summary (advisory): the Cloud SQL instance is reachable on a private IP only."""

from __future__ import annotations

from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.spec import CloudSqlSpec
from mobius_gate.sql_fixes import private_ip_fix
from mobius_gate.verdict import Verdict


@check("DB-PRIVATE-IP", each(lambda spec: [spec.cloud_sql], lambda sql: sql.instance), section="Executive Summary")
def test_cloudsql_private_ip(sql: CloudSqlSpec, judge: Judge) -> Verdict:
    """Executive Summary (advisory): the Cloud SQL instance has a private IP and no public one.

    > | **Cloud SQL** | Private IP | Public IP | Consider private for security |
    """
    if sql.private_ip == "ignore":
        return judge.na("private_ip: ignore in the checklist")
    section = judge.inv.sql_instances
    instance = judge.inv.sql_instance(sql.instance)
    if instance is None:
        cause = f" ({section.cause})" if section.cause else ""
        fix = private_ip_fix(judge.requirement, judge.spec, exists=False, api_disabled=section.status == "disabled")
        reason = f"Cloud SQL instance {sql.instance} not found{cause}"
        return judge.failed(reason, expected="instance with a private IP", actual="absent", fix=fix)
    if instance.public_ip is None:
        return judge.errored("whether the instance has a public IP is unknown")
    if instance.public_ip:
        fix = private_ip_fix(judge.requirement, judge.spec, exists=True)
        reason = "the Cloud SQL instance has a public IP"
        return judge.failed(reason, expected="private IP only", actual="public IP assigned", fix=fix)
    network = f" on {instance.private_network}" if instance.private_network else ""
    return judge.passed(f"private IP only{network}")
