"""Where a credential hides in a string: by its name, by its shape, by its place.

The one detector the gate has. :mod:`mobius_gate.redact` masks or seals what it
finds before anything enters the inventory or an output, and SVC-PLAINTEXT-CREDS
asks :func:`credential_kind` why a plain env value is a credential. Names and
shapes are :mod:`mobius_gate.credential_words`; this module knows the *places*
(:data:`PATTERNS`), i.e. how a message is tokenised into key and value:

* **URL userinfo**: ``scheme://user:PASSWORD@host`` — the password runs to the
  ``@`` that starts the host, so it may hold ``@``, ``/`` and up to three spaces
  (``postgresql://app:two words@/db``); ``scheme://TOKEN@host``.
* **Key and value**: a credential-named key (:func:`is_secret_name`) then ``=``,
  ``:`` (with or without a space), `` is `` or — after ``password``/``passwd``/
  ``pwd``/``passphrase`` — whitespace; quoted values are taken whole.
* **Query parameters**: every ``?``/``&`` parameter with a credential name or an
  OAuth/signature name (``code``, ``sig``, ``X-Goog-Signature``, ``access_token``).
* **Command-line flags**: ``--NAME VALUE``, ``--NAME=VALUE``, ``-NAME VALUE`` with a
  credential name (``--secret``, ``--requirepass``, ``--api-key``), also inside a
  printed list (``--token, VALUE``); ``-a VALUE`` (redis-cli) and ``-pVALUE`` (mysql).
* **Headers and schemes**: ``Authorization:``/``Proxy-Authorization:`` (its
  credential, after an optional scheme), ``Cookie:``/``Set-Cookie:`` (the whole
  value), ``Bearer``/``Basic``/``Digest``/``Token`` in any case.
* **Shapes**: known key prefixes, JWTs and random-looking tokens anywhere.

What is left alone: references (``--secret=jwt-secret``, ``jwt-secret:latest``),
placeholders, states (``hub-token=absent``), prose (``password is incorrect``,
``bearer token``), ``name: reason`` where the name has a hyphen (every verdict
starts ``[ID] resource: reason``), ports (``--port 8080``, ``-p 6379``,
``host:5432/db``) and names that are *about* a credential (``token_count=3``).
A detector, not a proof: a credential of no known shape under an ordinary name
(``MY_SETTING=hunter2``) is not found; collectors therefore also seal every value
of a secret-named variable whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from mobius_gate.credential_words import (
    FINGERPRINT,
    REFERENCE_FLAGS,
    TOKEN_RUN,
    TOKEN_SHAPES,
    is_plain_value,
    is_reference,
    is_reference_flag,
    is_secret_name,
    is_wordlike,
    looks_random,
)

__all__ = [
    "FINGERPRINT",
    "PATTERNS",
    "REFERENCE_FLAGS",
    "TOKEN_SHAPES",
    "credential_kind",
    "credential_spans",
    "is_plain_value",
    "is_reference",
    "is_reference_flag",
    "is_secret_name",
    "looks_random",
    "url_has_password",
]

#: Query parameters that carry a credential though their names do not say so.
QUERY_CREDENTIALS = frozenset(
    {"code", "sig", "jwt", "session", "sessionid", "sid", "auth", "assertion", "client_assertion", "otp", "ticket"}
)
#: Short flags that take a password: redis-cli ``-a PASSWORD``.
SHORT_PASSWORD_FLAGS = frozenset({"a"})


@dataclass(frozen=True)
class Pattern:
    """Where a credential stands: ``regex``'s ``secret`` group, when ``applies`` to the match."""

    regex: re.Pattern[str]
    applies: Callable[[re.Match[str]], bool] = lambda m: True


def _value(match: re.Match[str]) -> str:
    return match.group("secret").strip("'\"")


def _named(match: re.Match[str]) -> bool:
    """The key names a credential and the value is not a reference, a placeholder or a state."""
    name = match.group("name")
    return is_secret_name(name) and not is_plain_value(_value(match), name)


def _named_colon(match: re.Match[str]) -> bool:
    """``password:X`` — but ``secret:2`` right after the colon is a version, not a password."""
    tight = match.group("sep") == ":"
    return _named(match) and not (tight and _value(match).isdigit())


def _named_prose(match: re.Match[str]) -> bool:
    """``password is X``, ``password X``, ``bearer X``: X is a credential unless it is a word."""
    name = match.group("name") if "name" in match.re.groupindex else ""
    value = _value(match)
    return not is_wordlike(value) and not is_plain_value(value, name) and (not name or is_secret_name(name))


def _query(match: re.Match[str]) -> bool:
    name = match.group("name")
    named = is_secret_name(name) or name.lower() in QUERY_CREDENTIALS
    return named and not is_plain_value(_value(match), name)


#: The start of a key: not inside another word, name or flag.
_LEFT = r"(?<![A-Za-z0-9_\-.])"
#: A key name: ``DB_PASS``; with ``-``/``.`` inside only before ``=`` (``api-key=``, ``X-Goog-Signature=``).
_KEY = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED_KEY = r"[A-Za-z_][A-Za-z0-9_]*(?:[\-.][A-Za-z0-9_]+)*"
#: A scalar value: quoted, or up to a separator (never a ``{`` or ``[`` opening a structure).
_VALUE = r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;&'\"{\[][^\s,;&'\"]*)"
#: A flag's value: as :data:`_VALUE`, but never another flag.
_FLAG_VALUE = r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;&'\"{\[\-\]][^\s,;&'\"\]]*)"
#: Between a flag and its value: ``=``, spaces, or a printed list's ``', '`` / ``, ``.
_FLAG_SEP = r"(?:=|\s+|',\s*'|\",\s*\"|,\s*)"
#: The ``@`` that starts a URL's host: host (maybe empty), port, then the path, query or the end of the token.
_HOST_AT = r"@[A-Za-z0-9.\-\[\]%_]*(?::\d+)?(?=[/?#'\",;)\]\s]|\Z)"
_SCHEME = r"[A-Za-z][A-Za-z0-9+.\-]*://"
_SCHEMES = r"(?i:bearer|basic|digest|token|negotiate)"

#: Every place a credential can stand, in the order they are tried (overlaps merge).
PATTERNS: tuple[Pattern, ...] = (
    # scheme://user:PASSWORD@host — '@', '/' and up to three spaces inside; 'host:5432/db' is a port
    Pattern(
        re.compile(
            _SCHEME + r"[^\s/@:]*:(?!\d+(?:[/?#\s]|\Z))"
            r"(?P<secret>\S+?(?:[ \t]+\S+?){0,3}?)(?=" + _HOST_AT + ")"
        )
    ),
    # scheme://TOKEN@host: a long token alone in the userinfo
    Pattern(re.compile(_SCHEME + r"(?P<secret>[A-Za-z0-9_\-.~]{20,})(?=@)")),
    Pattern(re.compile(f"(?P<secret>{TOKEN_SHAPES.pattern})")),
    # Authorization: [scheme] CREDENTIAL (HTTP headers, also as a JSON/YAML key)
    Pattern(
        re.compile(
            r"(?i:(?<![A-Za-z0-9_\-])[\"']?(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
            rf"(?:{_SCHEMES}\s+)?(?P<secret>[^\s,;'\"]+)"
        ),
        lambda m: not is_plain_value(_value(m)),
    ),
    # Cookie: / Set-Cookie: — every cookie, to the end of the line
    Pattern(re.compile(r"(?i:(?<![A-Za-z0-9_\-])(?:set-)?cookie[\"']?\s*:\s*[\"']?)(?P<secret>[^\r\n'\"]+)")),
    # Bearer X, bearer X, Token X (any case)
    Pattern(
        re.compile(rf"(?<![A-Za-z0-9_\-]){_SCHEMES}\s+(?P<secret>[A-Za-z0-9][A-Za-z0-9\-._~+/=:]{{3,}})"), _named_prose
    ),
    # password X, passwd X: whitespace after a password word
    Pattern(
        re.compile(r"(?<![A-Za-z0-9_\-])(?P<name>(?i:password|passwd|pwd|passphrase|passcode))\s+" + _VALUE),
        _named_prose,
    ),
    # NAME=value (query strings, libpq DSNs, env lists, log lines), api-key=value, X-Goog-Signature=value
    Pattern(re.compile(_LEFT + f"(?P<name>{_DOTTED_KEY})" + r"\s*=\s*" + _VALUE), _named),
    # every query parameter with a credential name: ?sig=..&X-Amz-Signature=..&code=..
    Pattern(re.compile(r"(?<=[?&;])(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)=(?P<secret>[^&#\s'\"]+)"), _query),
    # password is X
    Pattern(re.compile(_LEFT + f"(?P<name>{_KEY})" + r"\s+(?:is|was)\s+" + _VALUE), _named_prose),
    # --flag=value, --flag value, -flag value (also inside a printed list: '--flag', 'value' / --flag, value)
    Pattern(re.compile(r"(?<![A-Za-z0-9_\-])--?(?P<name>[A-Za-z][A-Za-z0-9_\-]+)" + _FLAG_SEP + _FLAG_VALUE), _named),
    # -a PASSWORD (redis-cli), -pPASSWORD (mysql; -p6379 is a port)
    Pattern(
        re.compile(r"(?<![A-Za-z0-9_\-])-a" + _FLAG_SEP.replace("=|", "") + _FLAG_VALUE),
        lambda m: not is_plain_value(_value(m)),
    ),
    Pattern(
        re.compile(r"(?<![A-Za-z0-9_\-])-p(?P<secret>[^\s,;'\"=\-][^\s,;'\"]*)"), lambda m: not _value(m).isdigit()
    ),
    # "password": "x" (JSON), password: x, password:x (YAML, logs), X-Api-Key: x (headers)
    Pattern(
        re.compile(
            _LEFT + r"[\"']?(?P<name>" + _KEY + r"|[Xx]-[A-Za-z\-]+)[\"']?\s*(?P<sep>:\s*)"
            r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;}&'\"{\[][^\s,;}&'\"]*)"
        ),
        _named_colon,
    ),
    Pattern(TOKEN_RUN, lambda m: looks_random(m.group(0).rstrip("="))),
)


def _matches(pattern: Pattern, text: str) -> Iterator[tuple[int, int]]:
    """Spans of ``pattern``'s secrets; a match that does not apply is searched again inside its value."""
    pos = 0
    while (match := pattern.regex.search(text, pos)) is not None:
        group = "secret" if "secret" in pattern.regex.groupindex else 0
        start, end = match.span(group)
        if end > start and pattern.applies(match):
            yield start, end
            pos = match.end()
        else:  # e.g. --set-env-vars=JWT_SECRET=x: the outer name is plain, the inner one is not
            pos = start if start > match.start() else match.start() + 1


def credential_spans(text: str) -> list[tuple[int, int]]:
    """Where credentials stand in ``text``: sorted, overlapping spans merged; fingerprints excluded.

    Texts up to :data:`_CACHED_TEXT_MAX` characters (reasons, fixes, env values, which a run
    redacts many times over) are remembered with their spans; longer ones (log payloads) are not.
    """
    return list(_cached_spans(text) if len(text) <= _CACHED_TEXT_MAX else _spans(text))


def _spans(text: str) -> tuple[tuple[int, int], ...]:
    spans = sorted(span for pattern in PATTERNS for span in _matches(pattern, text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple((s, e) for s, e in merged if not _already_sealed(text[s:e]))


_CACHED_TEXT_MAX = 4096
_cached_spans = functools.lru_cache(maxsize=4096)(_spans)


def _already_sealed(secret: str) -> bool:
    bare = secret.strip("'\"")
    return bare == "***" or bool(FINGERPRINT.fullmatch(bare))


def url_has_password(value: str) -> bool:
    """True when ``value`` is a URL carrying a non-empty password in its userinfo."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    if not parts.scheme or not parts.netloc or "@" not in parts.netloc:
        return False
    userinfo = parts.netloc.rsplit("@", 1)[0]
    return ":" in userinfo and bool(userinfo.split(":", 1)[1])


def credential_kind(name: str, value: str | None) -> str | None:
    """Why a plain env value is a credential (never the credential itself), else None.

    Works on raw and on sealed values alike: a seal's fingerprint marks where a
    credential was.
    """
    if not value or not value.strip():
        return None
    if url_has_password(value):
        return "URL with user:password@"
    if is_secret_name(name):
        return "secret-looking name with a plain value"
    bare = value.strip()
    if FINGERPRINT.fullmatch(bare) or TOKEN_SHAPES.fullmatch(bare) or looks_random(bare):
        return "credential-shaped value"
    if FINGERPRINT.search(value) or credential_spans(value):
        return "embedded password/token"
    return None
