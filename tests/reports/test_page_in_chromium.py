"""conformance.html in headless Chromium: the rendered matrix matches the JSON; the screenshot is kept.

The screenshot is copied to ``.artifacts/reports/conformance.png`` in the checkout (gitignored).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.acceptance.gate import REPO
from tests.reports.conftest import ReportRun

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / ".artifacts" / "reports"
RANK = ["fail", "error", "unjudged", "advisory", "waived", "repaired", "pass", "skipped"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian: apt-get install chromium)")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.verdict: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and a.get("data-service"):
            self.cells[(a["data-service"] or "", a["data-requirement"] or "")] = a.get("data-outcome") or ""
        if a.get("id") == "verdict":
            self.verdict = a.get("data-verdict")


def _expected(doc: dict) -> dict[tuple[str, str], str]:
    """The matrix from the JSON alone: a service's checks per requirement, worst outcome shown."""
    services = {c["resource"] for c in doc["checks"] if c["requirement"] == "SVC-DEPLOYED"}
    worst: dict[tuple[str, str], str] = {}
    for c in doc["checks"]:
        shown = "unjudged" if c["unjudged"] else c["outcome"]
        for name in c["resource"].split("+"):
            if name in services:
                key = (name, c["requirement"])
                worst[key] = min(worst.get(key, "skipped"), shown, key=RANK.index)
    return worst


def test_matrix_in_chromium_matches_the_json(prod_vs_staging: ReportRun, tmp_path: Path) -> None:
    page = (prod_vs_staging.out / "conformance.html").as_uri()
    dom = _chromium(tmp_path, "--dump-dom", page).stdout
    cells = _Cells()
    cells.feed(dom)
    assert cells.verdict == "FAIL"
    rendered = {key: outcome for key, outcome in cells.cells.items() if outcome}
    assert rendered == _expected(prod_vs_staging.document)
    assert rendered[("mobius-rag", "SVC-VPC-CONNECTOR")] == "fail" and rendered[("mobius-os", "SVC-IMAGE")] == "pass"

    shot = tmp_path / "conformance.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,1800", page)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "conformance.png")


def test_page_is_self_contained(prod_vs_staging: ReportRun) -> None:
    page = prod_vs_staging.text("conformance.html")
    assert "default-src 'none'" in page
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r"(src|href)\s*=", page), "the page loads nothing"
