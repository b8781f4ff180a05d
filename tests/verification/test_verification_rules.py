"""VER-HEALTH / VER-LOGS rules and the diagnoses, on crafted inventories (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mobius_gate.diagnose import diagnose, diagnoses
from mobius_gate.inventory import Database, DbTable, EnvVar, FlowOutcome, HealthProbe, Inventory, LogEntry, Section
from mobius_gate.spec import Checklist
from mobius_gate.verdict import Verdict, failed, passed
from tests.checks.factory import CHECKS as phase4
from tests.checks.factory import conformant, resolved_spec, with_service

WORKER = "mobius-chat-worker"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return resolved_spec()


def logs(
    spec: Checklist, inv: Inventory, *, lines: dict[str, list[str]] | None = None, revision: str | None = None
) -> Inventory:
    """``inv`` with log entries: every worker's expected lines unless ``lines`` overrides one."""
    entries = []
    for svc in spec.services:
        if not svc.log_lines:
            continue
        rev = revision or inv.service(svc.name).latest_created_revision  # type: ignore[union-attr]
        for text in (lines or {}).get(svc.name, svc.log_lines):
            severity = "ERROR" if "failed" in text else "INFO"
            entries.append(LogEntry(service=svc.name, revision=rev, timestamp=NOW, severity=severity, text=text))
    return inv.model_copy(update={"log_entries": Section[LogEntry](items=entries)})


def health(inv: Inventory, **probes: HealthProbe) -> Inventory:
    return inv.model_copy(update={"health": Section[HealthProbe](items=list(probes.values()))})


def rule(test: object, name: str, spec: Checklist, inv: Inventory) -> Verdict:
    bound = test.mobius_rule  # type: ignore[attr-defined]
    subject = dict(bound.subjects(spec))[name]
    return bound.judge(subject, spec, inv)


# --- VER-HEALTH ---------------------------------------------------------------------------------


def test_health_subjects_are_services_with_a_health_path(spec: Checklist) -> None:
    names = [n for n, _ in phase4.test_health_endpoint.mobius_rule.subjects(spec)]
    assert names == ["mobius-chat-api", "mobius-skills-scraper", "mobius-rag"]


def test_health_pass_shows_latency(spec: Checklist) -> None:
    probe = HealthProbe(service="mobius-rag", url="https://rag/health", status_code=200, latency_ms=41.7)
    verdict = rule(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec), rag=probe))
    assert verdict.status == "pass"
    assert verdict.reason == "https://rag/health answered 200 in 42 ms"


def test_health_non_200_fails_with_attempts(spec: Checklist) -> None:
    probe = HealthProbe(service="mobius-rag", url="https://rag/health", status_code=503, latency_ms=3.0, attempts=3)
    verdict = rule(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec), rag=probe))
    assert verdict.status == "fail"
    assert "answered 503 (after 3 attempts)" in verdict.reason
    assert verdict.expected == "GET /health → 200"


def test_health_unprobed_fails_and_missing_probe_errors(spec: Checklist) -> None:
    probe = HealthProbe(service="mobius-rag", url="/health", error="service not deployed", attempts=0)
    verdict = rule(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec), rag=probe))
    assert verdict.status == "fail" and "service not deployed" in verdict.reason
    assert rule(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec))).status == "error"


# --- VER-LOGS -----------------------------------------------------------------------------------


def test_logs_pass_when_every_line_is_there(spec: Checklist) -> None:
    verdict = rule(phase4.test_worker_start_lines, WORKER, spec, logs(spec, conformant(spec)))
    assert verdict.status == "pass"
    assert "logged all 3 start lines" in verdict.reason


def test_logs_missing_line_fails_with_evidence(spec: Checklist) -> None:
    lines = {
        WORKER: [
            "[WORKER] run_worker starting queue_type=redis",
            "[WORKER] Redis connection failed: Error 110 connecting to 10.121.0.3:6379.",
        ]
    }
    verdict = rule(phase4.test_worker_start_lines, WORKER, spec, logs(spec, conformant(spec), lines=lines))
    assert verdict.status == "fail"
    assert "logged 1 of 3 start lines" in verdict.reason
    assert "'[WORKER] Worker listening for chat requests'" in verdict.reason
    assert "Redis connection failed" in verdict.reason


def test_logs_of_an_older_revision_do_not_count(spec: Checklist) -> None:
    verdict = rule(
        phase4.test_worker_start_lines, WORKER, spec, logs(spec, conformant(spec), revision=f"{WORKER}-00001-old")
    )
    assert verdict.status == "fail"
    assert "logged 0 of 3" in verdict.reason


def test_logs_of_undeployed_worker_are_not_applicable(spec: Checklist) -> None:
    """Not deployed is reported once, by SVC-DEPLOYED; VER-LOGS points there instead of failing again."""
    inv = conformant(spec)
    inv = inv.model_copy(update={"services": Section(items=[s for s in inv.services.items if s.name != WORKER])})
    verdict = rule(
        phase4.test_worker_start_lines,
        WORKER,
        spec,
        logs(spec, conformant(spec)).model_copy(update={"services": inv.services}),
    )
    assert verdict.status == "na" and "not deployed (see SVC-DEPLOYED)" in verdict.reason


# --- diagnoses ------------------------------------------------------------------------------------


def logs_failure(resource: str = WORKER) -> Verdict:
    return failed("VER-LOGS", resource, "missing lines")


def test_cpu_throttling_diagnosis(spec: Checklist) -> None:
    inv = with_service(conformant(spec), WORKER, cpu_always_allocated=False)
    text = diagnose(logs_failure(), spec, inv)
    assert text is not None and text.startswith('"Worker starts then shuts down"')
    assert "gcloud run services update mobius-chat-worker --no-cpu-throttling --region=us-central1" in text


def test_no_connector_diagnosis(spec: Checklist) -> None:
    inv = with_service(conformant(spec), WORKER, vpc_connector=None, vpc_connector_path=None, vpc_egress=None)
    [found] = diagnoses(logs_failure(), spec, inv)
    assert found.issue == "Service can't reach Redis"
    assert found.cause == (
        "mobius-chat-worker does not use mobius-redis-connector (no VPC connector), "
        "so it cannot reach Redis' private IP"
    )
    assert "--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only" in (found.fix or "")


def test_queue_type_diagnosis_is_waiting_for_worker(spec: Checklist) -> None:
    svc = conformant(spec).service(WORKER)
    env = [e if e.name != "QUEUE_TYPE" else EnvVar(name="QUEUE_TYPE", value="memory") for e in svc.env]  # type: ignore[union-attr]
    found, shared = diagnoses(logs_failure(), spec, with_service(conformant(spec), WORKER, env=env))
    assert found.issue == "Waiting for worker"
    assert "has QUEUE_TYPE 'memory', not 'redis'" in found.cause
    assert shared.issue == "Waiting for worker", "SVC-REDIS-SHARED fails too: the pair's QUEUE_TYPE differs"
    assert shared.cause.startswith("mobius-chat-api and mobius-chat-worker do not share one Redis queue")


def test_conformant_service_has_no_diagnosis(spec: Checklist) -> None:
    assert diagnose(logs_failure(), spec, conformant(spec)) is None
    throttled = with_service(conformant(spec), WORKER, cpu_always_allocated=False)
    assert diagnose(passed("VER-LOGS", WORKER, "ok"), spec, throttled) is None


def test_unreadable_services_give_no_diagnosis(spec: Checklist) -> None:
    inv = with_service(conformant(spec), WORKER, cpu_always_allocated=False)
    inv = inv.model_copy(update={"services": inv.services.model_copy(update={"status": "unavailable"})})
    assert diagnose(logs_failure(), spec, inv) is None


def test_health_not_ready_diagnosis(spec: Checklist) -> None:
    inv = with_service(conformant(spec), "mobius-rag", ready=False, ready_message="Container failed to start.")
    text = diagnose(failed("VER-HEALTH", "mobius-rag", "503"), spec, inv)
    assert text is not None and "not ready and serving (Ready condition=False: Container failed to start.)" in text
    assert "gcloud run revisions describe mobius-rag-00003-xyz" in text


def test_chat_flow_waiting_for_worker_redis_url_mismatch(spec: Checklist) -> None:
    svc = conformant(spec).service(WORKER)
    env = [
        e if e.name != "REDIS_URL" else EnvVar(name="REDIS_URL", value="redis://:Hunter2Pass@10.9.9.9:6379/0")
        for e in svc.env
    ]  # type: ignore[union-attr]
    inv = logs(spec, with_service(conformant(spec), WORKER, env=env))
    text = diagnose(failed("VER-E2E-CHAT", "mobius-chat-api", "timed out"), spec, inv)
    assert text is not None and '"Waiting for worker"' in text
    assert "REDIS_URL points at 10.9.9.9:6379, not at the Redis instance (10.121.0.3:6379)" in text
    assert "mobius-chat-api=10.121.0.3:6379, mobius-chat-worker=10.9.9.9:6379" in text
    assert "Hunter2Pass" not in text


def test_chat_flow_worker_not_listening(spec: Checklist) -> None:
    inv = logs(spec, conformant(spec), lines={WORKER: ["[WORKER] run_worker starting queue_type=redis"]})
    [found] = diagnoses(failed("VER-E2E-CHAT", "mobius-chat-api", "timed out"), spec, inv)
    assert found.issue == "Waiting for worker"
    assert found.cause.startswith("mobius-chat-worker is not consuming the queue (revision ")
    assert "'[WORKER] Worker listening for chat requests'" in found.cause
    assert found.fix == "gcloud run services logs read mobius-chat-worker --region=us-central1 --project=mobiusos-new"


def test_rag_flow_names_empty_metadata(spec: Checklist) -> None:
    columns = ["id", "document_id", "chunk_index", "content", "source_uri"]
    table = DbTable(name="published_rag_metadata", columns=columns, row_count=0)
    inv = conformant(spec).model_copy(
        update={
            "database": Section[Database](
                items=[Database(name="mobius_chat", server="db:5432", exists=True, tables=[table])]
            )
        }
    )
    [found] = diagnoses(failed("VER-E2E-RAG", "mobius-rag", "no results"), spec, logs(spec, inv))
    assert found.issue == "RAG returns 0 results"
    assert found.cause.startswith("published_rag_metadata has 0 row(s)")
    assert (found.fix or "").startswith("cd mobius-dbt && python scripts/sync_mart_to_chat.py --dest prod")


def test_worker_without_worker_server_explains_not_ready(spec: Checklist) -> None:
    inv = with_service(conformant(spec), WORKER, ready=False, command=["python"], args=["-m", "app.worker"])
    [found] = diagnoses(failed("SVC-READY", WORKER, "not ready"), spec, inv)
    assert found.issue == "Worker has no HTTP server"
    assert "--args=-m,uvicorn,app.worker_server:app,--host,0.0.0.0,--port,8080" in (found.fix or "")


def test_scraper_flow_names_the_api_without_connector(spec: Checklist) -> None:
    """Staging note 2: the scraper API could not push to Redis without a VPC connector."""
    inv = with_service(conformant(spec), "mobius-skills-scraper", vpc_connector=None, vpc_egress=None)
    found = diagnoses(failed("VER-E2E-SCRAPER", "mobius-skills-scraper", "timed out"), spec, logs(spec, inv))
    assert [d.issue for d in found] == ["Service can't reach Redis"]
    assert found[0].cause.startswith("mobius-skills-scraper does not use mobius-redis-connector")


def test_throttled_worker_explains_the_chat_flow(spec: Checklist) -> None:
    inv = with_service(conformant(spec), WORKER, cpu_always_allocated=False)
    inv = logs(spec, inv, lines={WORKER: ["[WORKER] run_worker starting queue_type=redis"]})
    text = diagnose(failed("VER-E2E-CHAT", "mobius-chat-api", "timed out"), spec, inv) or ""
    assert text.index('"Worker starts then shuts down"') < text.index('"Waiting for worker"')


def test_health_of_an_undeployed_service_is_not_applicable(spec: Checklist) -> None:
    inv = conformant(spec)
    inv = inv.model_copy(update={"services": Section(items=[s for s in inv.services.items if s.name != "mobius-rag"])})
    probe = HealthProbe(service="mobius-rag", url="/health", error="service not deployed", attempts=0)
    verdict = rule(phase4.test_health_endpoint, "mobius-rag", spec, health(inv, rag=probe))
    assert verdict.status == "na" and verdict.reason == "not deployed (see SVC-DEPLOYED)"


# --- unreadable sections, planted credentials, flows that cannot start ----------------------------------

#: Planted where collectors quote text: probe errors, log lines, readiness messages, section causes.
PLANTED = "V3rify-Pl4nted-pw"
DSN = f"postgresql://app:{PLANTED}@10.0.0.5:5432/mobius_chat"


def judged(test: object, name: str, spec: Checklist, inv: Inventory) -> Verdict:
    """The rule's verdict, asserting the planted credential reaches neither it nor its diagnosis."""
    verdict = rule(test, name, spec, inv)
    text = verdict.message() + repr(verdict.to_dict()) + (diagnose(verdict, spec, inv) or "")
    assert PLANTED not in text, text
    return verdict


@pytest.mark.parametrize(
    ("test", "name", "section"),
    [
        (phase4.test_health_endpoint, "mobius-rag", "health"),
        (phase4.test_worker_start_lines, WORKER, "log_entries"),
    ],
    ids=["VER-HEALTH", "VER-LOGS"],
)
@pytest.mark.parametrize(("status", "expected"), [("unavailable", "error"), ("not_collected", "na")])
def test_unreadable_facts_never_pass(
    spec: Checklist, test: object, name: str, section: str, status: str, expected: str
) -> None:
    inv = conformant(spec).model_copy(update={section: Section(status=status, cause=f"403 for {DSN}")})
    verdict = judged(test, name, spec, inv)
    assert verdict.status == expected, verdict.message()
    if expected == "error":
        assert (verdict.fix or "").startswith("no gcloud change until it can be judged"), verdict.message()


def test_logging_off_fails_with_the_enable_command(spec: Checklist) -> None:
    inv = conformant(spec).model_copy(
        update={"log_entries": Section(status="disabled", cause="logging.googleapis.com is disabled")}
    )
    verdict = judged(phase4.test_worker_start_lines, WORKER, spec, inv)
    assert verdict.status == "fail"
    assert verdict.fix == "gcloud services enable logging.googleapis.com --project=mobiusos-new"


def test_probe_error_and_url_never_show_a_password(spec: Checklist) -> None:
    probe = HealthProbe(
        service="mobius-rag", url=f"https://svc:{PLANTED}@rag.run.app/health", error=f"connect to {DSN} refused"
    )
    verdict = judged(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec), rag=probe))
    assert verdict.status == "fail"
    assert "connect to postgresql://app:***@10.0.0.5:5432/mobius_chat refused" in verdict.reason
    assert verdict.fix == "gcloud run services describe mobius-rag --region=us-central1 --project=mobiusos-new"


def test_non_200_probe_with_a_password_in_its_url_is_redacted(spec: Checklist) -> None:
    probe = HealthProbe(service="mobius-rag", url=f"https://svc:{PLANTED}@rag.run.app/health", status_code=500)
    verdict = judged(phase4.test_health_endpoint, "mobius-rag", spec, health(conformant(spec), rag=probe))
    assert verdict.status == "fail"
    assert verdict.fix == "gcloud run services logs read mobius-rag --region=us-central1 --project=mobiusos-new"


def test_logged_error_evidence_is_redacted(spec: Checklist) -> None:
    lines = {WORKER: ["[WORKER] run_worker starting queue_type=redis", f"[WORKER] connect failed: {DSN}"]}
    verdict = judged(phase4.test_worker_start_lines, WORKER, spec, logs(spec, conformant(spec), lines=lines))
    assert verdict.status == "fail"
    assert "postgresql://app:***@" in verdict.reason


def test_diagnosis_quoting_a_readiness_message_is_redacted(spec: Checklist) -> None:
    inv = with_service(conformant(spec), "mobius-rag", ready=False, ready_message=f"cannot reach {DSN}")
    text = diagnose(failed("VER-HEALTH", "mobius-rag", "503"), spec, inv) or ""
    assert "Ready condition=False: cannot reach postgresql://app:***@10.0.0.5" in text
    assert PLANTED not in text


def test_diagnosis_quoting_a_wrong_queue_type_is_redacted(spec: Checklist) -> None:
    svc = conformant(spec).service(WORKER)
    wrong = f"redis://:{PLANTED}@10.0.0.9:6379/0"
    env = [e if e.name != "QUEUE_TYPE" else EnvVar(name="QUEUE_TYPE", value=wrong) for e in svc.env]  # type: ignore[union-attr]
    found, shared = diagnoses(logs_failure(), spec, with_service(conformant(spec), WORKER, env=env))
    assert found.cause.startswith("mobius-chat-worker has QUEUE_TYPE 'redis://:***@10.0.0.9:6379/0', not 'redis'")
    assert PLANTED not in found.text() + shared.text()


@pytest.mark.parametrize("test", [phase4.test_live_chat_flow, phase4.test_live_rag_flow, phase4.test_live_scraper_flow])
def test_flow_of_a_service_without_uri_fails_with_a_fix_and_never_runs(spec: Checklist, test: object) -> None:
    bound = test.mobius_rule  # type: ignore[attr-defined]
    [(service, flow)] = list(bound.subjects(spec))
    selected = conformant(spec).model_copy(update={"live_flows": Section[FlowOutcome]()})
    verdict = bound.judge(flow, spec, with_service(selected, service, uri=None))
    assert verdict.status == "fail"
    assert verdict.fix == f"gcloud run services describe {service} --region=us-central1 --project=mobiusos-new " + (
        "(a service without a URL has no ready revision)"
    )
    unreadable = conformant(spec).model_copy(update={"services": Section(status="unavailable", cause="403")})
    assert bound.judge(flow, spec, unreadable).status == "error"
