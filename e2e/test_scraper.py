"""Scraper (checklist §4.4): submit a URL, the worker processes it, the page is stored."""

from __future__ import annotations

from typing import Any

from e2e.flows import Mobius


def test_submitted_url_is_fetched_and_stored(mobius: Mobius, site: Any) -> None:
    url = f"{site.url}/skills/redis.html"
    state = mobius.wait_scrape(mobius.scrape(url))

    assert state["status"] == "completed", state
    assert state["object"].startswith("gs://mobius-rag-uploads/scrapes/")
    page = state["page"]
    assert page["url"] == url
    assert page["title"] == "Redis skills"
    assert "Workers poll the mobius:scraper:requests queue." in page["text"]
    assert "ignored" not in page["text"]
    assert "/skills/redis.html" in site.hits


def test_missing_page_is_reported_failed(mobius: Mobius, site: Any) -> None:
    state = mobius.wait_scrape(mobius.scrape(f"{site.url}/no-such-page"))
    assert state["status"] == "failed"
    assert state["error"] == "HTTP 404"
