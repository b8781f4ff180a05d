"""The checklist blocks Phase 2/4 add: ``vector_search`` and ``e2e_live``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate.spec import DEFAULT_CHECKLIST, ChecklistError, load_checklist


def test_blocks_as_written() -> None:
    spec = load_checklist().resolve("mobiusos-new")
    vs = spec.vector_search
    assert (vs.service, vs.endpoint_env, vs.deployed_index_env) == (
        "mobius-chat-worker",
        "VERTEX_INDEX_ENDPOINT_ID",
        "VERTEX_DEPLOYED_INDEX_ID",
    )
    assert (vs.database, vs.metadata_table, vs.max_missing_fraction) == ("mobius_chat", "published_rag_metadata", 0.0)
    live = spec.e2e_live
    assert [f.service for f in (live.chat, live.rag, live.scraper) if f] == [
        "mobius-chat-api",
        "mobius-rag",
        "mobius-skills-scraper",
    ]
    for flow in (live.chat, live.rag, live.scraper):
        assert flow is not None and flow.cleanup, f"{flow} must clean up what it creates"
        assert any(step.wait for step in flow.steps), "every flow waits for the worker, bounded"
    assert live.timeout_s <= 600


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("service: mobius-rag\n", "service: mobius-rag-typo\n", "e2e_live.rag.service names unknown service"),
        ("  database: mobius_chat\n", "  database: mobius_chatt\n", "vector_search.database names unknown database"),
        ("  neighbor_count: 100\n", "  neighbor_count: 0\n", "vector_search.neighbor_count"),
        ("  poll_interval_s: 3\n", "  poll_interval_s: -1\n", "e2e_live.poll_interval_s"),
    ],
)
def test_bad_blocks_are_one_line_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = DEFAULT_CHECKLIST.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "checklist.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ChecklistError) as err:
        load_checklist(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
