"""What every action shares: retried calls, waiting on operations, one retry after a conflict."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as gexc

from mobius_gate.collect.calls import CallContext, describe
from mobius_gate.collect.clients import Clients
from mobius_gate.fixes import Step

#: First and longest pause between two polls of a long-running operation, seconds.
POLL_FIRST_S = 0.02
POLL_MAX_S = 5.0


@dataclass(frozen=True)
class Outcome:
    """What an action did: whether it wrote, and the long-running operation's name if any."""

    changed: bool
    operation: str | None = None
    note: str = ""


class UpdateConflict(Exception):
    """The resource changed under us again after one re-read and retry (etag mismatch, 409)."""


@dataclass(frozen=True)
class ApplyContext:
    """The clients and the call policy (retries on 429/5xx, deadline) of one remediation run."""

    calls: CallContext
    #: One line per 409 met (a concurrent change), in order; the runner audits the new ones of each change.
    conflicts: list[str] = field(default_factory=list)

    @property
    def clients(self) -> Clients:
        return self.calls.clients

    @property
    def project(self) -> str:
        return self.calls.project

    @property
    def region(self) -> str:
        return self.calls.region

    def call(self, method: Callable[..., Any], **request: Any) -> Any:
        """``method(request=..., retry=None, timeout=...)`` with the gate's retries on transient faults."""
        return self.calls.call(lambda timeout: method(request=request or None, retry=None, timeout=timeout))

    def change(self, method: Callable[..., Any], **request: Any) -> Outcome:
        """A write that answers a long-running operation: call it (with :meth:`call`'s retries), wait until
        the operation is done, and report the change with the operation's name."""
        operation = self.call(method, **request)
        self.wait(operation)
        return Outcome(True, operation_name(operation))

    def wait(self, operation: Any) -> Any:
        """Poll a long-running operation until done (each poll retried); its result, or its error raised."""
        pause = POLL_FIRST_S
        while not self.calls.call(lambda timeout: operation.done(retry=None)):
            if self.calls.remaining() <= 0:
                raise TimeoutError(f"operation {operation.operation.name} not done within the remediation budget")
            time.sleep(min(pause, max(0.0, self.calls.remaining())))
            pause = min(pause * 2, POLL_MAX_S)
        return operation.result(timeout=max(1.0, self.calls.remaining()))

    def once_more_on_conflict(self, attempt: Callable[[], Outcome], what: str) -> Outcome:
        """Run ``attempt`` (which re-reads and re-judges); on a 409 run it once more, then report."""
        try:
            return attempt()
        except gexc.Conflict as exc:
            self.conflicts.append(f"{what}: {describe(exc)}")
        try:
            return attempt()
        except gexc.Conflict as exc:
            self.conflicts.append(f"{what}: {describe(exc)}")
            raise UpdateConflict(f"{what}: changed concurrently again after one retry ({describe(exc)})") from exc


def operation_name(operation: Any) -> str | None:
    return getattr(getattr(operation, "operation", None), "name", None) or None


def exists(read: Callable[[], Any]) -> Any | None:
    """The resource ``read`` returns, or None when the API says it does not exist."""
    try:
        return read()
    except gexc.NotFound:
        return None


@dataclass(frozen=True)
class Action:
    """One operation: how it is applied, the inventory section it changes, the permissions it needs."""

    apply: Callable[[ApplyContext, Step], Outcome]
    section: str
    permissions: tuple[str, ...]


ACTIONS: dict[str, Action] = {}


def action(
    operation: str, section: str, *permissions: str
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register the decorated function as the action applying ``operation``."""

    def register(fn: Callable[[ApplyContext, Step], Outcome]) -> Callable[[ApplyContext, Step], Outcome]:
        ACTIONS[operation] = Action(fn, section, permissions)
        return fn

    return register
