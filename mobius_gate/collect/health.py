"""Section ``health``: GET ``{service URI}{health_path}`` for every service that has one (§4.2).

httpx, concurrently, with bounded tenacity retries: transport errors and 5xx
are retried (a cold start may answer 503 once); the last answer is recorded
with its latency. A service that is not deployed or has no URI gets a probe
with an ``error`` (VER-HEALTH then fails it; SVC-DEPLOYED says why). A probe
that gets no answer at all (connect error, DNS, timeout, the collection budget)
is ``incomplete``: Cloud Run's front end accepts every connection to a service
URL, so not reaching it is the gate's network, not the service (VER-HEALTH: error).
"""

from __future__ import annotations

import time
from concurrent.futures import Future, wait
from functools import partial

import httpx
from tenacity import Retrying, retry_if_exception_type, retry_if_result, stop_after_attempt, wait_exponential

from mobius_gate import httpclient
from mobius_gate.collect.budget import in_daemon
from mobius_gate.collect.calls import CallContext
from mobius_gate.collect.checklist_inputs import checklist_of, services_of
from mobius_gate.inventory import HealthProbe, Section, Service
from mobius_gate.redact import redact
from mobius_gate.spec import Checklist

#: Attempts per probe and the backoff between them (bounded: at most ~3 s of waiting).
ATTEMPTS = 3
WAIT_MIN_S = 0.2
WAIT_MAX_S = 2.0
#: The error of a probe still unanswered when the collection budget ran out.
LATE = "no answer before the collection budget ran out"


def probe(
    service: str, url: str, *, timeout_s: float = 10.0, attempts: int = ATTEMPTS, client: httpx.Client | None = None
) -> HealthProbe:
    """One health probe with retries; never raises."""
    own = client is None
    http = client or httpclient.client(follow_redirects=False)
    tries = 0

    def once() -> tuple[int, float]:
        nonlocal tries
        tries += 1
        started = time.perf_counter()
        response = http.get(url, timeout=timeout_s)
        return response.status_code, (time.perf_counter() - started) * 1000

    retrying = Retrying(
        retry=retry_if_exception_type(httpx.TransportError) | retry_if_result(lambda r: r[0] >= 500),
        wait=wait_exponential(multiplier=WAIT_MIN_S, max=WAIT_MAX_S),
        stop=stop_after_attempt(max(1, attempts)),
        # Out of attempts: hand back the last outcome (a 5xx answer or the transport error).
        retry_error_callback=lambda state: state.outcome,
    )
    try:
        result = retrying(once)
        if isinstance(result, Future):
            result = result.result()
    except Exception as exc:  # a probe records the failure, never raises
        error = redact(" ".join(f"{type(exc).__name__}: {exc}".split())) or type(exc).__name__
        return HealthProbe(service=service, url=url, error=error, attempts=tries, incomplete=True)
    finally:
        if own:
            http.close()
    status, latency = result
    return HealthProbe(service=service, url=url, status_code=status, latency_ms=round(latency, 1), attempts=tries)


def collect_health(
    services: Section[Service],
    spec: Checklist,
    *,
    timeout_s: float = 10.0,
    attempts: int = ATTEMPTS,
    budget_s: float | None = None,
) -> Section[HealthProbe]:
    """Probe every checklist service with a ``health_path``; needs the ``services`` section.

    Probes run concurrently; one still unanswered after ``budget_s`` is recorded as an error.
    A budget already spent starts none (one started then would only race the clock).
    """
    if not services.judgeable:
        return Section[HealthProbe].unavailable(f"services could not be read: {services.cause}")
    wanted = [s for s in spec.services if s.health_path]
    by_name = {s.name: s for s in services.items}
    probes: list[HealthProbe] = []
    jobs: list[tuple[str, str]] = []
    for svc in wanted:
        found = by_name.get(svc.name)
        if found is None or not found.uri:
            reason = "service not deployed" if found is None else "service has no URI"
            probes.append(HealthProbe(service=svc.name, url=svc.health_path or "", error=reason, attempts=0))
            continue
        jobs.append((svc.name, found.uri.rstrip("/") + (svc.health_path or "")))
    if budget_s is not None and budget_s <= 0:
        probes.extend(HealthProbe(service=name, url=url, error=LATE, incomplete=True) for name, url in jobs)
        jobs = []
    with httpclient.client(follow_redirects=False) as http:
        # Daemon threads, abandoned after budget_s: a server dripping bytes defeats every read timeout.
        futures = [
            in_daemon(partial(probe, name, url, timeout_s=timeout_s, attempts=attempts, client=http), "health")
            for name, url in jobs
        ]
        wait(futures, timeout=budget_s)
        for (name, url), future in zip(jobs, futures, strict=True):
            late = HealthProbe(service=name, url=url, error=LATE, incomplete=True)
            probes.append(future.result() if future.done() else late)
    return Section[HealthProbe](items=sorted(probes, key=lambda p: p.service))


def collect(ctx: CallContext) -> Section[HealthProbe]:
    """Registry entry: probe the checklist's health paths on the deployed services.

    Each attempt's timeout is cut so that all attempts fit in what is left of the
    collection's time budget.
    """
    services = services_of(ctx)
    per_attempt = min(ctx.options.health_timeout_s, max(0.5, ctx.remaining() / (ATTEMPTS + 1)))
    return collect_health(services, checklist_of(ctx), timeout_s=per_attempt, budget_s=max(0.0, ctx.remaining()))
