"""Every outcome through every writer: repaired (``mobius_repaired``), waived, error, not judged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from mobius_gate.reports import csv_out, html, json_out, junit, markdown
from mobius_gate.reports.model import Report, RunMeta, Source, check_result

from mobius_gate.verdict import Verdict

META = RunMeta(
    "mobiusos-new", "us-central1", Source("snapshot", "exports/"), "2026-02-04T03:00:00+00:00",
    "2026-02-04T03:01:00+00:00", "checklist.yaml", "a" * 64, "0.1.0", "INCOMPLETE", 6, False,
)  # fmt: skip


def _report() -> Report:
    v = Verdict
    checks = [
        check_result(v("SVC-CPU-ALWAYS", "mobius-chat-worker", "pass", "CPU always allocated"), "pass", repaired=True),
        check_result(
            v("SVC-INGRESS", "mobius-dbt-ui", "fail", "public", details={"waived": "until 2026-03-01: vendor"}),
            "waived",
        ),
        check_result(v("INF-API", "redis.googleapis.com", "error", "permission denied <b>x</b>"), "error"),
        check_result(
            v("DB-EXISTS", "mobius_chat", "na", "not collected: no database URL", details={"unjudged": "--db-url"}),
            "unjudged",
        ),
        check_result(v("DB-PRIVATE-IP", "mobius-platform-db", "fail", "public IP", fix="gcloud sql ..."), "advisory"),
    ]
    return Report(META, checks)


def test_outcomes_in_json_junit_csv_markdown_and_page() -> None:
    report = _report()
    doc = json.loads(json_out.render(report))
    json_out.validate(doc)
    assert [c["outcome"] for c in doc["checks"]] == ["repaired", "waived", "error", "skipped", "advisory"]
    assert doc["counts"] | {} == doc["counts"] and doc["counts"]["unjudged"] == 1
    assert doc["checks"][1]["waiver"] == "until 2026-03-01: vendor"

    suite = ET.fromstring(junit.render(report)).find("testsuite")
    assert suite is not None
    kinds = {c.get("name"): [child.tag + ":" + (child.get("type") or "") for child in c if child.tag != "properties"]
             for c in suite.findall("testcase")}  # fmt: skip
    assert kinds == {
        "SVC-CPU-ALWAYS mobius-chat-worker": ["system-out:"],
        "SVC-INGRESS mobius-dbt-ui": ["skipped:waived"],
        "INF-API redis.googleapis.com": ["error:could-not-judge"],
        "DB-EXISTS mobius_chat": ["skipped:not-judged"],
        "DB-PRIVATE-IP mobius-platform-db": ["skipped:advisory"],
    }
    assert suite.get("errors") == "1" and suite.get("failures") == "0"

    assert csv_out.render(report).count("\n") == 6
    md = markdown.render(report)
    assert md.startswith("# ⚠️ mobius-gate mobiusos-new: INCOMPLETE") and "- DB-EXISTS — --db-url" in md
    page = html.render(report)
    assert "permission denied &lt;b&gt;x&lt;/b&gt;" in page  # autoescaped
    assert 'data-check="mobius_chat" data-outcome="unjudged"' in page
    assert 'data-service="mobius-chat-worker" data-requirement="SVC-CPU-ALWAYS" data-outcome="repaired"' in page


def test_conformance_counts_waived_and_unjudged_as_not_held() -> None:
    """reports/README.md: held = pass + repaired; counted = every blocking check but the not-applicable ones."""
    report = _report()  # repaired, waived, error, not judged (blocking); one advisory
    assert report.conformance() == 1 / 4
    na = check_result(Verdict("SVC-INGRESS", "mobius-os", "na", "not deployed here"), "na")
    assert Report(META, [*report.checks, na]).conformance() == 1 / 4
    assert Report(META, []).conformance() == 1.0
