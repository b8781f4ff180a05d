"""Why a section could not be collected, as a :class:`~mobius_gate.inventory.Section`.

* 403 with ``ErrorInfo.reason == SERVICE_DISABLED`` (or the legacy
  ``accessNotConfigured``) → ``disabled``: the API is off, so none of its
  resources exist. Unless the ``consumer`` it names is visibly *another*
  project — the gcloud CLI's own project (user ADC without a quota project),
  the credentials' quota project, or a project id that is not the target's:
  then the API is off where the call was billed, which says nothing about the
  target → ``unavailable`` with the ``set-quota-project`` fix. (A numeric
  consumer is taken to be the target's number: the target's number is not
  known without a further call.)
* any other 403 → ``unavailable`` ("permission denied listing ...").
* 401 / refresh failures → ``unavailable`` with the re-login hint.
* retries exhausted, time budget spent, anything else → ``unavailable`` with the cause.
"""

from __future__ import annotations

import google.auth.exceptions
from google.api_core import exceptions as gexc

from mobius_gate.collect.calls import DeadlineReached, RetriesExhausted, api_message, describe
from mobius_gate.collect.clients import REAUTH_HINT
from mobius_gate.inventory import Section

_LEGACY_DISABLED = {"accessNotConfigured", "SERVICE_DISABLED"}

#: Projects of the gcloud CLI's OAuth clients: user ADC without a quota project is billed there
#: (the current one is the number in google.auth._cloud_sdk.CLOUD_SDK_CLIENT_ID).
CLOUD_SDK_PROJECTS = frozenset({"projects/764086051850", "projects/32555940559"})


def disabled_service(exc: BaseException) -> str | None:
    """The API name when ``exc`` says an API is disabled (for whichever project), else None."""
    if not isinstance(exc, gexc.Forbidden):
        return None
    if exc.reason == "SERVICE_DISABLED":
        return (exc.metadata or {}).get("service") or ""
    for err in exc.errors or ():
        if isinstance(err, dict) and err.get("reason") in _LEGACY_DISABLED:
            return ""
    return None


def foreign_consumer(exc: BaseException, project: str, quota_project: str | None = None) -> str | None:
    """The ``consumer`` of a SERVICE_DISABLED error when it is visibly not ``project``, else None."""
    if not isinstance(exc, gexc.Forbidden) or exc.reason != "SERVICE_DISABLED":
        return None
    consumer = str((exc.metadata or {}).get("consumer") or "")
    if not consumer.startswith("projects/"):
        return None
    ref = consumer.removeprefix("projects/")
    if ref == project:
        return None
    if consumer in CLOUD_SDK_PROJECTS:
        return consumer
    if quota_project and quota_project != project and ref == quota_project:
        return consumer
    if not ref.isdigit():  # another project's id
        return consumer
    return None


def section_for_error(
    exc: BaseException, *, what: str, api: str, project: str, quota_project: str | None = None
) -> Section:
    """The ``disabled``/``unavailable`` section for a failure while ``what`` (e.g. "listing Redis instances").

    ``quota_project`` is the credentials' quota project (``x-goog-user-project``), if any.
    """
    service = disabled_service(exc)
    foreign = foreign_consumer(exc, project, quota_project)
    if service is not None and foreign is not None:
        return Section.unavailable(
            f"{what} failed: {service or api} is off in {foreign}, the project the call was billed to "
            f"(not {project}), so it says nothing about {project}. Bill calls to {project}: "
            f"gcloud auth application-default set-quota-project {project} (or set GOOGLE_CLOUD_QUOTA_PROJECT)"
        )
    if service is not None:
        return Section.disabled(f"{service or api} is disabled in project {project}")
    if isinstance(exc, gexc.Forbidden):
        return Section.unavailable(f"permission denied {what}: {api_message(exc)}")
    if isinstance(exc, gexc.Unauthorized | google.auth.exceptions.RefreshError):
        return Section.unavailable(f"not authenticated {what} ({_brief(exc)}). {REAUTH_HINT}")
    if isinstance(exc, RetriesExhausted):
        return Section.unavailable(f"{what} failed: {exc}")
    if isinstance(exc, DeadlineReached):
        return Section.unavailable(f"{what} not finished: {exc}")
    return Section.unavailable(f"{what} failed: {describe(exc)}")


def _brief(exc: BaseException) -> str:
    if isinstance(exc, gexc.GoogleAPICallError):
        return api_message(exc)
    return str(exc).split("\n", 1)[0]
