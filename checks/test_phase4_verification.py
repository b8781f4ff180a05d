"""Phase 4 — Verification Checklist (§4.2 Services Health, §4.3 Worker Verification, §4.4 End-to-End).

VER-HEALTH and VER-LOGS judge what the collectors gathered once (health probes;
one Cloud Logging query for every worker). A failure names the likely cause
found by the other checks (``mobius_gate/diagnose.py``). The live flows of §4.4 are
opt-in: ``pytest checks -m e2e_live``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mobius_gate.e2e_live import run_flow
from mobius_gate.fixes import Where, deploy_service
from mobius_gate.inventory import Inventory
from mobius_gate.redact import redact
from mobius_gate.requirements import check
from mobius_gate.rules.common import deployed as deployed_or_na
from mobius_gate.rules.common import errored, failed, guarded, not_applicable, passed
from mobius_gate.spec import Checklist, E2EFlow, ServiceSpec
from mobius_gate.verdict import Verdict


def _deploy_fix(spec: Checklist, svc: ServiceSpec, inv: Inventory) -> str:
    """The checklist's ``gcloud run deploy`` for a service that is not there."""
    redis = inv.redis_instance(spec.redis.name)
    address = f"{redis.host}:{redis.port or spec.redis.port}" if redis and redis.host else None
    return deploy_service(spec, svc, Where(inv.project, inv.region), address).command()


# --- VER-HEALTH -----------------------------------------------------------------------------------


def _with_health(spec: Checklist) -> Iterator[tuple[str, ServiceSpec]]:
    for svc in spec.services:
        if svc.health_path:
            yield svc.name, svc


@check("VER-HEALTH", subjects=_with_health)
@guarded("VER-HEALTH", label=lambda svc: svc.name)
def test_health_endpoint(svc: ServiceSpec, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.2 Services Health: the service's health path answers 200.

    > # Health checks
    > curl https://mobius-chat-api-xxx.run.app/health
    > curl https://mobius-skills-scraper-xxx.run.app/health
    > curl https://mobius-rag-xxx.run.app/health
    """
    section = "4.2 Services Health"
    if isinstance(absent := deployed_or_na("VER-HEALTH", svc, inv), Verdict):
        return absent
    if not inv.health.ok:
        return errored("VER-HEALTH", svc.name, f"health endpoints were not probed: {inv.health.cause}", section=section)
    probe = inv.health_probe(svc.name)
    expected = f"GET {svc.health_path} → 200"
    if probe is None:
        return errored("VER-HEALTH", svc.name, f"no health probe was recorded for {svc.name}", section=section)
    if probe.error is not None:
        return failed(
            "VER-HEALTH",
            svc.name,
            f"{svc.health_path} could not be probed: {probe.error}",
            expected=expected,
            actual=probe.error,
            section=section,
            fix=(
                _deploy_fix(spec, svc, inv)
                if inv.service(svc.name) is None
                else f"gcloud run services describe {svc.name} --region={inv.region} --project={inv.project}"
            ),
        )
    latency = f" in {probe.latency_ms:.0f} ms" if probe.latency_ms is not None else ""
    if probe.status_code is None:
        return errored(
            "VER-HEALTH", svc.name, f"the probe of {probe.url} recorded neither a status nor an error", section=section
        )
    if probe.status_code != 200:
        tries = f" (after {probe.attempts} attempts)" if probe.attempts > 1 else ""
        return failed(
            "VER-HEALTH",
            svc.name,
            f"{probe.url} answered {probe.status_code}{tries}",
            expected=expected,
            actual=f"{probe.status_code}{latency}",
            section=section,
            fix=f"gcloud run services logs read {svc.name} --region={inv.region} --project={inv.project}",
            details={"latency_ms": str(probe.latency_ms)},
        )
    return passed(
        "VER-HEALTH",
        svc.name,
        f"{probe.url} answered 200{latency}",
        section=section,
        details={"latency_ms": str(probe.latency_ms)},
    )


# --- VER-LOGS -------------------------------------------------------------------------------------


def _with_log_lines(spec: Checklist) -> Iterator[tuple[str, ServiceSpec]]:
    for svc in spec.services:
        if svc.log_lines:
            yield svc.name, svc


@check("VER-LOGS", subjects=_with_log_lines)
@guarded("VER-LOGS", label=lambda svc: svc.name)
def test_worker_start_lines(svc: ServiceSpec, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.3 Worker Verification: the worker's latest revision logged every start line of checklist.yaml.

    > Check logs for each worker - they should show:
    > [WORKER] Worker listening for chat requests
    > [SCRAPER WORKER] Scraper worker started in background thread
    > Starting chunking worker...
    > Starting embedding worker...
    """
    section = "4.3 Worker Verification"
    deployed = inv.service(svc.name)
    expected = "; ".join(svc.log_lines)
    if isinstance(absent := deployed_or_na("VER-LOGS", svc, inv), Verdict):
        return absent
    if not inv.log_entries.judgeable:
        return errored("VER-LOGS", svc.name, f"the logs could not be read: {inv.log_entries.cause}", section=section)
    if inv.log_entries.status == "disabled":
        return failed(
            "VER-LOGS",
            svc.name,
            f"no logs can be read: {inv.log_entries.cause}",
            expected=expected,
            actual="Cloud Logging disabled",
            section=section,
            fix=f"gcloud services enable logging.googleapis.com --project={inv.project}",
        )
    known = deployed.latest_created_revision or deployed.latest_ready_revision
    revision = known or "(unknown revision)"
    entries = inv.latest_logs_of(svc.name)
    missing = [line for line in svc.log_lines if not any(line in e.text for e in entries)]
    if missing:
        errors = [e for e in entries if (e.severity or "").upper() in ("ERROR", "CRITICAL", "ALERT", "EMERGENCY")]
        evidence = f"; it logged {redact(errors[-1].text)!r}" if errors else ""
        shown = ", ".join(repr(line) for line in missing)
        return failed(
            "VER-LOGS",
            svc.name,
            f"revision {revision} logged {len(svc.log_lines) - len(missing)} of {len(svc.log_lines)} start lines; "
            f"missing {shown}{evidence}",
            expected=expected,
            actual=f"missing {len(missing)} line(s)",
            section=section,
            fix=f"gcloud run services logs read {svc.name} --region={inv.region} --project={inv.project}",
        )
    if known is None:
        # Without the latest revision the lines may come from an older one: never a pass on that.
        return errored(
            "VER-LOGS",
            svc.name,
            f"all {len(svc.log_lines)} start lines were logged, but the latest revision is unknown (field absent), "
            "so they may come from an older revision",
            section=section,
        )
    return passed(
        "VER-LOGS", svc.name, f"revision {revision} logged all {len(svc.log_lines)} start lines", section=section
    )


# --- VER-E2E-* (opt-in: -m e2e_live) --------------------------------------------------------------


def _flows(kind: str) -> Any:
    def subjects(spec: Checklist) -> Iterator[tuple[str, E2EFlow]]:
        flow = getattr(spec.e2e_live, kind)
        if flow is not None:
            yield flow.service, flow

    return subjects


def _live_flow(requirement: str, flow: E2EFlow, spec: Checklist, inv: Inventory) -> Verdict:
    deployed = inv.service(flow.service)
    if deployed is None:
        return not_applicable(requirement, flow.service, "not deployed (see SVC-DEPLOYED)", section=flow.section)
    where = f"--region={inv.region} --project={inv.project}"
    if not deployed.uri:
        why = "has no URI"
        return failed(
            requirement,
            flow.service,
            f"{flow.service} {why}: {flow.description} cannot run",
            expected="a deployed service",
            actual=why,
            section=flow.section,
            fix=f"gcloud run services describe {flow.service} {where} (a service without a URL has no ready revision)",
        )
    result = run_flow(flow, spec.e2e_live, deployed.uri)
    if not result.ok:
        left = f" Clean-up failed: {'; '.join(result.cleanup_errors)}." if result.cleanup_errors else ""
        return failed(
            requirement,
            flow.service,
            f"{flow.description}: {result.reason}.{left}",
            expected="the flow completes",
            actual=f"failed at {result.step or 'clean-up'}",
            section=flow.section,
            fix=_flow_logs_fix(flow, spec, where),
            details={"elapsed_s": str(result.elapsed_s)},
        )
    return passed(
        requirement,
        flow.service,
        f"{flow.description}: passed in {result.elapsed_s:g} s",
        section=flow.section,
        details={"elapsed_s": str(result.elapsed_s)},
    )


def _flow_logs_fix(flow: E2EFlow, spec: Checklist, where: str) -> str:
    """No single command fixes a broken flow: read the logs of the API and its workers (see the likely cause)."""
    svc = next((s for s in spec.services if s.name == flow.service), None)
    names = [flow.service, *(svc.pairs_with if svc else [])]
    reads = " && ".join(f"gcloud run services logs read {name} {where}" for name in names)
    return f"{reads} (no single command fixes a flow: apply the fix of the likely cause or of the failing SVC checks)"


@check("VER-E2E-CHAT", _flows("chat"), pytest.mark.e2e_live)
@guarded("VER-E2E-CHAT", label=lambda flow: flow.service)
def test_live_chat_flow(flow: E2EFlow, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.4 End-to-End Tests: submit a question and see it answered (the flow of checklist.yaml).

    > - [ ] Chat: Submit a question, verify worker picks it up, response appears
    """
    return _live_flow("VER-E2E-CHAT", flow, spec, inv)


@check("VER-E2E-RAG", _flows("rag"), pytest.mark.e2e_live)
@guarded("VER-E2E-RAG", label=lambda flow: flow.service)
def test_live_rag_flow(flow: E2EFlow, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.4 End-to-End Tests: upload a document and find it searchable.

    > - [ ] RAG: Upload document, verify chunking → embedding → searchable
    """
    return _live_flow("VER-E2E-RAG", flow, spec, inv)


@check("VER-E2E-SCRAPER", _flows("scraper"), pytest.mark.e2e_live)
@guarded("VER-E2E-SCRAPER", label=lambda flow: flow.service)
def test_live_scraper_flow(flow: E2EFlow, spec: Checklist, inv: Inventory) -> Verdict:
    """§4.4 End-to-End Tests: submit a URL and see the worker process it.

    > - [ ] Scraper: Submit URL, verify worker processes it
    """
    return _live_flow("VER-E2E-SCRAPER", flow, spec, inv)
