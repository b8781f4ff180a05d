"""The live-GCP code paths that the emulator cannot exercise, checked as pure functions.

Nothing here opens a connection: credentials refresh locally, errors are built
the way ``google.api_core`` builds them from Google's JSON error body.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import google.auth.credentials
import google.auth.exceptions
import httpx
import pytest
import requests
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials as OAuthCredentials

from mobius_gate.collect.calls import CallContext, is_transient
from mobius_gate.collect.clients import BearerAuth, Clients, http_error, quota_project_of
from mobius_gate.collect.errors import CLOUD_SDK_PROJECTS, foreign_consumer, section_for_error
from mobius_gate.collect.logs import LogReader, log_filter
from mobius_gate.collect.normalize import sql_from_wire
from mobius_gate.collect.sql import sql_section
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.collect.vector import VectorQueryError, index_dimensions, served_endpoint_name
from mobius_gate.inventory import SqlInstance

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
PROJECT = "mobiusos-new"


def google_error(code: int, message: str, **info: object) -> gexc.GoogleAPICallError:
    details = [{"@type": ERROR_INFO, **info}] if info else []
    return gexc.from_http_status(code, message, details=details, error_info=details[0] if details else None, errors=())


def service_disabled(consumer: str, service: str = "serviceusage.googleapis.com") -> gexc.GoogleAPICallError:
    number = consumer.removeprefix("projects/")
    return google_error(
        403,
        f"Service Usage API has not been used in project {number} before or it is disabled.",
        reason="SERVICE_DISABLED",
        domain="googleapis.com",
        metadata={"service": service, "consumer": consumer},
    )


def first_request(
    auth: httpx.Auth, url: str = "https://sqladmin.googleapis.com/v1/projects/p/instances"
) -> httpx.Request:
    return next(auth.auth_flow(httpx.Request("GET", url)))


# --- auth on the httpx calls (Cloud Run v1, Cloud SQL Admin, Vertex AI) ---


def test_bearer_auth_sends_the_quota_project_of_user_credentials() -> None:
    creds = OAuthCredentials(token="ya29.user", quota_project_id=PROJECT)
    request = first_request(BearerAuth(creds))
    assert request.headers["Authorization"] == "Bearer ya29.user"
    assert request.headers["x-goog-user-project"] == PROJECT
    assert quota_project_of(creds) == PROJECT


def test_bearer_auth_sends_no_quota_header_without_a_quota_project() -> None:
    request = first_request(BearerAuth(OAuthCredentials(token="ya29.sa")))
    assert "x-goog-user-project" not in request.headers
    assert quota_project_of(OAuthCredentials(token="t")) is None
    assert quota_project_of(AnonymousCredentials()) is None


class _CountingCredentials(google.auth.credentials.Credentials):
    """Credentials whose refresh is local: a new token each time, valid for an hour."""

    def __init__(self) -> None:
        super().__init__()
        self.refreshes = 0

    def refresh(self, request: object) -> None:
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"
        self.expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)


def test_bearer_auth_refreshes_a_stale_token_once_and_reuses_it() -> None:
    creds = _CountingCredentials()
    auth = BearerAuth(creds)
    assert first_request(auth).headers["Authorization"] == "Bearer token-1"
    assert first_request(auth).headers["Authorization"] == "Bearer token-1"
    assert creds.refreshes == 1
    creds.expiry = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)  # expired
    assert first_request(auth).headers["Authorization"] == "Bearer token-2"


def test_live_json_apis_carry_the_quota_project() -> None:
    clients = Clients(Target(PROJECT, "us-central1"), credentials=OAuthCredentials(token="t", quota_project_id=PROJECT))
    try:
        auth = clients.run_v1._client.auth
        url = f"https://us-central1-run.googleapis.com/apis/serving.knative.dev/v1/namespaces/{PROJECT}/services"
        assert first_request(auth, url).headers["x-goog-user-project"] == PROJECT
    finally:
        clients.close()


# --- SERVICE_DISABLED for another project is not "disabled here" ---


@pytest.mark.parametrize("consumer", sorted(CLOUD_SDK_PROJECTS))
def test_disabled_in_the_gcloud_project_is_unavailable_with_the_quota_fix(consumer: str) -> None:
    exc = service_disabled(consumer)
    got = section_for_error(exc, what="listing enabled APIs", api="serviceusage.googleapis.com", project=PROJECT)
    assert got.status == "unavailable"
    assert consumer in got.cause
    assert f"gcloud auth application-default set-quota-project {PROJECT}" in got.cause


def test_disabled_in_the_quota_project_is_unavailable() -> None:
    exc = service_disabled("projects/billing-home", service="redis.googleapis.com")
    got = section_for_error(
        exc, what="listing Redis instances", api="redis.googleapis.com", project=PROJECT, quota_project="billing-home"
    )
    assert got.status == "unavailable"
    assert "billing-home" in got.cause


@pytest.mark.parametrize("consumer", [f"projects/{PROJECT}", "projects/418277465010", ""])
def test_disabled_in_the_target_or_an_unknown_number_stays_disabled(consumer: str) -> None:
    exc = service_disabled(consumer, service="redis.googleapis.com")
    assert foreign_consumer(exc, PROJECT) is None
    got = section_for_error(exc, what="listing Redis instances", api="redis.googleapis.com", project=PROJECT)
    assert (got.status, got.cause) == ("disabled", f"redis.googleapis.com is disabled in project {PROJECT}")


def test_quota_project_equal_to_the_target_changes_nothing() -> None:
    exc = service_disabled(f"projects/{PROJECT}")
    assert foreign_consumer(exc, PROJECT, quota_project=PROJECT) is None


# --- retry classification ---


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_transient(code: int) -> None:
    assert is_transient(gexc.from_http_status(code, "try again"))


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 412])
def test_client_errors_are_not_retried(code: int) -> None:
    assert not is_transient(gexc.from_http_status(code, "no"))


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        requests.exceptions.ConnectionError("reset"),
        requests.exceptions.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection"),
        gexc.DeadlineExceeded("deadline"),
        google.auth.exceptions.TransportError("token endpoint unreachable"),
    ],
)
def test_wire_faults_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [ValueError("bad json"), google.auth.exceptions.RefreshError("invalid_grant")])
def test_other_failures_are_not_transient(exc: BaseException) -> None:
    assert not is_transient(exc)


def _ctx(attempts: int = 4) -> CallContext:
    options = CollectOptions(retry_attempts=attempts, retry_initial_s=0.001, retry_max_s=0.002)
    target = Target(PROJECT, "us-central1", endpoint="http://127.0.0.1:9")
    return CallContext(target, options, time.monotonic() + 30, lambda: Clients(target))


def test_a_404_is_raised_after_one_attempt() -> None:
    calls: list[float] = []

    def fetch(timeout: float) -> None:
        calls.append(timeout)
        raise gexc.NotFound("no such instance")

    with pytest.raises(gexc.NotFound):
        _ctx().call(fetch)
    assert len(calls) == 1


def test_a_503_is_retried_until_it_succeeds() -> None:
    calls: list[float] = []

    def fetch(timeout: float) -> str:
        calls.append(timeout)
        if len(calls) < 3:
            raise gexc.ServiceUnavailable("backend busy")
        return "ok"

    assert _ctx().call(fetch) == "ok"
    assert len(calls) == 3


# --- Vertex AI Vector Search ---


def test_find_neighbors_uses_the_endpoint_name_google_returns() -> None:
    described = {"name": "projects/418277465010/locations/us-central1/indexEndpoints/123"}
    requested = f"projects/{PROJECT}/locations/us-central1/indexEndpoints/123"
    assert served_endpoint_name(described, requested) == described["name"]
    assert served_endpoint_name({}, requested) == requested
    assert served_endpoint_name({"name": "garbage"}, requested) == requested


@pytest.mark.parametrize(("value", "expected"), [(768, 768), ("16", 16)])
def test_index_dimensions_from_the_index_metadata(value: object, expected: int) -> None:
    assert index_dimensions({"metadata": {"config": {"dimensions": value}}}) == expected


@pytest.mark.parametrize("index", [{}, {"metadata": {"config": {}}}, {"metadata": {"config": {"dimensions": "x"}}}])
def test_index_without_dimensions_is_a_one_line_error_not_a_guess(index: dict) -> None:
    with pytest.raises(VectorQueryError, match="dimensions"):
        index_dimensions({"name": "projects/1/locations/us-central1/indexes/9", **index})


# --- Cloud Logging ---


def test_log_filter_is_one_documented_query_with_an_rfc3339_utc_timestamp() -> None:
    since = datetime(2026, 11, 28, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    query = log_filter(["chat-worker", "ingest-worker"], ['worker "ready"'], since)
    assert query.startswith('resource.type="cloud_run_revision" AND ')
    assert 'resource.labels.service_name=("chat-worker" OR "ingest-worker")' in query
    assert 'timestamp>="2026-11-27T23:30:00Z"' in query
    assert 'textPayload:("worker \\"ready\\"" OR "Shutting down" OR ' in query  # uvicorn's stop lines too
    assert "severity>=ERROR" in query


def test_log_reader_loggers_never_detect_the_resource() -> None:
    """entries.list parsing builds a logger per log name; the reader's loggers get a fixed resource."""
    reader = LogReader(project=PROJECT, credentials=AnonymousCredentials(), _use_grpc=False)
    logger = reader.logger("projects/mobiusos-new/logs/run.googleapis.com%2Fstdout")
    assert logger.default_resource.type == "global"


# --- Cloud SQL Admin: REGION_UNREACHABLE warnings ---


def _instance() -> SqlInstance:
    return sql_from_wire({"name": "chat-db", "connectionName": f"{PROJECT}:us-central1:chat-db", "state": "RUNNABLE"})


def test_sql_list_without_warnings_is_ok() -> None:
    got = sql_section([_instance()], [], "us-central1")
    assert (got.status, got.cause, [i.name for i in got.items]) == ("ok", None, ["chat-db"])


@pytest.mark.parametrize("region", ["us-central1", None])
def test_sql_list_missing_the_target_region_is_unavailable(region: str | None) -> None:
    warning = {"code": "REGION_UNREACHABLE", "message": "region unreachable", **({"region": region} if region else {})}
    got = sql_section([], [warning], "us-central1")
    assert got.status == "unavailable"
    assert "may be incomplete" in got.cause


def test_sql_list_missing_another_region_is_kept_with_a_note() -> None:
    warnings = [{"code": "REGION_UNREACHABLE", "region": "europe-west1"}, {"code": "INTERNAL_STATE_FAILURE"}]
    got = sql_section([_instance()], warnings, "us-central1")
    assert got.status == "ok"
    assert [i.name for i in got.items] == ["chat-db"]
    assert "europe-west1" in got.cause


# --- HTTP error answers of the httpx calls ---


def _answer(status: int, **kwargs: object) -> httpx.Response:
    request = httpx.Request("GET", "https://sqladmin.googleapis.com/v1/projects/p/instances")
    return httpx.Response(status, request=request, **kwargs)


def test_google_error_body_keeps_its_error_info() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Cloud SQL Admin API has not been used in project 418277465010 before or it is disabled.",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": ERROR_INFO,
                    "reason": "SERVICE_DISABLED",
                    "metadata": {"service": "sqladmin.googleapis.com", "consumer": "projects/418277465010"},
                }
            ],
        }
    }
    exc = http_error(_answer(403, json=body))
    assert isinstance(exc, gexc.Forbidden)
    assert exc.reason == "SERVICE_DISABLED"
    assert section_for_error(exc, what="listing", api="sqladmin.googleapis.com", project=PROJECT).status == "disabled"


def test_html_bad_gateway_is_a_transient_502_with_its_text() -> None:
    exc = http_error(_answer(502, text="<html><body>502. That's an error.</body></html>"))
    assert isinstance(exc, gexc.BadGateway) and is_transient(exc)
    assert "That's an error" in exc.message


def test_oauth_style_error_body_is_a_401_not_a_crash() -> None:
    exc = http_error(_answer(401, json={"error": "invalid_token", "error_description": "Invalid Credentials"}))
    assert isinstance(exc, gexc.Unauthorized)
    assert "invalid_token: Invalid Credentials" in exc.message
    assert not is_transient(exc)
