"""Phase 4 §4.3 Worker Verification: each worker's latest revision logged its start lines.

Judges the entries one Cloud Logging query read for every worker; a failure
names the likely cause the other checks found (``mobius_gate/diagnose.py``).
"""

from __future__ import annotations

from mobius_gate.fixes import enable_api
from mobius_gate.manual_fixes import read_logs
from mobius_gate.observed import LogEntry
from mobius_gate.redact import redact
from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import Deployed, services
from mobius_gate.rules.worker_logs import read_start
from mobius_gate.symptoms import STARTS_THEN_SHUTS_DOWN
from mobius_gate.verdict import Verdict


@check("VER-LOGS", services(lambda svc: bool(svc.log_lines)), section="4.3 Worker Verification")
def test_worker_start_lines(it: Deployed, judge: Judge) -> Verdict:
    """§4.3 Worker Verification: the worker's latest revision logged every start line of checklist.yaml.

    > Check logs for each worker - they should show:
    > [WORKER] Worker listening for chat requests
    > [SCRAPER WORKER] Scraper worker started in background thread
    > Starting chunking worker...
    > Starting embedding worker...

    An entry counts as a start line only when it is that line (not ``<line> failed: ...``);
    a shutdown or ERROR line after them means the worker started, then stopped.
    """
    inv, lines = judge.inv, it.spec.log_lines
    expected = "; ".join(lines)
    if not inv.log_entries.judgeable:
        return judge.errored(f"the logs could not be read: {inv.log_entries.cause}")
    if inv.log_entries.status == "disabled":
        return judge.failed(
            f"no logs can be read: {inv.log_entries.cause}",
            expected=expected,
            actual="Cloud Logging disabled",
            fix=judge.then(enable_api("logging.googleapis.com", judge.where)),
        )
    known = it.service.latest_created_revision or it.service.latest_ready_revision
    revision = known or "(unknown revision)"
    reading = read_start(inv.latest_logs_of(it.name), lines)
    missing = reading.missing
    searched = inv.log_start_searched(it.name)
    if len(missing) == len(lines) and searched is False:
        # The query began after the revision started (or its start is unknown): the lines may predate it.
        return judge.errored(
            f"cannot confirm: revision {revision} started before the logs window "
            f"(searched since {_when(inv.log_entries)}); widen --logs-since or read the logs by hand"
        )
    if missing:
        # A request log has no text: its evidence is the request (``GET URL → 500``), never an empty line.
        evidence = f"; it logged {redact(reading.last_error.evidence)!r}" if reading.last_error else ""
        shown = ", ".join(repr(line) for line in missing)
        return judge.failed(
            f"revision {revision} logged {len(lines) - len(missing)} of {len(lines)} start lines; "
            f"missing {shown}{evidence}",
            expected=expected,
            actual=f"missing {len(missing)} line(s)",
            fix=judge.then(read_logs(judge.requirement, it.name, [it.name], judge.where)),
        )
    if reading.stopped is not None:
        return _stopped(it, judge, revision, reading.stopped)
    if known is None:
        # Without the latest revision the lines may come from an older one: never a pass on that.
        return judge.errored(
            f"all {len(lines)} start lines were logged, but the latest revision is unknown (field absent), "
            "so they may come from an older revision"
        )
    return judge.passed(f"revision {revision} logged all {len(lines)} start lines")


def _when(section: object) -> str:
    since = getattr(section, "searched_since", None)
    return since.strftime("%Y-%m-%d %H:%M UTC") if since else "an unrecorded time"


def _stopped(it: Deployed, judge: Judge, revision: str, stop: LogEntry) -> Verdict:
    """All start lines, then a stop or an ERROR line: the worker started, then stopped."""
    level = (stop.severity or "DEFAULT").upper()
    note = (
        f'"{STARTS_THEN_SHUTS_DOWN}": CPU throttling starves its background thread '
        "(redeploy with --no-cpu-throttling), or it crashed: read its logs after the start lines"
    )
    return judge.failed(
        f"revision {revision} logged all start lines, then {level} {redact(stop.evidence)!r}: "
        f"the worker started, then stopped ({STARTS_THEN_SHUTS_DOWN})",
        expected="the start lines, then no shutdown or ERROR line",
        actual=f"{level} {redact(stop.evidence)!r} after the start lines",
        fix=judge.then(read_logs(judge.requirement, it.name, [it.name], judge.where), note=note),
    )
