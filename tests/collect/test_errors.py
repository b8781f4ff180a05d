"""Failure → section status, and the missing-credentials path (in a clean environment)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from google.api_core import exceptions as gexc

from mobius_gate.collect import collect_inventory, run
from mobius_gate.collect.calls import CallContext, RetriesExhausted
from mobius_gate.collect.clients import LOGIN_HINT, REAUTH_HINT, Clients
from mobius_gate.collect.errors import section_for_error
from mobius_gate.collect.target import CollectOptions, CredentialsMissing, Target

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
GCP_SECTIONS = {"apis", "services", "redis_instances", "connectors", "secrets", "sql_instances"}


def google_error(code: int, message: str, **info: object) -> gexc.GoogleAPICallError:
    """The exception api_core builds from Google's JSON error body (as the REST transports do)."""
    details = [{"@type": ERROR_INFO, **info}] if info else []
    return gexc.from_http_status(code, message, details=details, error_info=details[0] if details else None, errors=())


def section(exc: BaseException):
    return section_for_error(exc, what="listing Redis instances", api="redis.googleapis.com", project="mobiusos-new")


def test_service_disabled_is_disabled_naming_the_api() -> None:
    exc = google_error(
        403,
        "Google Cloud Memorystore for Redis API has not been used in project 418277465010 before...",
        reason="SERVICE_DISABLED",
        domain="googleapis.com",
        metadata={"service": "redis.googleapis.com", "consumer": "projects/418277465010"},
    )
    got = section(exc)
    assert (got.status, got.cause) == ("disabled", "redis.googleapis.com is disabled in project mobiusos-new")


def test_legacy_access_not_configured_is_disabled() -> None:
    exc = gexc.from_http_status(403, "Access Not Configured.", errors=[{"reason": "accessNotConfigured"}])
    assert section(exc).status == "disabled"


def test_other_403_is_unavailable_permission_denied() -> None:
    exc = google_error(403, "The caller does not have permission", reason="IAM_PERMISSION_DENIED")
    got = section(exc)
    assert got.status == "unavailable"
    assert got.cause == "permission denied listing Redis instances: The caller does not have permission"


def test_401_is_unavailable_with_the_login_hint() -> None:
    got = section(google_error(401, "Request had invalid authentication credentials."))
    assert got.status == "unavailable"
    assert got.cause is not None and got.cause.endswith(REAUTH_HINT)
    assert "invalid authentication credentials" in got.cause


def test_retries_exhausted_is_unavailable_with_the_last_error() -> None:
    last = google_error(503, "The service is currently unavailable.")
    got = section(RetriesExhausted(5, last))
    assert got.status == "unavailable"
    assert got.cause == (
        "listing Redis instances failed: gave up after 5 attempts; "
        "last error: 503 ServiceUnavailable: The service is currently unavailable."
    )


def test_time_budget_spent_is_unavailable_naming_the_budget() -> None:
    last = google_error(503, "The service is currently unavailable.")
    got = section(RetriesExhausted(2, last, budget_s=1.5))
    assert got.cause == (
        "listing Redis instances failed: time budget of 1.5 s spent after 2 attempts; "
        "last error: 503 ServiceUnavailable: The service is currently unavailable."
    )


def test_unknown_section_name_is_a_one_line_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown inventory section.*: redis"):
        collect_inventory(Target("p", "r", endpoint="http://127.0.0.1:9"), sections={"redis"})


def test_missing_credentials_raise_one_line_in_a_clean_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ADC anywhere (env, HOME, gcloud config; the metadata server is off) → CredentialsMissing, one line.

    The same path through the real ``pytest checks`` command, in a clean subprocess, is
    tests/acceptance/test_gate_command.py::test_no_credentials_is_one_clear_line.
    """
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    with pytest.raises(CredentialsMissing) as err:
        collect_inventory(Target("mobiusos-new", "us-central1"))
    assert str(err.value).splitlines() == [LOGIN_HINT]
    assert LOGIN_HINT == (
        "No Google Cloud credentials found: run `gcloud auth application-default login` "
        "(or set GOOGLE_APPLICATION_CREDENTIALS) and retry."
    )


def test_unreachable_endpoint_makes_every_section_unavailable() -> None:
    """A closed loopback port: connection refused is retried, then reported per section."""
    options = CollectOptions(timeout_s=10, retry_attempts=2, retry_initial_s=0.01, retry_max_s=0.02)
    inv = collect_inventory(Target("p", "us-central1", endpoint="http://127.0.0.1:9"), options, GCP_SECTIONS)
    for name in GCP_SECTIONS:
        section = inv.section(name)
        assert section.status == "unavailable", name
        assert section.cause is not None and "gave up after 2 attempts" in section.cause, name
        assert "cannot connect" in section.cause, name


def test_knative_view_failure_leaves_cpu_unknown_with_a_note() -> None:
    options = CollectOptions(timeout_s=10, retry_attempts=1)
    target = Target("p", "us-central1", endpoint="http://127.0.0.1:9")
    ctx = CallContext(target, options, time.monotonic() + 10, lambda: Clients(target))
    view, error = run._knative_view(ctx)
    assert view is None
    assert error is not None and error.startswith("gave up after 1 attempt;") and "cannot connect" in error
