"""Validation of option values: each function returns the usable value or raises one-line usage error.

Every message names the option and the value it got, so a typo costs one line
of output and exit code 4 (``pytest.UsageError``), never a traceback and never
a silently different run (``--logs-since=0s`` read as 24 h, ``--project=``
read as the default project, ``--collect-timeout=inf`` never ending).
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest

#: Cloud Logging's longest retention (custom log buckets keep entries up to 3650 days).
MAX_LOGS_WINDOW = timedelta(days=3650)
#: Longest collection budget accepted, seconds (one hour).
MAX_COLLECT_TIMEOUT_S = 3600.0

_DURATION = re.compile(r"^(\d{1,12})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def logs_window(text: str, option: str = "--logs-since") -> timedelta:
    """``30m`` → 30 minutes; the window must be positive and at most :data:`MAX_LOGS_WINDOW`."""
    match = _DURATION.match(text.strip())
    if not match:
        raise pytest.UsageError(f"{option}: expected a duration like 30m, 24h or 7d, got {text!r}")
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise pytest.UsageError(f"{option}: the window must be positive, got {text!r}")
    seconds = amount * int(timedelta(**{_UNITS[unit]: 1}).total_seconds())
    if seconds > MAX_LOGS_WINDOW.total_seconds():
        raise pytest.UsageError(
            f"{option}: at most {MAX_LOGS_WINDOW.days}d (Cloud Logging's longest retention), got {text!r}"
        )
    return timedelta(seconds=seconds)


def collect_budget(value: float | str, option: str = "--collect-timeout") -> float:
    """A finite number of seconds in (0, :data:`MAX_COLLECT_TIMEOUT_S`]."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{option}: expected a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_COLLECT_TIMEOUT_S:
        raise pytest.UsageError(
            f"{option}: expected a number of seconds > 0 and at most {MAX_COLLECT_TIMEOUT_S:g}, got {value!r}"
        )
    return seconds


def named(value: str | None, option: str) -> str | None:
    """An identifier given on the command line (None = not given); empty or blank is an error.

    ``--project=`` must not quietly mean "the default project": a gate never
    picks a project the user did not name.
    """
    if value is None:
        return None
    if not value.strip():
        raise pytest.UsageError(f"{option}: empty value; name one or leave the option out")
    if _CONTROL.search(value):
        raise pytest.UsageError(f"{option}: {value!r} contains whitespace or control characters")
    return value


def given_path(value: str | None, option: str) -> str | None:
    """A path given on the command line (None = not given); ``--snapshot=`` is an error, not "no snapshot"."""
    if value is not None and not value.strip():
        raise pytest.UsageError(f"{option}: empty path; name one or leave the option out")
    return value


def writable_file(value: str | None, option: str) -> Path | None:
    """A file the run can create or overwrite (None = not given), checked before any work is done."""
    value = given_path(value, option)
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        raise pytest.UsageError(f"{option}: {value} is a directory, expected a file path")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise pytest.UsageError(f"{option}: {value} is not writable")
        return path
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{option}: cannot create {value}: {ancestor} is not a writable directory")
    return path


def requirement_ids(
    value: str | None, catalogue: Iterable[str], option: str = "--requirement"
) -> frozenset[str] | None:
    """``--requirement=ID[,ID]``: IDs or globs (``SVC-*``) over the catalogue; None = not given.

    Empty (``--requirement=``) is an error, not "every requirement"; a pattern matching no ID is
    an error naming it (a typo would otherwise select nothing, or everything).
    """
    if value is None:
        return None
    known = list(catalogue)
    patterns = [part.strip().upper() for part in value.split(",") if part.strip()]
    if not patterns:
        raise pytest.UsageError(f"{option}: empty value; name a requirement ID or a glob such as SVC-*")
    selected: set[str] = set()
    unknown = []
    for pattern in patterns:
        matched = fnmatch.filter(known, pattern)
        selected.update(matched)
        if not matched:
            unknown.append(pattern)
    if unknown:
        raise pytest.UsageError(
            f"{option}: {', '.join(unknown)} matches no requirement ID; see pytest checks --list-requirements"
        )
    return frozenset(selected)


def emulator_ref(value: str | None, scenario_dir: Path, option: str = "--emulator") -> str | None:
    """``--emulator``: a bundled scenario name, an existing scenario file, or an http(s) URL (probed later).

    Checked at configure time, so ``--emulator=prd`` is one line before any collection.
    """
    value = named(value, option)
    if value is None:
        return value
    if value.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError as exc:
            raise pytest.UsageError(f"{option}: {value!r} is not a usable URL ({exc})") from None
        if not parts.hostname:
            raise pytest.UsageError(f"{option}: {value!r} names no host")
        return value
    if "://" in value:
        raise pytest.UsageError(f"{option}: {value!r}: only http:// and https:// URLs name a running emulator")
    if value.endswith((".yaml", ".yml")) or "/" in value:
        if not Path(value).is_file():
            raise pytest.UsageError(f"{option}: no such scenario file: {value}")
        return value
    bundled = sorted(p.stem for p in scenario_dir.glob("*.yaml"))
    if value not in bundled:
        raise pytest.UsageError(
            f"{option}: unknown scenario {value!r}; bundled scenarios: {', '.join(bundled)} "
            "(or a scenario file path, or the URL of a running emulator)"
        )
    return value


def database_url(value: str | None, option: str = "--db-url") -> str | None:
    """A PostgreSQL URL (``postgresql://…`` / ``postgres://…``); anything else is one usage line.

    The value may carry a password: the message never repeats it, only its scheme.
    """
    if value is None:
        return None
    if not value.strip():
        raise pytest.UsageError(f"{option}: empty value; give a postgresql:// URL or leave the option out")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("postgresql", "postgres") or not rest:
        shown = f"a {scheme}:// URL" if sep else "not a URL"
        raise pytest.UsageError(
            f"{option}: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE, got {shown} "
            "(the value is not repeated: it may hold a password)"
        )
    return value
