"""The planner, the Rollback Plan and the conflict policy on crafted inputs (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions as gexc
from mobius_gate.remediate.actions.base import ApplyContext, Outcome, UpdateConflict
from mobius_gate.remediate.planner import build_plan
from mobius_gate.remediate.render import held_lines
from mobius_gate.remediate.rollback import add_rollbacks
from mobius_gate.remediate.runner import Result

from mobius_gate.fixes import Step, Where, repair_connector, repair_redis, update_service
from mobius_gate.inventory import Inventory, TrafficTarget
from mobius_gate.revisions import Revision
from mobius_gate.rules.common import verdict
from mobius_gate.spec import DEFAULT_CHECKLIST, load_checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS, conformant, judge, with_service

SPEC = load_checklist(DEFAULT_CHECKLIST).resolve("mobiusos-new", "us-central1")
WHERE = Where("mobiusos-new", "us-central1")
TRAFFIC_AT = Step("run.traffic", "", "mobiusos-new", "us-central1")
#: mobius-chat-worker after a deploy whose revision never got ready, with two older ready ones.
FAILED_DEPLOY: dict[str, Any] = {
    "latest_created_revision": "mobius-chat-worker-00004-new",
    "latest_ready_revision": "mobius-chat-worker-00003-abc",
    "ready": False,
    "ready_message": "Container failed to start and listen on PORT=8080",
    "revisions": [
        Revision(name="mobius-chat-worker-00004-new", ready=False),
        Revision(name="mobius-chat-worker-00003-abc", ready=True),
        Revision(name="mobius-chat-worker-00002-old", ready=True),
    ],
}


def _ready_verdict(inv: Inventory) -> Verdict:
    return judge(CHECKS.test_service_ready, "mobius-chat-worker", SPEC, inv)


def test_the_ready_check_names_the_previous_ready_revision() -> None:
    found = _ready_verdict(with_service(conformant(SPEC), "mobius-chat-worker", **FAILED_DEPLOY))
    assert found.status == "fail" and "<previous-revision>" not in (found.fix or "")
    assert "update-traffic mobius-chat-worker --to-revisions=mobius-chat-worker-00003-abc=100" in (found.fix or "")


def test_without_an_older_ready_revision_the_fix_is_a_redeploy_and_unknown_keeps_the_placeholder() -> None:
    never = [Revision(name="mobius-chat-worker-00004-new", ready=False)]
    alone = _ready_verdict(
        with_service(conformant(SPEC), "mobius-chat-worker", **{**FAILED_DEPLOY, "revisions": never})
    )
    assert "update-traffic" not in (alone.fix or "") and "no older revision was ready" in alone.details["fix"]
    unknown = _ready_verdict(
        with_service(conformant(SPEC), "mobius-chat-worker", **{**FAILED_DEPLOY, "revisions": None})
    )
    assert "<previous-revision>=100" in (unknown.fix or "")


def test_the_plan_rolls_back_to_the_previous_ready_revision() -> None:
    inv = with_service(conformant(SPEC), "mobius-chat-worker", **FAILED_DEPLOY)
    found = _ready_verdict(inv)
    plan = build_plan([found], SPEC.redis.name)
    add_rollbacks(plan, [found], inv, (), TRAFFIC_AT)
    (change,) = plan.changes
    assert change.step.params == {"to_revisions": {"mobius-chat-worker-00003-abc": 100}}
    assert change.checks == [("SVC-READY", "mobius-chat-worker")]
    assert [item.command.split()[:3] for item in plan.manual] == [["gcloud", "run", "revisions"]]  # describe


def test_a_rollback_in_place_is_never_undone_by_traffic_to_latest() -> None:
    pinned = [TrafficTarget(revision="mobius-rag-00001-old", percent=100)]
    revisions = [Revision(name="mobius-rag-00002-bad", ready=True), Revision(name="mobius-rag-00001-old", ready=True)]
    latest = {"latest_created_revision": "mobius-rag-00002-bad", "latest_ready_revision": "mobius-rag-00002-bad"}
    inv = with_service(conformant(SPEC), "mobius-rag", traffic=pinned, revisions=revisions, **latest)
    found = judge(CHECKS.test_service_ready, "mobius-rag", SPEC, inv)
    plan = build_plan([found], SPEC.redis.name)
    add_rollbacks(plan, [found], inv, (), TRAFFIC_AT)
    (change,) = plan.changes
    assert change.state == "manual" and "traffic is pinned to mobius-rag-00001-old (a rollback)" in change.why


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
    fix = update_service("SVC-VPC-CONNECTOR", svc, WHERE, vpc_connector="mobius-redis-connector")
    egress = update_service("SVC-VPC-EGRESS", svc, WHERE, vpc_connector="mobius-redis-connector")
    verdicts = [
        verdict("fail", "SVC-VPC-CONNECTOR", "mobius-rag", "x", fix=fix),
        verdict("fail", "SVC-VPC-EGRESS", "mobius-rag", "x", fix=egress),
    ]
    (change,) = build_plan(verdicts, SPEC.redis.name).changes
    assert change.checks == [("SVC-VPC-CONNECTOR", "mobius-rag"), ("SVC-VPC-EGRESS", "mobius-rag")]


def test_the_held_back_list_says_exactly_how_to_continue() -> None:
    svc = next(s for s in SPEC.services if s.name == "mobius-rag")
    steps = [update_service("SVC-ENV", svc, WHERE, image=f"img:{n}") for n in range(3)]
    plan = build_plan([verdict("fail", "SVC-ENV", "mobius-rag", "x", fix=fix) for fix in steps], SPEC.redis.name)
    plan.changes[1].state = plan.changes[2].state = "held"
    planned = held_lines(Result("plan", plan, max_changes=1))
    assert planned[0].startswith("held back (2, beyond --max-changes=1): run.update mobius-rag, run.update mobius-rag")
    assert "one run: --remediate=apply --max-changes=3; or apply twice" in planned[1]
    plan.changes[0].state = "applied"
    applied = held_lines(Result("apply", plan, max_changes=1))
    assert (
        "run --remediate=apply again (it continues where this run stopped), or re-run with --max-changes=2"
        in (applied[1])
    )


def test_a_conflict_is_retried_once_then_reported() -> None:
    ctx = ApplyContext(calls=None)  # type: ignore[arg-type]  # the conflict policy needs no client
    attempts: list[int] = []

    def always_stale() -> Outcome:
        attempts.append(1)
        raise gexc.Conflict("etag mismatch")

    with pytest.raises(UpdateConflict, match="changed concurrently again after one retry"):
        ctx.once_more_on_conflict(always_stale, "update mobius-rag")
    assert len(attempts) == 2 and len(ctx.conflicts) == 2

    def stale_once() -> Outcome:
        attempts.append(1)
        if len(attempts) == 3:
            raise gexc.Conflict("etag mismatch")
        return Outcome(True)

    assert ctx.once_more_on_conflict(stale_once, "update mobius-rag").changed
    assert len(ctx.conflicts) == 3 and ctx.conflicts[-1].startswith("update mobius-rag: 409 Conflict")
