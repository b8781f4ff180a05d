"""The release verdict and waivers, judged purely: PASS only when every blocking requirement held."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mobius_gate.release import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_PASS, Outcome, decide
from mobius_gate.waivers import WaiverError, Waivers, load_waivers

TODAY = dt.date(2026, 11, 30)


def test_all_held_is_pass() -> None:
    release = decide([Outcome("INF-API", "redis.googleapis.com", "pass")], partial=False)
    assert (release.verdict, release.exit_code) == ("PASS", EXIT_PASS)
    assert release.headline() == "release gate: PASS"


def test_one_blocking_deviation_is_fail_and_errors_do_not_hide_it() -> None:
    release = decide(
        [
            Outcome("INF-API", "run.googleapis.com", "pass"),
            Outcome("SVC-READY", "mobius-rag", "error", "cannot judge"),
            Outcome("SVC-DEPLOYED", "mobius-chat-api", "fail"),
        ],
        partial=False,
    )
    assert (release.verdict, release.exit_code) == ("FAIL", EXIT_FAIL)


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome("SVC-READY", "mobius-rag", "error", "cannot judge: services unavailable"),
        Outcome("DB-EXISTS", "mobius_chat", "na", "not collected: no --db-url", unjudged=True, supply="--db-url=URL"),
    ],
    ids=["error", "unjudged"],
)
def test_unknown_or_unjudged_blocking_is_incomplete_never_pass(outcome: Outcome) -> None:
    release = decide([Outcome("INF-API", "run.googleapis.com", "pass"), outcome], partial=False)
    assert (release.verdict, release.exit_code) == ("INCOMPLETE", EXIT_INCOMPLETE)


def test_advisory_deviation_does_not_block_unless_asked() -> None:
    advisory = Outcome("DB-PRIVATE-IP", "mobius-platform-db", "fail")
    assert decide([advisory], partial=False).verdict == "PASS"
    blocking = Outcome("DB-PRIVATE-IP", "mobius-platform-db", "fail", advisories_block=True)
    assert decide([blocking], partial=False).verdict == "FAIL"


def test_not_applicable_is_not_unjudged() -> None:
    release = decide(
        [Outcome("SVC-TIMEOUT", "mobius-chat-api", "na", "not deployed (see SVC-DEPLOYED)")], partial=False
    )
    assert release.verdict == "PASS"


def test_partial_run_gives_no_verdict_but_an_exit_by_what_ran() -> None:
    passed = decide([Outcome("SVC-CPU-ALWAYS", "mobius-chat-worker", "pass")], partial=True)
    assert (passed.verdict, passed.exit_code, passed.headline()) == (None, 0, "partial run: no release verdict")
    failed = decide([Outcome("SVC-CPU-ALWAYS", "mobius-chat-worker", "fail")], partial=True)
    assert failed.exit_code == EXIT_FAIL


def test_failing_requirements_come_in_fix_order() -> None:
    release = decide(
        [
            Outcome("VER-LOGS", "mobius-chat-worker", "fail"),
            Outcome("SVC-DEPLOYED", "module-hub", "fail"),
            Outcome("INF-VPC", "mobius-redis-connector", "fail"),
            Outcome("INF-API", "redis.googleapis.com", "fail"),
            Outcome("INF-API", "vpcaccess.googleapis.com", "fail"),
        ],
        partial=False,
    )
    assert [rid for rid, _ in release.failing_requirements()] == ["INF-API", "INF-VPC", "SVC-DEPLOYED", "VER-LOGS"]


def _waivers(tmp_path: Path, text: str) -> Waivers:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return load_waivers(path, today=TODAY)


def test_a_waiver_accepts_matching_checks_until_it_expires(tmp_path: Path) -> None:
    waivers = _waivers(
        tmp_path,
        "waivers:\n"
        "  - requirement: DB-*\n    reason: checked by hand (OPS-1)\n    expires: 2026-12-31\n"
        "  - requirement: SVC-INGRESS\n    resource: mobius-dbt-ui\n    reason: behind IAP (OPS-2)\n"
        "    expires: 2026-11-01\n",
    )
    assert waivers.decide("DB-EXISTS", "mobius_chat").waiver is not None
    assert waivers.decide("SVC-INGRESS", "module-hub").waiver is None
    expired = waivers.decide("SVC-INGRESS", "mobius-dbt-ui")
    assert expired.waiver is None and expired.expired is not None

    outcome = Outcome("DB-EXISTS", "mobius_chat", "na", unjudged=True, waived="DB-* until 2026-12-31")
    assert decide([outcome], partial=False).verdict == "PASS"
    assert decide([outcome], partial=False).counts["waived"] == 1
    lapsed = Outcome("SVC-INGRESS", "mobius-dbt-ui", "fail", expired="SVC-INGRESS until 2026-11-01")
    release = decide([lapsed], partial=False)
    assert release.verdict == "FAIL" and release.expired == [lapsed]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("waivers: [", "waivers.yaml:1"),
        ("- just a list\n", "expected a mapping"),
        ("waivers:\n  - requirement: NOPE-1\n    reason: why not\n    expires: 2027-01-01\n", "matches no requirement"),
        ("waivers:\n  - requirement: DB-EXISTS\n    reason: why not\n", "expires"),
        ("waivers:\n  - requirement: DB-EXISTS\n    reason: why\n    expires: someday\n", "expires"),
    ],
)
def test_a_bad_waivers_file_is_one_line_naming_it(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(WaiverError) as info:
        _waivers(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message and "waivers.yaml" in message and needle in message
