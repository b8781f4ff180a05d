"""The planner and the conflict policy on crafted inputs (no I/O)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc
from mobius_gate.remediate.actions.base import ApplyContext, Outcome, UpdateConflict
from mobius_gate.remediate.planner import build_plan

from mobius_gate.fixes import Where, repair_connector, repair_redis
from mobius_gate.rules.common import verdict
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist

SPEC = load_checklist(DEFAULT_CHECKLIST).resolve("mobiusos-new", "us-central1")
WHERE = Where("mobiusos-new", "us-central1")


def test_recreate_fixes_stay_manual_with_their_cost() -> None:
    redis = repair_redis(SPEC, WHERE, ["tier"])
    connector = repair_connector(SPEC, WHERE, ["ip_cidr_range"])
    verdicts = [
        verdict("fail", "INF-REDIS", "mobius-redis", "wrong tier", fix=redis),
        verdict("fail", "INF-VPC", "mobius-redis-connector", "wrong range", fix=connector),
    ]
    plan = build_plan(verdicts, SPEC.redis.name)
    assert plan.changes == []
    whys = [item.why for item in plan.manual]
    assert all("never deletes" in why for why in whys)
    assert "queued jobs are lost" in whys[0] and "recreate the connector" in whys[1]
    assert plan.manual[0].command.startswith("gcloud redis instances delete mobius-redis")


def test_identical_steps_of_several_checks_are_one_change() -> None:
    svc = next(s for s in SPEC.services if s.name == "mobius-rag")
    from mobius_gate.fixes import update_service

    fix = update_service("SVC-VPC-CONNECTOR", svc, WHERE, vpc_connector="mobius-redis-connector")
    egress = update_service("SVC-VPC-EGRESS", svc, WHERE, vpc_connector="mobius-redis-connector")
    verdicts = [
        verdict("fail", "SVC-VPC-CONNECTOR", "mobius-rag", "x", fix=fix),
        verdict("fail", "SVC-VPC-EGRESS", "mobius-rag", "x", fix=egress),
    ]
    (change,) = build_plan(verdicts, SPEC.redis.name).changes
    assert change.checks == [("SVC-VPC-CONNECTOR", "mobius-rag"), ("SVC-VPC-EGRESS", "mobius-rag")]


class _NoCalls(ApplyContext):
    def __init__(self) -> None:  # the conflict policy needs no client
        pass


def test_a_conflict_is_retried_once_then_reported() -> None:
    attempts: list[int] = []

    def always_stale() -> Outcome:
        attempts.append(1)
        raise gexc.Conflict("etag mismatch")

    with pytest.raises(UpdateConflict, match="changed concurrently again after one retry"):
        _NoCalls().once_more_on_conflict(always_stale, "update mobius-rag")
    assert len(attempts) == 2

    def stale_once() -> Outcome:
        attempts.append(1)
        if len(attempts) == 3:
            raise gexc.Conflict("etag mismatch")
        return Outcome(True)

    assert _NoCalls().once_more_on_conflict(stale_once, "update mobius-rag").changed
