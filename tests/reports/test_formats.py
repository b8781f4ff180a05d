"""One run, every format: JSON against its schema, JUnit for CI viewers, pytest-html, Markdown, CSV."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from mobius_gate.reports import json_out

from mobius_gate.requirements import CATALOGUE
from tests.reports.conftest import ReportRun

VER_E2E = ("VER-E2E-CHAT", "VER-E2E-RAG", "VER-E2E-SCRAPER")
FORMATS = ("conformance.json", "junit.xml", "report.html", "summary.md", "conformance.csv", "conformance.html")


def test_every_format_is_written(prod_vs_staging: ReportRun) -> None:
    written = {p.name for p in prod_vs_staging.out.iterdir()}
    assert set(FORMATS) | {"history.sqlite", "compare.md", "compare.json"} <= written
    assert f"mobius-gate reports in {prod_vs_staging.out}" in prod_vs_staging.gate.stdout


def test_json_follows_the_schema_and_the_run(prod_vs_staging: ReportRun) -> None:
    doc = prod_vs_staging.document
    json_out.validate(doc)
    run = doc["run"]
    assert (run["project"], run["source"], run["verdict"], run["exit_code"]) == (
        "mobiusos-new",
        {"kind": "emulator", "name": "prod"},
        "FAIL",
        1,
    )
    assert doc["counts"]["total"] == len(doc["checks"]) == len(prod_vs_staging.gate.outcomes) == 165
    # Outcomes agree with pytest's: failed → fail, xfailed → advisory, skipped → skipped, passed → pass.
    pytest_to_report = {"failed": "fail", "xfailed": "advisory", "skipped": "skipped", "passed": "pass"}
    by_node = {c["nodeid"]: c["outcome"] for c in doc["checks"]}
    assert {n: pytest_to_report[o] for n, o in prod_vs_staging.gate.outcomes.items()} == by_node
    deploy = next(c for c in doc["checks"] if c["requirement"] == "SVC-DEPLOYED" and c["outcome"] == "fail")
    assert deploy["fix"].startswith("gcloud run deploy") and deploy["fix_steps"][0]["operation"] == "run.deploy"
    unjudged = {c["requirement"] for c in doc["checks"] if c["unjudged"]}
    assert unjudged == {"DB-EXISTS", "DB-MIGRATION", "DB-RAG-META", "DB-RAG-CONSISTENT", *VER_E2E}


def test_schema_rejects_what_it_should(prod_vs_staging: ReportRun) -> None:
    doc = prod_vs_staging.document
    doc["checks"][0]["outcome"] = "green"
    with pytest.raises(jsonschema.ValidationError):
        json_out.validate(doc)


def test_junit_one_testcase_per_check(prod_vs_staging: ReportRun) -> None:
    root = ET.fromstring(prod_vs_staging.text("junit.xml"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "mobius-gate"
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["project"] == "mobiusos-new" and props["verdict"] == "FAIL" and props["source"] == "emulator prod"
    assert len(props["checklist_sha256"]) == 64
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests", "0")) == 165
    assert len({c.get("name") for c in cases}) == 165
    for case in cases:
        rid = case.get("name", "").split(" ")[0]
        assert rid in CATALOGUE and case.get("classname") == f"{CATALOGUE[rid].phase}.{rid}"
    failing = [c for c in cases if c.find("failure") is not None]
    assert len(failing) == 16 == int(suite.get("failures", "0"))
    redis = next(c for c in failing if c.get("name") == "INF-REDIS mobius-redis")
    assert "fix: gcloud services enable redis.googleapis.com" in (redis.findtext("failure") or "")
    advisories = [c.get("name") for c in cases if (s := c.find("skipped")) is not None and s.get("type") == "advisory"]
    assert advisories == ["DB-PRIVATE-IP mobius-platform-db", "SVC-PLAINTEXT-CREDS mobius-rag"]


def test_pytest_html_through_its_hooks(prod_vs_staging: ReportRun) -> None:
    page = prod_vs_staging.text("report.html")
    assert '<title id="head-title">mobiusos-new: FAIL — mobius-gate conformance</title>' in page
    for column in ("Requirement", "Resource", "Severity", "Fix"):
        assert f'data-column-type="{column.lower()}">{column}</th>' in page
    assert "Release gate: FAIL</b> — 165 checks" in page  # skipped and advisory counted
    assert "Checklist" in page and "sha256:" in page and "emulator prod" in page


def _html_rows(page: str) -> list[dict]:
    blob = re.search(r'data-jsonblob="([^"]*)"', page)
    assert blob is not None
    return [row for rows in json.loads(html.unescape(blob.group(1)))["tests"].values() for row in rows]


def test_pytest_html_shows_skip_reasons_as_text(prod_vs_staging: ReportRun) -> None:
    skipped = [row for row in _html_rows(prod_vs_staging.text("report.html")) if row["result"] == "Skipped"]
    assert skipped
    for row in skipped:  # the reason, not pytest's ('/…/requirements.py', 170, "Skipped: …") tuple
        assert not row["log"].startswith(("(", "Skipped: ")) and "requirements.py" not in row["log"], row["log"]
    assert any("not collected: no database URL" in row["log"] for row in skipped)


def test_markdown_summary_in_fix_order_and_in_the_step_summary(prod_vs_staging: ReportRun) -> None:
    text = prod_vs_staging.text("summary.md")
    assert text.startswith("# ❌ mobius-gate mobiusos-new: FAIL")
    order = re.findall(r"^\d+\. \*\*(\S+)\*\*", text, flags=re.MULTILINE)
    assert order == ["INF-API", "INF-REDIS", "INF-VPC", "INF-SECRET", "SVC-DEPLOYED", "SVC-VPC-CONNECTOR",
                     "SVC-VPC-EGRESS", "SVC-ENV"]  # fmt: skip
    assert "`gcloud services enable vpcaccess.googleapis.com --project=mobiusos-new`" in text
    step_summary = prod_vs_staging.out.parent / "step-summary.md"
    assert step_summary.read_text(encoding="utf-8").startswith(text)


def test_csv_one_row_per_check(prod_vs_staging: ReportRun) -> None:
    rows = list(csv.DictReader(io.StringIO(prod_vs_staging.text("conformance.csv"))))
    assert len(rows) == 165
    assert sum(r["outcome"] == "fail" for r in rows) == 16
    assert {r["project"] for r in rows} == {"mobiusos-new"}
