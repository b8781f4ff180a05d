"""Section ``log_entries``: the workers' start lines (checklist §4.3) from Cloud Logging.

One ``entries.list`` query covers every worker: the filter is built from
checklist.yaml (the workers' names and their expected ``log_lines``) and asks
only for those lines plus the last day's ERROR-or-worse entries (the evidence
diagnoses cite; among them Cloud Run's payload-less request logs, read as
``GET URL → 500``). The official google-cloud-logging client is used over its
JSON/HTTP transport (``_use_grpc=False``), pointed at the emulator by
``client_options.api_endpoint``.

How far back: a worker logs its start lines when an instance of its latest
revision starts, which may be weeks ago for a worker that was not redeployed. So
the query reaches back to the earliest latest-revision start (Cloud Run v2
``Revision.createTime``, one ``revisions.get`` per worker), never further than
``--logs-since`` (default 30 d, Cloud Logging's default retention). The section
records both (:class:`~mobius_gate.inventory.LogSection`): a line missing from a
window that did not reach back to the revision's start cannot be judged missing.

Entries of every revision come back; VER-LOGS keeps those of each service's
latest revision (the revision is a field of every :class:`LogEntry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core.client_options import ClientOptions
from google.cloud import logging as cloud_logging
from google.cloud.logging_v2.logger import Logger
from google.cloud.logging_v2.resource import Resource

from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.checklist_inputs import checklist_of, services_of
from mobius_gate.collect.errors import section_for_error
from mobius_gate.collect.normalize_logs import to_log_entry as entry_parts
from mobius_gate.inventory import LogEntry, LogSection
from mobius_gate.rules.worker_logs import STOP_LINES
from mobius_gate.spec import Checklist

#: Entries per page and in total: the filter keeps the volume to a few lines per revision.
PAGE_SIZE = 1000
MAX_ENTRIES = 5000
LOGGING_API = "logging.googleapis.com"
#: Cloud Logging's default retention (``_Default`` bucket): the default ``--logs-since``.
DEFAULT_RETENTION = timedelta(days=30)
#: ERROR-or-worse entries are evidence for a diagnosis: the latest day of them is enough,
#: and a month of them could crowd the start lines out of the entries read.
ERRORS_WINDOW = timedelta(hours=24)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any_of(values: Sequence[str]) -> str:
    return "(" + " OR ".join(_quote(v) for v in values) + ")"


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_filter(
    services: Sequence[str], lines: Sequence[str], since: datetime, errors_since: datetime | None = None
) -> str:
    """The Cloud Logging query for all ``services`` at once (one entries.list).

    ``errors_since`` (default ``since``) bounds the ERROR-or-worse entries, which are only evidence.
    """
    parts = [
        'resource.type="cloud_run_revision"',
        f"resource.labels.service_name={_any_of(services)}",
        f'timestamp>="{_stamp(since)}"',
    ]
    if lines:
        wanted = _any_of([*lines, *STOP_LINES])  # a stop after the start lines is judged too
        errors = "severity>=ERROR"
        if errors_since is not None and errors_since > since:
            errors = f'(severity>=ERROR AND timestamp>="{_stamp(errors_since)}")'
        parts.append(f"(textPayload:{wanted} OR jsonPayload.message:{wanted} OR {errors})")
    return " AND ".join(parts)


def revision_starts(ctx: CallContext, workers: Sequence[str]) -> dict[str, datetime]:
    """Each worker's latest revision's ``createTime`` (Cloud Run v2 ``revisions.get``); unknown ones left out."""
    section = services_of(ctx)
    deployed = {s.name: s for s in section.items} if section.ok else {}
    starts: dict[str, datetime] = {}
    for name in workers:
        svc = deployed.get(name)
        revision = (svc.latest_created_revision or svc.latest_ready_revision) if svc else None
        if not revision:
            continue
        path = f"projects/{ctx.project}/locations/{svc.region or ctx.region}/services/{name}/revisions/{revision}"
        try:
            got = ctx.call(
                lambda timeout, path=path: ctx.clients.run_revisions.get_revision(
                    request={"name": path}, retry=None, timeout=timeout
                )
            )
        except Exception:  # an unknown start: VER-LOGS cannot call missing lines missing
            continue
        created = got.create_time
        if created and created.timestamp() > 0:
            starts[name] = created if created.tzinfo else created.replace(tzinfo=UTC)
    return starts


def search_since(starts: dict[str, datetime], workers: Sequence[str], now: datetime, bound: timedelta) -> datetime:
    """From the earliest latest-revision start, but never before ``now - bound``."""
    floor = now - bound
    if any(w not in starts for w in workers):
        return floor
    return max(floor, min(starts.values()))


class LogReader(cloud_logging.Client):
    """The official client, for reading only: its loggers never probe the metadata server.

    ``Client.logger()`` without a resource makes ``Logger`` call ``detect_resource``,
    which GETs ``http://metadata.google.internal/...`` (hard-coded, ignoring
    ``GCE_METADATA_HOST``) for every log name seen while parsing ``entries.list``.
    A reader never writes through those loggers, so they get a fixed resource.
    """

    def logger(self, name: str, *, labels: dict[str, str] | None = None, resource: Resource | None = None) -> Logger:
        return super().logger(name, labels=labels, resource=resource or _READER_RESOURCE)


_READER_RESOURCE = Resource(type="global", labels={})


def logging_client(ctx: CallContext) -> LogReader:
    """google-cloud-logging over JSON/HTTP; the emulator URL when the target is the emulator."""
    options = ClientOptions(api_endpoint=ctx.target.endpoint) if ctx.target.endpoint else None
    return LogReader(project=ctx.project, credentials=ctx.clients.credentials, _use_grpc=False, client_options=options)


def to_log_entry(entry: Any) -> LogEntry:
    """A google.cloud.logging entry (text, struct or payload-less request log) → :class:`LogEntry`."""
    return entry_parts(
        dict(getattr(entry.resource, "labels", None) or {}),
        timestamp=entry.timestamp,
        severity=entry.severity,
        payload=entry.payload,
        http_request=entry.http_request,
    )


def collect_logs(ctx: CallContext, spec: Checklist, *, now: datetime | None = None) -> LogSection:
    """One entries.list for every service with expected log lines, back to their revisions' start."""
    workers = [s for s in spec.services if s.log_lines]
    if not workers:
        return LogSection(cause="the checklist expects no log lines")
    now = now or datetime.now(UTC)
    names = [s.name for s in workers]
    starts = revision_starts(ctx, names)
    since = search_since(starts, names, now, ctx.options.logs_since or DEFAULT_RETENTION)
    lines = list(dict.fromkeys(line for s in workers for line in s.log_lines))
    query = log_filter(names, lines, since, errors_since=now - ERRORS_WINDOW)
    try:
        client = logging_client(ctx)

        def fetch(timeout: float) -> list[Any]:
            return list(
                client.list_entries(
                    resource_names=[f"projects/{ctx.project}"],
                    filter_=query,
                    order_by=cloud_logging.DESCENDING,
                    page_size=PAGE_SIZE,
                    max_results=MAX_ENTRIES,
                )
            )

        entries = ctx.call(fetch)
    except Exception as exc:  # any failure: the section is unavailable, with its cause
        failed = section_for_error(
            exc, what="listing log entries", api=LOGGING_API, project=ctx.project, quota_project=ctx.quota_project()
        )
        return LogSection(status=failed.status, cause=failed.cause)
    return LogSection(items=[to_log_entry(e) for e in entries], searched_since=since, revisions_started=starts)


def collect(ctx: CallContext) -> LogSection:
    """Registry entry: the one log query for all workers of the checklist."""
    return collect_logs(ctx, checklist_of(ctx))
