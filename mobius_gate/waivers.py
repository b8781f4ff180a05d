"""Waivers: the only way to accept a deviation or an unjudged requirement (``--waivers=FILE``).

A waivers file is YAML::

    waivers:
      - requirement: DB-*            # an ID or a glob over IDs
        resource: "*"                # optional glob over the check's resource (default: every resource)
        reason: database checked by hand through the Auth Proxy (OPS-1234)
        expires: 2026-12-31          # required; the waiver stops applying the day after

An unexpired waiver turns a failing, erroring or unjudged blocking check into *waived*
(reported as such, never as a pass). An expired one applies no more: the check keeps its
outcome and the summary says which waiver expired. A waiver that covers no check of the
run is named in the summary (a typo in an ID or a resource waives nothing).

A waiver covers requirements of one phase at most: ``*`` or ``*-*`` would turn any
failing release into PASS, so a glob matching requirements of two phases is refused.

The file is read strictly (:mod:`mobius_gate.strict_input`: repeated keys, control
characters, deep nesting are refused); every problem — an impossible date such as
``2026-02-30`` included — is one :class:`WaiverError` line naming the file and the line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mobius_gate.requirements import CATALOGUE
from mobius_gate.strict_input import InputError, decode_utf8, yaml_documents


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
        matched = [rid for rid in CATALOGUE if fnmatch.fnmatchcase(rid, value)]
        if not matched:
            raise ValueError(f"matches no requirement ID ({value}); see pytest checks --list-requirements")
        phases = sorted({CATALOGUE[rid].phase for rid in matched})
        if len(phases) > 1:
            raise ValueError(
                f"{value} would waive requirements of {len(phases)} phases ({', '.join(phases)}): a blanket "
                "waiver turns any failing release into PASS; waive one phase at most (e.g. DB-*) or name the IDs"
            )
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

    def unused(self, checks: Iterable[tuple[str, str]], *, partial: bool = False) -> list[Waiver]:
        """Waivers covering none of ``checks`` (requirement, resource): typos, or deviations already fixed.

        On a narrowed run (``partial``) a waiver whose requirement did not run at all is not reported.
        """
        checks = list(checks)
        ran = {requirement for requirement, _ in checks}
        return [
            w
            for w in self.items
            if not any(w.covers(r, s) for r, s in checks)
            and not (partial and not any(fnmatch.fnmatchcase(r, w.requirement) for r in ran))
        ]


def load_waivers(path: Path, today: dt.date | None = None) -> Waivers:
    """Parse and validate a waivers file; every problem is one :class:`WaiverError` line naming its line."""
    try:
        text = decode_utf8(path.read_bytes())
        documents = yaml_documents(text)
    except OSError as exc:
        raise WaiverError(
            f"{path}: cannot read the waivers file ({exc.__class__.__name__}: {exc.strerror or exc})"
        ) from None
    except InputError as exc:
        raise WaiverError(exc.where(path)) from None
    if len(documents) > 1:
        raise WaiverError(f"{path}:{documents[1][0].start_mark.line + 1}: a second YAML document; expected one")
    node, data = documents[0] if documents else (None, None)
    if not isinstance(data, dict):
        raise WaiverError(f"{path}: expected a mapping with a 'waivers:' list")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        line = _line_of(node, first["loc"])
        raise WaiverError(f"{path}:{line}: {where}: {first['msg']}") from None
    return Waivers(tuple(parsed.waivers), today or dt.date.today())


def _line_of(node: Any, loc: Iterable[Any]) -> int:
    """The 1-based line of the value at ``loc`` (as deep as the file has it: a missing key → its mapping)."""
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if match is None:
                break
            node, line = match[1], match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
