"""Work that must end by a deadline, whatever the network does.

Socket timeouts bound each *read*, not a request: a server that drips one byte
a second never trips a 30 s read timeout, so one request can outlive any
budget. The only bound that holds is to stop waiting: the work runs on a
**daemon** thread and the caller waits at most until the deadline, then
abandons it. A daemon thread never keeps the process alive, unlike the
workers of :class:`concurrent.futures.ThreadPoolExecutor`, which the
interpreter joins at exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import TypeVar

R = TypeVar("R")


class BudgetExhausted(Exception):
    """The time allowed ran out before the work finished (the work is abandoned)."""


def in_daemon(fn: Callable[[], R], name: str = "mobius-budget") -> Future[R]:
    """Start ``fn()`` on a daemon thread; its outcome lands in the returned future."""
    future: Future[R] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def within(fn: Callable[[], R], seconds: float, name: str = "mobius-budget") -> R:
    """``fn()``'s result or exception, or :class:`BudgetExhausted` after ``seconds``."""
    future = in_daemon(fn, name)
    done, _ = wait([future], timeout=max(0.0, seconds))
    if not done:
        raise BudgetExhausted(f"no result within {seconds:g} s")
    return future.result()
