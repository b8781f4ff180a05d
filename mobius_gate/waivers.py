"""Waivers: the only way to accept a deviation or an unjudged requirement (``--waivers=FILE``).

A waivers file is YAML::

    waivers:
      - requirement: DB-*            # an ID or a glob over IDs
        resource: "*"                # optional glob over the check's resource (default: every resource)
        reason: database checked by hand through the Auth Proxy (OPS-1234)
        expires: 2026-12-31          # required; the waiver stops applying the day after

An unexpired waiver turns a failing, erroring or unjudged blocking check into *waived*
(reported as such, never as a pass). An expired one applies no more: the check keeps its
outcome and the summary says which waiver expired. Malformed files are one-line usage errors
naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mobius_gate.requirements import CATALOGUE


class WaiverError(ValueError):
    """A waivers file that cannot be used; the message is one line naming the file."""


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    requirement: str = Field(min_length=1)
    resource: str = "*"
    reason: str = Field(min_length=3)
    expires: dt.date

    @field_validator("requirement")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.strip().upper()
        if not any(fnmatch.fnmatchcase(rid, value) for rid in CATALOGUE):
            raise ValueError(f"matches no requirement ID ({value}); see pytest checks --list-requirements")
        return value

    def covers(self, requirement: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(requirement, self.requirement) and fnmatch.fnmatchcase(resource, self.resource)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def label(self) -> str:
        where = "" if self.resource == "*" else f" {self.resource}"
        return f"{self.requirement}{where} until {self.expires.isoformat()} ({self.reason})"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver]


@dataclass(frozen=True)
class Decision:
    """What the waivers say about one check: the waiver that applies, or the one that expired."""

    waiver: Waiver | None = None
    expired: Waiver | None = None


@dataclass(frozen=True)
class Waivers:
    items: tuple[Waiver, ...] = ()
    today: dt.date = field(default_factory=dt.date.today)

    def decide(self, requirement: str, resource: str) -> Decision:
        expired = None
        for waiver in self.items:
            if not waiver.covers(requirement, resource):
                continue
            if not waiver.expired(self.today):
                return Decision(waiver=waiver)
            expired = expired or waiver
        return Decision(expired=expired)


def load_waivers(path: Path, today: dt.date | None = None) -> Waivers:
    """Parse and validate a waivers file; every problem is one :class:`WaiverError` line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WaiverError(f"{path}: cannot read the waivers file ({exc.__class__.__name__}: {exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise WaiverError(f"{path}{line}: {problem}") from None
    if not isinstance(data, dict):
        raise WaiverError(f"{path}: expected a mapping with a 'waivers:' list")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise WaiverError(f"{path}: {where}: {first['msg']}") from None
    return Waivers(tuple(parsed.waivers), today or dt.date.today())
