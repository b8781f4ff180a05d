"""The emulator's Cloud Logging filter and the collector's query for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mobius_gate.fixtures.emulator.errors import GoogleError
from mobius_gate.fixtures.emulator.logging_filter import compile_filter

from mobius_gate.collect.logs import log_filter

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def entry(
    service: str = "mobius-chat-worker",
    text: str = "[WORKER] Redis connected for queue",
    severity: str = "INFO",
    age: timedelta = timedelta(minutes=5),
) -> dict:
    return {
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": service, "revision_name": "r-1"}},
        "textPayload": text,
        "severity": severity,
        "timestamp": (NOW - age).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


@pytest.fixture
def query() -> str:
    lines = ["[WORKER] Redis connected for queue", 'quoted "line"']
    return log_filter(["mobius-chat-worker", "mobius-rag-chunking-worker"], lines, NOW - timedelta(hours=24))


def test_query_is_one_filter_over_all_workers(query: str) -> None:
    assert query.startswith('resource.type="cloud_run_revision" AND ')
    assert 'resource.labels.service_name=("mobius-chat-worker" OR "mobius-rag-chunking-worker")' in query
    assert 'timestamp>="2026-11-27T12:00:00Z"' in query
    assert r'"quoted \"line\""' in query


def test_query_selects_expected_lines_and_errors(query: str) -> None:
    matches = compile_filter(query)
    assert matches(entry())
    assert matches(entry(service="mobius-rag-chunking-worker", text='a quoted "line" here'))
    assert matches(entry(text="Redis connection failed", severity="ERROR"))
    assert not matches(entry(text='"GET /health HTTP/1.1" 200 OK'))
    assert not matches(entry(service="mobius-chat-api"))
    assert not matches(entry(age=timedelta(hours=25)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("severity>=WARNING", False),
        ("severity<=INFO", True),
        ('NOT textPayload:"redis"', False),
        ('-resource.labels.service_name="x"', True),
        ('textPayload=~"^\\[WORKER\\]"', True),
        ('resource.type="cloud_run_revision" textPayload:connected', True),
        ('(severity=ERROR OR textPayload:"queue") AND resource.labels.revision_name="r-1"', True),
        ('jsonPayload.message:"queue"', False),
        ('jsonPayload.message!="queue"', True),
        ("", True),
    ],
)
def test_operators(text: str, expected: bool) -> None:
    assert compile_filter(text)(entry()) is expected


@pytest.mark.parametrize("text", ['severity>=("ERROR"', "textPayload:", ")", 'a="b" OR'])
def test_unparseable_filter_is_invalid_argument(text: str) -> None:
    with pytest.raises(GoogleError) as err:
        compile_filter(text)
    assert err.value.code == 400
