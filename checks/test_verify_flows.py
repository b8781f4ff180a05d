"""Phase 4 §4.4 End-to-End Tests: the live flows, judged from the outcomes collected with ``-m e2e_live``.

The flows run once, during collection (``mobius_gate/collect/flows.py``), and
only when the run selects them; these rules read their outcomes.
"""

from __future__ import annotations

import pytest

from mobius_gate.manual_fixes import inspect_service, read_logs
from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import Deployed, Over
from mobius_gate.spec import Checklist, E2EFlow, ServiceSpec
from mobius_gate.verdict import Verdict


def _flow(kind: str) -> Over:
    """The flow ``kind`` of checklist.yaml, over its service (which must be deployed)."""

    def flows(spec: Checklist) -> list[tuple[ServiceSpec, E2EFlow]]:
        flow = getattr(spec.e2e_live, kind)
        return [(spec.service(flow.service), flow)] if flow is not None else []

    return Over(flows, lambda pair: pair[0].name, needs_service=lambda pair: pair[0])


def _judge_flow(kind: str, it: Deployed, judge: Judge) -> Verdict:
    inv, flow, req = judge.inv, getattr(judge.spec.e2e_live, kind), judge.requirement
    if not it.service.uri:
        note = "a service without a URL has no ready revision"
        return judge.failed(
            f"{flow.service} has no URI: {flow.description} cannot run",
            expected="a deployed service",
            actual="has no URI",
            fix=judge.then(inspect_service(req, flow.service, flow.service, judge.where, note)),
        )
    outcome = inv.flow_outcome(kind)
    if outcome is None:
        return judge.errored(f"{flow.description}: the flow did not run (no outcome was collected)")
    details = {"elapsed_s": str(outcome.elapsed_s)}
    if outcome.not_served:
        # 501: the server does not implement the endpoint at all; that says nothing about the flow.
        return judge.errored(
            f"cannot confirm: {flow.description}: the flow endpoint is not served ({outcome.reason}); "
            "run the flow against the deployed service",
            details=details,
        )
    if outcome.ok:
        return judge.passed(f"{flow.description}: passed in {outcome.elapsed_s:g} s", details=details)
    left = f" Clean-up failed: {'; '.join(outcome.cleanup_errors)}." if outcome.cleanup_errors else ""
    note = "no single command fixes a flow: apply the fix of the likely cause or of the failing SVC checks"
    reads = read_logs(req, it.name, [it.name, *it.spec.pairs_with], judge.where, note)
    return judge.failed(
        f"{flow.description}: {outcome.reason}.{left}",
        expected="the flow completes",
        actual=f"failed at {outcome.step or 'clean-up'}",
        fix=judge.then(reads),
        details=details,
    )


@check("VER-E2E-CHAT", _flow("chat"), pytest.mark.e2e_live)
def test_live_chat_flow(it: Deployed, judge: Judge) -> Verdict:
    """§4.4 End-to-End Tests: submit a question and see it answered (the flow of checklist.yaml).

    > - [ ] Chat: Submit a question, verify worker picks it up, response appears
    """
    return _judge_flow("chat", it, judge)


@check("VER-E2E-RAG", _flow("rag"), pytest.mark.e2e_live)
def test_live_rag_flow(it: Deployed, judge: Judge) -> Verdict:
    """§4.4 End-to-End Tests: upload a document and find it searchable.

    > - [ ] RAG: Upload document, verify chunking → embedding → searchable
    """
    return _judge_flow("rag", it, judge)


@check("VER-E2E-SCRAPER", _flow("scraper"), pytest.mark.e2e_live)
def test_live_scraper_flow(it: Deployed, judge: Judge) -> Verdict:
    """§4.4 End-to-End Tests: submit a URL and see the worker process it.

    > - [ ] Scraper: Submit URL, verify worker processes it
    """
    return _judge_flow("scraper", it, judge)
