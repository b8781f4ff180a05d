"""One TLS context for every httpx client the gate and its tools open.

``httpx.Client()`` builds a fresh SSL context each time, loading the CA bundle (tens of
milliseconds of CPU); the gate opens a client per API, per probe and per readiness poll.
:func:`tls_context` builds it once, with httpx's own rules (``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when set, certifi otherwise), and :func:`client` / :func:`get` share it.
Verification stays on: the context is httpx's default one, only not rebuilt.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built on first use and shared."""
    return httpx.create_ssl_context()


def client(**kwargs: Any) -> httpx.Client:
    """``httpx.Client(**kwargs)`` on the shared TLS context."""
    return httpx.Client(verify=tls_context(), **kwargs)


def get(url: str, *, timeout: float | httpx.Timeout = 5.0, trust_env: bool = True, **kwargs: Any) -> httpx.Response:
    """``httpx.get`` on the shared TLS context (``kwargs`` as ``Client.get`` takes them)."""
    with client(timeout=timeout, trust_env=trust_env) as http:
        return http.get(url, **kwargs)
