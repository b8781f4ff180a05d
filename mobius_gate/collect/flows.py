"""Section ``live_flows``: the live end-to-end flows of checklist §4.4 (``e2e_live`` in checklist.yaml).

Collected only when the run selects them (``-m e2e_live``): each configured flow
runs once against its deployed service's URI, and its outcome is recorded for
the VER-E2E-* rules to judge purely. A service that is not deployed or has no
URI gets no outcome (the rule says why the flow could not run).

A flow is a list of steps against one deployed service: each step is an HTTP
request whose path/body may use values captured by earlier steps (``{name}``),
checks the status, captures values, optionally polls until a JSON field reaches
a final value, and checks fields are non-empty. The whole flow is bounded by
``timeout_s``; clean-up steps always run afterwards (404 counts as already
gone) so nothing the flow created is left behind. Transport errors are retried
a bounded number of times (tenacity) — for POST/PATCH only when the request
never left (a connect error), so a create is never sent twice. The bearer token, if any, comes from the
environment and never appears in a result.

A step answered ``501 Not Implemented`` met a server that does not implement the
endpoint at all (a proxy, a stub): that says nothing about the flow, so the
outcome is ``not_served`` and VER-E2E-* cannot judge it (an error, not a fail).
The emulator serves no flow endpoints: with ``--emulator`` nothing runs and the
section is ``unavailable`` with :data:`EMULATOR_FLOWS` (every VER-E2E-* an error).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from mobius_gate import httpclient
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.checklist_inputs import checklist_of, services_of
from mobius_gate.inventory import NOT_SELECTED, FlowOutcome, Section, Service
from mobius_gate.redact import redact
from mobius_gate.spec import Checklist, E2EFlow, E2ELiveSpec, E2EStep

#: The flows of checklist.yaml's ``e2e_live``, by name.
FLOW_KINDS = ("chat", "rag", "scraper")

#: Attempts per request on transport errors (connection refused/reset, timeouts).
TRANSPORT_ATTEMPTS = 3
#: Methods that are safe to send twice (RFC 9110 §9.2.2): any transport error may be retried.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Why the live flows do not run on the emulator (the VER-E2E-* errors say so).
EMULATOR_FLOWS = "the emulator does not serve the live flows; run them against the deployed services"
#: The answer of a server that does not implement the endpoint (RFC 9110 §15.6.2).
NOT_IMPLEMENTED = 501
#: Errors raised before the request reached the server: even a POST may be sent again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_retry(method: str, exc: BaseException) -> bool:
    """Whether a request that failed with ``exc`` may be sent again.

    A POST/PATCH whose connection broke after sending (read timeout, reset,
    peer closed) may already have created something; sending it again could
    create a second one that the clean-up steps never hear of. Those are only
    retried when the request provably never left (connect errors).
    """
    if not isinstance(exc, httpx.TransportError):
        return False
    return method.upper() in IDEMPOTENT or isinstance(exc, _NOT_SENT)


class FlowFailed(Exception):
    """A step did not do what the flow expects; the message is one line."""


class FlowTimedOut(FlowFailed):
    """The flow's time ran out before a request could be sent."""


class FlowNotServed(FlowFailed):
    """The target does not implement a step's endpoint (501): no evidence about the flow."""


@dataclass
class FlowResult:
    ok: bool
    reason: str
    #: The step that failed, if any.
    step: str | None = None
    elapsed_s: float = 0.0
    #: Clean-up steps that failed (what may have been left behind).
    cleanup_errors: list[str] = field(default_factory=list)
    captured: dict[str, str] = field(default_factory=dict)
    #: A step's endpoint is not implemented by the target (501): the flow could not be judged.
    not_served: bool = False


def dig(data: Any, dotted: str) -> Any:
    """``a.b.0.c`` in a JSON document; None when absent."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _fill(value: Any, captured: dict[str, str]) -> Any:
    if isinstance(value, str):
        names = {n for _, n, _, _ in Formatter().parse(value) if n}
        missing = sorted(names - captured.keys())
        if missing:
            raise FlowFailed(f"no captured value for {', '.join(missing)}")
        return value.format_map(captured)
    if isinstance(value, list):
        return [_fill(v, captured) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, captured) for k, v in value.items()}
    return value


class FlowRunner:
    """Runs flows against one base URL with one httpx client."""

    def __init__(
        self,
        live: E2ELiveSpec,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.live = live
        self.base_url = base_url.rstrip("/")
        token = os.environ.get(live.token_env, "") if live.token_env else ""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._own = client is None
        self.http = client or httpclient.client(headers=headers, follow_redirects=False)
        if client is not None and headers:
            self.http.headers.update(headers)
        self.sleep, self.clock = sleep, clock

    def close(self) -> None:
        if self._own:
            self.http.close()

    def _send(self, step: E2EStep, captured: dict[str, str], deadline: float) -> httpx.Response:
        path = _fill(step.path, captured)
        body = _fill(step.body, captured) if step.body is not None else None
        url = f"{self.base_url}{path}"

        failures: list[httpx.TransportError] = []

        def once() -> httpx.Response:
            remaining = deadline - self.clock()
            if remaining <= 0 and failures:  # retried into the deadline: the error is the news
                raise self._transport_failure(step, path, failures[-1])
            if remaining <= 0:
                raise FlowTimedOut(f"{step.name}: flow timed out after {self.live.timeout_s:g} s")
            timeout = min(self.live.request_timeout_s, remaining)
            try:
                return self.http.request(step.method, url, json=body, timeout=timeout)
            except httpx.TransportError as exc:
                failures.append(exc)
                raise

        retrying = Retrying(
            retry=retry_if_exception(lambda exc: may_retry(step.method, exc)),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            stop=stop_after_attempt(TRANSPORT_ATTEMPTS),
            reraise=True,
            sleep=self.sleep,
        )
        try:
            return retrying(once)
        except httpx.TransportError as exc:
            raise self._transport_failure(step, path, exc) from None

    @staticmethod
    def _transport_failure(step: E2EStep, path: str, exc: httpx.TransportError) -> FlowFailed:
        return FlowFailed(f"{step.name}: {step.method} {path} failed: {type(exc).__name__}: {exc}")

    def _json(self, step: E2EStep, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            if step.capture or step.wait or step.expect_nonempty:
                raise FlowFailed(f"{step.name}: response is not JSON") from None
            return None

    def _status(self, step: E2EStep, response: httpx.Response) -> None:
        if response.status_code not in step.expect_status:
            text = " ".join(response.text.split())[:200]
            error = FlowNotServed if response.status_code == NOT_IMPLEMENTED else FlowFailed
            raise error(
                f"{step.name}: {step.method} {response.request.url.path} answered {response.status_code} "
                f"(expected {', '.join(map(str, step.expect_status))}): {text}"
            )

    def step(self, step: E2EStep, captured: dict[str, str], deadline: float) -> None:
        response = self._send(step, captured, deadline)
        self._status(step, response)
        data = self._json(step, response)
        if step.wait is not None:
            wait = step.wait
            while True:
                state = dig(data, wait.field)
                if state is not None and str(state) in wait.done:
                    break
                if state is not None and str(state) in wait.failed:
                    raise FlowFailed(f"{step.name}: {wait.field} became {state!r}")
                still = (
                    f"{step.name}: still {wait.field}={state!r} after {self.live.timeout_s:g} s "
                    f"(waiting for {' / '.join(wait.done)})"
                )
                if self.clock() + self.live.poll_interval_s > deadline:
                    raise FlowFailed(still)
                self.sleep(self.live.poll_interval_s)
                try:
                    response = self._send(step, captured, deadline)
                except FlowTimedOut:
                    raise FlowFailed(still) from None  # the time ran out before the poll: say what was last seen
                except FlowFailed as exc:
                    if self.clock() < deadline:
                        raise
                    raise FlowFailed(f"{still}; last poll: {str(exc).removeprefix(step.name + ': ')}") from None
                self._status(step, response)
                data = self._json(step, response)
        for name, dotted in step.capture.items():
            value = dig(data, dotted)
            if value is None or value == "":
                raise FlowFailed(f"{step.name}: response has no {dotted!r} to capture as {name}")
            captured[name] = str(value)
        for dotted in step.expect_nonempty:
            if not dig(data, dotted):
                raise FlowFailed(f"{step.name}: {dotted!r} is empty in the response")

    def cleanup(self, flow: E2EFlow, captured: dict[str, str]) -> list[str]:
        errors = []
        deadline = self.clock() + self.live.request_timeout_s * max(1, len(flow.cleanup))
        for step in flow.cleanup:
            try:
                response = self._send(step, captured, deadline)
                if response.status_code != 404:
                    self._status(step, response)
            except FlowFailed as exc:
                if "no captured value" in str(exc):
                    continue  # the flow failed before creating this; nothing to delete
                errors.append(str(exc))
        return errors

    def run(self, flow: E2EFlow) -> FlowResult:
        started = self.clock()
        deadline = started + self.live.timeout_s
        captured: dict[str, str] = {}
        failed_step, reason, not_served = None, f"{len(flow.steps)} step(s) passed", False
        try:
            for step in flow.steps:
                failed_step = step.name
                self.step(step, captured, deadline)
            failed_step = None
        except FlowFailed as exc:
            reason, not_served = str(exc), isinstance(exc, FlowNotServed)
        finally:
            cleanup_errors = self.cleanup(flow, captured)
        result = FlowResult(
            ok=failed_step is None,
            reason=redact(reason) or reason,
            step=failed_step,
            elapsed_s=round(self.clock() - started, 2),
            cleanup_errors=[redact(e) or e for e in cleanup_errors],
            captured=captured,
            not_served=not_served,
        )
        if result.ok and cleanup_errors:
            result.ok, result.reason = False, f"clean-up failed: {'; '.join(result.cleanup_errors)}"
        return result


def run_flow(flow: E2EFlow, live: E2ELiveSpec, base_url: str, **kwargs: Any) -> FlowResult:
    """Run ``flow`` against ``base_url`` (the service's URI)."""
    runner = FlowRunner(live, base_url, **kwargs)
    try:
        return runner.run(flow)
    finally:
        runner.close()


def collect(ctx: CallContext) -> Section[FlowOutcome]:
    """Run every configured flow against its deployed service, when the run selected the live flows."""
    if not ctx.options.live_flows:
        return Section[FlowOutcome].not_collected(NOT_SELECTED)
    if ctx.target.is_emulator:
        return Section[FlowOutcome].unavailable(EMULATOR_FLOWS)
    return run_flows(checklist_of(ctx), services_of(ctx).items)


def run_flows(spec: Checklist, services: list[Service], **kwargs: Any) -> Section[FlowOutcome]:
    """The outcome of each configured flow whose service is deployed with a URI."""
    outcomes = []
    for kind in FLOW_KINDS:
        flow = getattr(spec.e2e_live, kind)
        service = next((s for s in services if flow and s.name == flow.service), None)
        if flow is None or service is None or not service.uri:
            continue
        result = run_flow(flow, spec.e2e_live, service.uri, **kwargs)
        outcome = FlowOutcome(
            flow=kind,
            service=flow.service,
            ok=result.ok,
            reason=result.reason,
            step=result.step,
            elapsed_s=result.elapsed_s,
            cleanup_errors=result.cleanup_errors,
            not_served=result.not_served,
        )
        outcomes.append(outcome)
    return Section[FlowOutcome](items=outcomes)
