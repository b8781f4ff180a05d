"""The official API clients for a :class:`~mobius_gate.collect.target.Target`.

Emulator (``target.endpoint`` set): every GAPIC client uses the REST transport
with ``api_endpoint`` = the emulator URL and anonymous credentials. The GAPIC
REST base transports keep an explicit ``http://`` scheme as given (they only
prepend ``https://`` to a bare host), so requests stay on the loopback URL.

Live: Application Default Credentials with the cloud-platform scope, and the
same REST transport (one wire path for the emulator and GCP). The two APIs
without a GAPIC client in our dependency set — the Cloud Run v1 (Knative) view
and Cloud SQL Admin v1 — go over :mod:`httpx` with a bearer token from the
same credentials (none on the emulator).
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from functools import cached_property
from typing import Any

import google.auth
import google.auth.transport.requests
import httpx
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import GoogleAPICallError, format_http_response_error
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import redis_v1, resourcemanager_v3, run_v2, secretmanager_v1, service_usage_v1, vpcaccess_v1

from mobius_gate import httpclient
from mobius_gate.collect.target import CredentialsMissing, Target

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
LOGIN_HINT = (
    "No Google Cloud credentials found: run `gcloud auth application-default login` "
    "(or set GOOGLE_APPLICATION_CREDENTIALS) and retry."
)
#: For 401 / refresh failures: credentials exist but are rejected or expired.
REAUTH_HINT = (
    "Google Cloud rejected the credentials: run `gcloud auth application-default login` "
    "(or fix GOOGLE_APPLICATION_CREDENTIALS) and retry."
)
SQLADMIN_ENDPOINT = "https://sqladmin.googleapis.com"


def run_v1_endpoint(region: str) -> str:
    """The regional Cloud Run v1 endpoint (the Knative view lives only there)."""
    return f"https://{region}-run.googleapis.com"


def load_credentials(target: Target) -> Credentials:
    """Anonymous for the emulator; ADC for live GCP, or :class:`CredentialsMissing`."""
    if target.is_emulator:
        return AnonymousCredentials()
    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise CredentialsMissing(LOGIN_HINT) from None
    return credentials


class BearerAuth(httpx.Auth):
    """google-auth credentials on an httpx request, exactly as the official clients apply them.

    ``Credentials.before_request`` refreshes a stale token and sets every header
    the credentials carry: ``Authorization: Bearer ...`` and, when the
    credentials name a quota project (user ADC after ``gcloud auth
    application-default set-quota-project``, or ``GOOGLE_CLOUD_QUOTA_PROJECT``),
    ``x-goog-user-project`` — without it user credentials are billed to the
    gcloud CLI's own project, where Google answers ``SERVICE_DISABLED``.
    """

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers: dict[str, str] = {}
        with self._lock:
            self._credentials.before_request(
                google.auth.transport.requests.Request(), request.method, str(request.url), headers
            )
        request.headers.update(headers)
        yield request


def quota_project_of(credentials: Credentials | None) -> str | None:
    """The quota (billing) project the credentials send in ``x-goog-user-project``, if any."""
    value = getattr(credentials, "quota_project_id", None)
    return value if isinstance(value, str) and value else None


class Clients:
    """Lazily built clients, shared by the section collectors of one collection."""

    def __init__(self, target: Target, credentials: Credentials | None = None) -> None:
        self.target = target
        self.credentials = credentials if credentials is not None else load_credentials(target)

    def _gapic(self, cls: type) -> Any:
        options = ClientOptions(api_endpoint=self.target.endpoint) if self.target.endpoint else None
        return cls(credentials=self.credentials, transport="rest", client_options=options)

    @cached_property
    def run_services(self) -> run_v2.ServicesClient:
        return self._gapic(run_v2.ServicesClient)

    @cached_property
    def run_revisions(self) -> run_v2.RevisionsClient:
        return self._gapic(run_v2.RevisionsClient)

    @cached_property
    def redis(self) -> redis_v1.CloudRedisClient:
        return self._gapic(redis_v1.CloudRedisClient)

    @cached_property
    def vpcaccess(self) -> vpcaccess_v1.VpcAccessServiceClient:
        return self._gapic(vpcaccess_v1.VpcAccessServiceClient)

    @cached_property
    def secretmanager(self) -> secretmanager_v1.SecretManagerServiceClient:
        return self._gapic(secretmanager_v1.SecretManagerServiceClient)

    @cached_property
    def projects(self) -> resourcemanager_v3.ProjectsClient:
        """Cloud Resource Manager v3 (the project's IAM policy)."""
        return self._gapic(resourcemanager_v3.ProjectsClient)

    @cached_property
    def service_usage(self) -> service_usage_v1.ServiceUsageClient:
        return self._gapic(service_usage_v1.ServiceUsageClient)

    @cached_property
    def run_v1(self) -> JsonApi:
        """Cloud Run v1 (Knative) on the regional endpoint."""
        return JsonApi(self.target.endpoint or run_v1_endpoint(self.target.region), self._auth())

    @cached_property
    def sqladmin(self) -> JsonApi:
        """Cloud SQL Admin v1."""
        return JsonApi(self.target.endpoint or SQLADMIN_ENDPOINT, self._auth())

    def _auth(self) -> httpx.Auth | None:
        if self.target.is_emulator or isinstance(self.credentials, AnonymousCredentials):
            return None
        return BearerAuth(self.credentials)

    def close(self) -> None:
        for name in ("run_v1", "sqladmin"):
            api = self.__dict__.get(name)
            if api is not None:
                api.close()


def http_error(response: httpx.Response) -> GoogleAPICallError:
    """The ``google.api_core`` exception for an HTTP error answer, whatever its body.

    Google APIs answer ``{"error": {"code", "message", "status", "details"}}``;
    front ends and proxies may answer HTML, plain text or an OAuth-style
    ``{"error": "invalid_token", "error_description": ...}``. Each becomes the
    status's exception with a readable one-line message.
    """
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, list):
        payload = next((item for item in payload if isinstance(item, dict)), None)
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        text = " ".join(response.text.split())[:300]
        if isinstance(payload, dict) and isinstance(error, str):
            text = f"{error}: {payload.get('error_description') or ''}".rstrip(": ")
        error = {"message": text or response.reason_phrase}
    return format_http_response_error(response, response.request.method, str(response.request.url), {"error": error})


def json_object(response: httpx.Response, what: str, error: type[Exception] = ValueError) -> dict[str, Any]:
    """The JSON object of a successful response; Google's error for a 4xx/5xx; ``error`` if not an object."""
    if response.status_code >= 400:
        raise http_error(response)
    try:
        data = response.json()
    except ValueError:
        raise error(f"{what}: response is not JSON") from None
    if not isinstance(data, dict):
        raise error(f"{what}: expected a JSON object")
    return data


class JsonApi:
    """A JSON REST API over httpx; HTTP errors become ``google.api_core`` exceptions.

    Errors are parsed from the standard Google error body (``error.details`` with
    ``ErrorInfo``) exactly as the GAPIC REST transports do, so one error mapping
    serves both kinds of client.
    """

    def __init__(self, base_url: str, auth: httpx.Auth | None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpclient.client(base_url=self.base_url, auth=auth, follow_redirects=False)

    def get(self, path: str, *, params: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        response = self._client.get(path, params=params, timeout=timeout)
        return json_object(response, f"GET {response.request.url}")

    def close(self) -> None:
        self._client.close()
