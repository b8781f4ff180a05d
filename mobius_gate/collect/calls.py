"""One API call, done right: retried when transient, bounded by the collection's deadline.

:class:`CallContext` is what a section collector receives. It carries the
target, the options, the shared :class:`~mobius_gate.collect.clients.Clients` and
the deadline of the whole collection, and offers :meth:`CallContext.call`
(tenacity: exponential backoff with full jitter on 429/5xx/timeouts/connection
resets, stopping at ``retry_attempts`` or at the deadline) and
:meth:`CallContext.pages` (every page of a list, each page retried on its own,
so a fault on page 4 does not refetch pages 1-3).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import google.auth.exceptions
import httpx
import requests
from google.api_core import exceptions as gexc
from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception, wait_random_exponential

from mobius_gate.collect.budget import BudgetExhausted, within
from mobius_gate.collect.clients import Clients, quota_project_of
from mobius_gate.collect.target import CollectOptions, Target

R = TypeVar("R")

#: Longest single HTTP request; the remaining collection budget caps it further.
MAX_CALL_TIMEOUT_S = 30.0
#: How long past the deadline a call may take to report its own timeout before it is abandoned.
SLACK_S = 0.25

_TRANSIENT_API = (
    gexc.TooManyRequests,
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.GatewayTimeout,
    gexc.DeadlineExceeded,
)
_TRANSIENT_WIRE = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    google.auth.exceptions.TransportError,
    ConnectionResetError,
)


def is_transient(exc: BaseException) -> bool:
    """429, 5xx, timeouts and connection resets: worth another attempt."""
    return isinstance(exc, _TRANSIENT_API + _TRANSIENT_WIRE)


class RetriesExhausted(Exception):
    """A transient fault outlived the retry budget (attempts or deadline)."""

    def __init__(self, attempts: int, last: BaseException, budget_s: float | None = None) -> None:
        self.attempts = attempts
        self.last = last
        #: Set when the collection's time budget (seconds) ran out rather than the attempts.
        self.budget_s = budget_s
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        why = f"gave up after {tries}"
        if budget_s is not None:
            why = f"time budget of {budget_s:g} s spent after {tries}"
        super().__init__(f"{why}; last error: {describe(last)}")


class DeadlineReached(Exception):
    """The collection's time budget ran out before this call could start or finish."""


def budget_exhausted(budget_s: float) -> str:
    """The one wording for a spent collection budget."""
    return f"collection budget of {budget_s:g} s exhausted"


_REQUEST_PREFIX = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) \S+: ")


def api_message(exc: gexc.GoogleAPICallError) -> str:
    """The server's error message, first line, without the ``GET http://...:`` prefix."""
    return _REQUEST_PREFIX.sub("", exc.message or "").split("\n", 1)[0]


def describe(exc: BaseException) -> str:
    """One line for an exception: status, class and message, without URL noise."""
    if isinstance(exc, gexc.GoogleAPICallError):
        code = exc.code if exc.code is not None else "error"
        return f"{code} {type(exc).__name__}: {api_message(exc)}"
    if isinstance(exc, RetriesExhausted | DeadlineReached):
        return str(exc)
    if isinstance(exc, requests.exceptions.Timeout | httpx.TimeoutException):
        return f"{type(exc).__name__}: no answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError | httpx.NetworkError):
        return f"{type(exc).__name__}: cannot connect"
    return f"{type(exc).__name__}: {exc}".split("\n", 1)[0]


@dataclass
class CallContext:
    """Everything a section collector needs, for one collection."""

    target: Target
    options: CollectOptions
    deadline: float  # time.monotonic() value
    clients_factory: Callable[[], Clients]

    @cached_property
    def clients(self) -> Clients:
        return self.clients_factory()

    @property
    def project(self) -> str:
        return self.target.project

    @property
    def region(self) -> str:
        return self.target.region

    def quota_project(self) -> str | None:
        """The quota project the credentials bill calls to (None on the emulator or if unset)."""
        if self.target.is_emulator:
            return None
        try:
            return quota_project_of(self.clients.credentials)
        except Exception:  # no credentials: nothing was billed anywhere
            return None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self) -> float:
        """Per-request timeout: the remaining budget, capped."""
        return max(0.05, min(MAX_CALL_TIMEOUT_S, self.remaining()))

    def call(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """``fn(*args, timeout=..., **kwargs)``, retried on transient faults, over by the deadline.

        ``timeout`` bounds each socket read; a server dripping bytes defeats it,
        so each attempt also runs on a daemon thread that is abandoned when the
        budget runs out (:func:`mobius_gate.collect.budget.within`).
        """

        def attempt() -> R:
            remaining = self.remaining()
            if remaining <= 0:
                raise DeadlineReached(budget_exhausted(self.options.timeout_s))
            try:
                call = within(lambda: fn(*args, timeout=self.timeout(), **kwargs), remaining + SLACK_S, "collect-call")
            except BudgetExhausted:
                raise DeadlineReached(budget_exhausted(self.options.timeout_s)) from None
            return call

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=wait_random_exponential(multiplier=self.options.retry_initial_s, max=self.options.retry_max_s),
            stop=self._stop,
            reraise=False,
        )
        try:
            return retrying(attempt)
        except RetryError as err:
            last = err.last_attempt.exception() or err
            attempts = err.last_attempt.attempt_number
            budget = self.options.timeout_s if attempts < self.options.retry_attempts else None
            raise RetriesExhausted(attempts, last, budget) from last

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= max(1, self.options.retry_attempts):
            return True
        upcoming = state.upcoming_sleep or 0.0
        return self.remaining() - upcoming <= 0

    def pages(self, fetch: Callable[..., tuple[list[R], str | None]]) -> list[R]:
        """All items of a paged list; ``fetch(token, timeout=...)`` → (items, next token)."""
        return list(self._iter_pages(fetch))

    def _iter_pages(self, fetch: Callable[..., tuple[list[R], str | None]]) -> Iterator[R]:
        token: str | None = ""
        seen: set[str] = set()
        while token is not None:
            items, next_token = self.call(fetch, token)
            yield from items
            if next_token and next_token in seen:
                raise RuntimeError(f"the API repeated page token {next_token!r}: paging would never end")
            if next_token:
                seen.add(next_token)
            token = next_token or None


def gapic_page(method: Callable[..., Any], request: dict[str, Any], field: str) -> Callable[..., Any]:
    """A :meth:`CallContext.pages` fetcher for a GAPIC list method (one page per call)."""

    def fetch(token: str, timeout: float) -> tuple[list[Any], str | None]:
        pager = method(request={**request, "page_token": token}, retry=None, timeout=timeout)
        page = next(iter(pager.pages))  # the response already fetched; no extra request
        return list(getattr(page, field)), page.next_page_token or None

    return fetch
