"""History: two consecutive runs on a standalone emulator (prod, then part of it repaired) and ages."""

from __future__ import annotations

from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import service_usage_v1
from mobius_gate.fixtures.emulator import Emulator
from mobius_gate.reports.changes import age, from_history
from mobius_gate.reports.history import History
from mobius_gate.reports.model import CheckResult, Report, RunMeta, Source

from tests.reports.conftest import run_with_reports


def _enable(url: str, *apis: str) -> None:
    """Repair through the real Service Usage client, as an operator (or --remediate) would."""
    client = service_usage_v1.ServiceUsageClient(
        credentials=AnonymousCredentials(), transport="rest", client_options=ClientOptions(api_endpoint=url)
    )
    for api in apis:
        client.enable_service(request={"name": f"projects/mobiusos-new/services/{api}"}).result(timeout=10)


def test_second_run_lists_fixed_and_still_open_with_ages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Emulator("prod", project="mobiusos-new") as emu:
        first = run_with_reports(out, tmp_path / "t1", f"--emulator={emu.url}")
        first_doc = first.document  # the second run rewrites the same directory
        assert first_doc["changes"] is None
        assert "First run in this history" in first.text("conformance.html")
        _enable(emu.url, "redis.googleapis.com", "vpcaccess.googleapis.com")
        second = run_with_reports(out, tmp_path / "t2", f"--emulator={emu.url}")

    changes = second.document["changes"]
    assert {c["key"] for c in changes["fixed"]} == {"INF-API redis.googleapis.com", "INF-API vpcaccess.googleapis.com"}
    assert changes["regressed"] == []
    still = {c["key"]: c for c in changes["still_open"]}
    assert "INF-REDIS mobius-redis" in still and "SVC-DEPLOYED mobius-chat-api" in still
    ages = {(c["open_runs"], c["open_since"]) for c in still.values()}
    assert ages == {(2, first_doc["run"]["finished_at"])}, ages
    summary = second.text("summary.md")
    assert "**Fixed (2)**" in summary and "- INF-API redis.googleapis.com: pass — was fail" in summary
    assert f"**Still open ({len(still)})**" in summary
    assert "- INF-REDIS mobius-redis: fail — open " in summary and "(2 runs)" in summary
    assert "2 fixed, 0 regressed" in second.gate.stdout
    assert len(second.document["trend"]) == 2
    page = second.text("conformance.html")
    assert page.count("<circle") == 2 and ">fixed<" in page and ">still open<" in page


def _report(at: str, outcomes: dict[str, str]) -> Report:
    meta = RunMeta("p", "r", Source("emulator", "x"), at, at, "c", "0" * 64, "0", "FAIL", 1, False)
    checks = [
        CheckResult("SVC-IMAGE", "t", "services", "blocking", "3", key, key, outcome, "why")
        for key, outcome in outcomes.items()
    ]
    return Report(meta, checks)


def test_ages_span_the_unbroken_open_streak(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite")
    runs = [
        ("2026-02-01T03:00:00+00:00", {"a": "fail", "b": "pass", "c": "fail"}),
        ("2026-02-02T03:00:00+00:00", {"a": "fail", "b": "pass", "c": "pass"}),
        ("2026-02-03T03:00:00+00:00", {"a": "fail", "b": "fail", "c": "fail"}),
        ("2026-02-04T05:30:00+00:00", {"a": "fail", "b": "error", "c": "fail"}),
    ]
    for at, outcomes in runs:
        report = _report(at, outcomes)
        run_id = history.record(report)
    changes = from_history(history, report, run_id)
    assert changes is not None
    still = {c.key: (c.open_since, c.open_runs) for c in changes.still_open}
    assert still == {
        "SVC-IMAGE a": ("2026-02-01T03:00:00+00:00", 4),
        "SVC-IMAGE b": ("2026-02-03T03:00:00+00:00", 2),  # error counts as open: could not judge
        "SVC-IMAGE c": ("2026-02-03T03:00:00+00:00", 2),  # the streak restarted after it passed
    }
    assert age("2026-02-01T03:00:00+00:00", report.run.finished_at) == "3d 2h"
    assert [p["at"][:10] for p in history.trend("p")] == ["2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04"]


def test_compare_to_an_earlier_report(tmp_path: Path) -> None:
    first = run_with_reports(tmp_path / "a", tmp_path / "t1", "--emulator=prod")
    second = run_with_reports(
        tmp_path / "b", tmp_path / "t2", "--emulator=staging", f"--compare-to={first.out / 'conformance.json'}"
    )
    changes = second.document["changes"]
    assert changes["previous_at"] == first.document["run"]["finished_at"]
    assert {"INF-API redis.googleapis.com", "SVC-DEPLOYED mobius-chat-api"} <= {c["key"] for c in changes["fixed"]}
