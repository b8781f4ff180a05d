"""VER-LOGS reads back to the latest revision's start: an old deploy is never a false red.

Crafted inventories pin the verdicts (a window that began after the revision
started cannot call lines missing); the emulator-backed tests run the real
collector (Cloud Run v2 ``revisions.get`` + one ``entries.list``) with a clock
days after the deploy, where the former fixed 24 h window read nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.fixtures.emulator.logging_filter import compile_filter

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.clients import Clients
from mobius_gate.collect.logs import ERRORS_WINDOW, collect_logs, log_filter, search_since
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.inventory import Inventory, LogEntry, LogSection
from mobius_gate.spec import Checklist, load_checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as phase4
from tests.checks.factory import conformant, resolved_spec

WORKER = "mobius-chat-worker"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PROJECT, REGION = "mobiusos-new", "us-central1"


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return resolved_spec()


def with_logs(
    spec: Checklist, *, silent: set[str], since: datetime | None, started: datetime | None, partial: bool = False
) -> Inventory:
    """A conformant inventory whose ``silent`` workers logged nothing (or one line, ``partial``)."""
    inv = conformant(spec)
    entries, starts = [], {}
    for svc in spec.services:
        if not svc.log_lines:
            continue
        rev = inv.service(svc.name).latest_created_revision  # type: ignore[union-attr]
        lines = svc.log_lines[:1] if partial and svc.name in silent else [] if svc.name in silent else svc.log_lines
        entries += [LogEntry(service=svc.name, revision=rev, timestamp=NOW, severity="INFO", text=t) for t in lines]
        if started is not None:
            starts[svc.name] = started
    section = LogSection(items=entries, searched_since=since, revisions_started=starts)
    return inv.model_copy(update={"log_entries": section})


def judge(spec: Checklist, inv: Inventory, name: str = WORKER) -> Verdict:
    bound = phase4.test_worker_start_lines.mobius_rule  # type: ignore[attr-defined]
    return bound.judge(dict(bound.subjects(spec))[name], spec, inv)


def test_no_lines_from_a_revision_older_than_the_window_is_an_error_not_a_fail(spec: Checklist) -> None:
    inv = with_logs(spec, silent={WORKER}, since=NOW - timedelta(minutes=1), started=NOW - timedelta(days=3))
    verdict = judge(spec, inv)
    assert verdict.status == "error", verdict.message()
    assert "cannot confirm: revision" in verdict.reason
    assert "started before the logs window" in verdict.reason
    assert "widen --logs-since or read the logs by hand" in verdict.reason
    assert judge(spec, inv, "mobius-rag-chunking-worker").status == "pass"


def test_no_lines_when_the_start_is_unknown_is_an_error(spec: Checklist) -> None:
    inv = with_logs(spec, silent={WORKER}, since=NOW - timedelta(days=30), started=None)
    assert judge(spec, inv).status == "error"


def test_no_lines_since_the_revision_started_is_a_fail(spec: Checklist) -> None:
    inv = with_logs(spec, silent={WORKER}, since=NOW - timedelta(days=3), started=NOW - timedelta(days=3))
    verdict = judge(spec, inv)
    assert verdict.status == "fail"
    assert "logged 0 of" in verdict.reason


def test_some_lines_but_not_all_is_a_fail_even_in_a_short_window(spec: Checklist) -> None:
    inv = with_logs(
        spec, silent={WORKER}, since=NOW - timedelta(minutes=1), started=NOW - timedelta(days=3), partial=True
    )
    assert judge(spec, inv).status == "fail"


def test_a_legacy_inventory_without_the_window_is_judged_as_before(spec: Checklist) -> None:
    inv = with_logs(spec, silent={WORKER}, since=None, started=None)
    assert judge(spec, inv).status == "fail"


def test_search_starts_at_the_earliest_revision_start_never_beyond_the_bound() -> None:
    starts = {"a": NOW - timedelta(days=3), "b": NOW - timedelta(hours=1)}
    assert search_since(starts, ["a", "b"], NOW, timedelta(days=30)) == NOW - timedelta(days=3)
    assert search_since(starts, ["a", "b"], NOW, timedelta(hours=2)) == NOW - timedelta(hours=2)
    assert search_since(starts, ["a", "b", "c"], NOW, timedelta(days=30)) == NOW - timedelta(days=30), "c unknown"


# --- the real collector on the emulator ---------------------------------------------------------


def collected(emu: Emulator, logs_since: timedelta, clock_ahead: timedelta) -> LogSection:
    """``log_entries`` as collected ``clock_ahead`` after the scenario was deployed."""
    options = CollectOptions(timeout_s=30, retry_attempts=2, retry_initial_s=0.05, logs_since=logs_since)
    target = Target(PROJECT, REGION, emu.url)
    clients = Clients(target)
    try:
        ctx = CallContext(target, options, time.monotonic() + 30, lambda: clients)
        spec = load_checklist().resolve(PROJECT, REGION)
        return collect_logs(ctx, spec, now=datetime.now(UTC) + clock_ahead)
    finally:
        clients.close()


@pytest.mark.servers
def test_emulator_worker_deployed_days_ago_still_passes_with_the_default_bound() -> None:
    spec = load_checklist().resolve(PROJECT, REGION)
    with Emulator("staging", project=PROJECT) as emu:
        section = collected(emu, timedelta(days=30), clock_ahead=timedelta(days=3))
        inv = collected_inventory(emu, section)
    assert set(section.revisions_started) == {s.name for s in spec.services if s.log_lines}
    assert section.searched_since == min(section.revisions_started.values())
    bound = phase4.test_worker_start_lines.mobius_rule  # type: ignore[attr-defined]
    got = {name: bound.judge(s, spec, inv).status for name, s in bound.subjects(spec)}
    assert set(got.values()) == {"pass"}, got


@pytest.mark.servers
def test_emulator_short_window_after_the_deploy_is_an_error_never_a_fail() -> None:
    spec = load_checklist().resolve(PROJECT, REGION)
    with Emulator("staging", project=PROJECT) as emu:
        section = collected(emu, timedelta(minutes=1), clock_ahead=timedelta(days=3))
        inv = collected_inventory(emu, section)
    assert not [e for e in section.items if e.severity != "ERROR"], "no start line is in the last minute"
    bound = phase4.test_worker_start_lines.mobius_rule  # type: ignore[attr-defined]
    got = {name: bound.judge(s, spec, inv) for name, s in bound.subjects(spec)}
    assert {v.status for v in got.values()} == {"error"}, [v.message() for v in got.values()]
    assert all("started before the logs window" in v.reason for v in got.values())


def collected_inventory(emu: Emulator, section: LogSection) -> Inventory:
    """The emulator's services (their real revisions) with the logs collected at the shifted clock."""
    options = CollectOptions(timeout_s=30, retry_attempts=2, retry_initial_s=0.05)
    inv = collect_inventory(Target(PROJECT, REGION, emu.url), options, {"services"})
    return inv.model_copy(update={"log_entries": section})


def test_query_reads_start_lines_back_to_the_start_but_errors_only_for_the_last_day() -> None:
    query = log_filter(["w"], ["ready"], NOW - timedelta(days=20), errors_since=NOW - ERRORS_WINDOW)
    matches = compile_filter(query)

    def entry(text: str, severity: str, age: timedelta) -> dict:
        stamp = (NOW - age).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        labels = {"service_name": "w", "revision_name": "w-1"}
        return {"resource": {"type": "cloud_run_revision", "labels": labels}, "textPayload": text,
                "severity": severity, "timestamp": stamp}  # fmt: skip

    assert matches(entry("worker ready", "INFO", timedelta(days=19)))
    assert matches(entry("boom", "ERROR", timedelta(hours=2)))
    assert not matches(entry("boom", "ERROR", timedelta(days=2))), "old errors cannot crowd out the start lines"
    assert not matches(entry("worker ready", "INFO", timedelta(days=21)))
