"""Cloud Run revisions as the inventory keeps them, and the Rollback Plan's target among them.

A :class:`~mobius_gate.inventory.Service` carries its revisions newest first (Run v2
``revisions.list``); :func:`previous_ready` picks the revision the checklist's Rollback Plan
sends traffic back to (``update-traffic --to-revisions=PREVIOUS=100``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Where a fix names the previous revision when the revisions could not be listed.
PREVIOUS_REVISION = "<previous-revision>"


class Revision(BaseModel):
    """One revision of a Cloud Run service."""

    model_config = ConfigDict(extra="forbid")

    name: str  # short id (``mobius-rag-00002-x7k``)
    #: Its Ready condition: True, False (failed to start), None (not settled, or not reported).
    ready: bool | None = None
    create_time: str | None = None


def previous_ready(revisions: list[Revision] | None, latest: str | None) -> str | None:
    """The newest ready revision other than ``latest`` (the latest created one), or None.

    None also when the revisions were not listed (``revisions`` None): unknown, not absent.
    """
    if not revisions:
        return None
    latest = latest or revisions[0].name
    return next((r.name for r in revisions if r.name != latest and r.ready), None)
