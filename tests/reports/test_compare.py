"""`--emulator=prod --compare=staging` reproduces the checklist's Executive Summary table."""

from __future__ import annotations

from pathlib import Path

from tests.reports.conftest import ReportRun

#: The checklist's rows (production-migration-checklist.md, "Executive Summary"), as the gate words them.
CHECKLIST_ROWS = {
    "Services": ("10 services", "2 services", "Deploy 8 new services"),
    "Redis": ("✅ Memorystore", "❌ Not enabled", "Enable API + create instance"),
    "VPC Connector": ("✅ `mobius-redis-connector`", "❌ Not enabled", "Enable API + create connector"),
    # The checklist's "❓ Check" was not checked; the emulator's production has Vertex AI on.
    "Vertex AI": ("✅ Enabled", "✅ Enabled", "—"),
    "Cloud SQL": ("Private IP", "Public IP", "Consider private for security"),
}


def test_gap_table_reproduces_the_checklist(prod_vs_staging: ReportRun) -> None:
    gap = prod_vs_staging.document["gap"]
    assert (gap["left"]["label"], gap["right"]["label"]) == ("Staging", "Production")
    # The scenario names, not the in-process emulators' throwaway ports.
    assert (gap["left"]["source"], gap["right"]["source"]) == ("emulator:staging", "emulator:prod")
    rows = {r["item"]: r for r in gap["rows"]}
    for item, (staging, production, action) in CHECKLIST_ROWS.items():
        assert (rows[item]["left"], rows[item]["right"]) == (staging, production), item
        assert rows[item]["action"].startswith(action), (item, rows[item]["action"])
    assert set(rows["Services"]["left_names"]) - set(rows["Services"]["right_names"]) == {
        "mobius-chat-api", "mobius-chat-worker", "mobius-dbt-ui", "mobius-rag-chunking-worker",
        "mobius-rag-embedding-worker", "mobius-skills-scraper", "mobius-skills-scraper-worker", "module-hub",
    }  # fmt: skip
    assert rows["APIs"]["action"] == "Enable redis.googleapis.com, vpcaccess.googleapis.com"


def test_per_service_flags_that_differ(prod_vs_staging: ReportRun) -> None:
    flags = {
        (f["service"], f["flag"]): (f["left"], f["right"]) for f in prod_vs_staging.document["gap"]["service_flags"]
    }
    assert flags[("mobius-rag", "vpc_connector")] == ("mobius-redis-connector", "unset")
    assert flags[("mobius-rag", "vpc_egress")] == ("private-ranges-only", "unset")
    assert flags[("mobius-rag", "env REDIS_URL")] == ("plain value", "unset")
    assert all(service in ("mobius-rag", "mobius-os") for service, _ in flags)  # the two both sides run


def test_gap_table_in_summary_compare_md_and_page(prod_vs_staging: ReportRun) -> None:
    md = prod_vs_staging.text("compare.md")
    assert "| **Redis** | ✅ Memorystore | ❌ Not enabled | Enable API + create instance |" in md
    assert md.splitlines()[0] in prod_vs_staging.text("summary.md")
    assert 'id="gap"' in prod_vs_staging.text("conformance.html")


def test_compare_with_a_saved_inventory(tmp_path: Path) -> None:
    from tests.reports.conftest import run_with_reports

    saved = tmp_path / "staging.json"
    first = run_with_reports(
        tmp_path / "a",
        tmp_path / "t1",
        "--emulator=staging",
        "--project=mobiusos-staging",
        f"--save-gate-inventory={saved}",
    )
    assert first.gate.returncode in (0, 6), first.gate.stdout[-2000:]
    run = run_with_reports(tmp_path / "b", tmp_path / "t2", "--emulator=prod", f"--compare=inventory:{saved}")
    rows = {r["item"]: r for r in run.document["gap"]["rows"]}
    assert (rows["Services"]["left"], rows["Services"]["right"]) == ("10 services", "2 services")
