"""Where a credential hides in a string: by its name, by its shape, by its place in a URL.

The one detector the gate has. :mod:`mobius_gate.redact` masks or seals what it
finds before anything enters the inventory or an output, and SVC-PLAINTEXT-CREDS
asks :func:`credential_kind` why a plain env value is a credential.

* **Names** (:func:`is_secret_name`): ``*PASSWORD*``, ``*PASS*``, ``*SECRET*``,
  ``*TOKEN*``, ``*_KEY``, ``*_SK``, ``*_AUTH``, ``*CREDENTIAL*``... as words of an
  env var, flag, query or JSON key name — but not ``*_NAME``/``*_ID``/``*_URL``/
  ``*_FILE`` (they name or locate a secret) nor ``PUBLIC_KEY``, ``CACHE_KEY``...
* **Shapes** (:data:`TOKEN_SHAPES`): well-known key prefixes (Google ``AIza``,
  ``ya29.``, ``GOCSPX-``; OpenAI/Anthropic ``sk-``; Stripe ``sk_live_``; GitHub,
  GitLab, Slack, AWS, SendGrid, npm, PyPI, Hugging Face; JWTs; PEM private keys)
  and random-looking tokens (:func:`looks_random`).
* **Places** (:data:`PATTERNS`): ``scheme://user:PASSWORD@``, ``scheme://TOKEN@``,
  ``NAME=value`` and ``--flag[= ]value`` with a secret name, ``"name": value``,
  ``Bearer``/``Basic`` credentials.

A detector, not a proof: a credential of no known shape under an ordinary name
(``MY_SETTING=hunter2``) is not found. Collectors therefore also seal every
value of a secret-named variable whole, whatever it looks like.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Words that make a name secret wherever they stand (``DB_PASS``, ``CLIENT_SECRET``, ``AUTH_TOKEN``).
_SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "PASSCODE", "SECRET", "TOKEN", "CREDENTIAL",
        "CREDENTIALS", "CREDS", "APIKEY", "SIG", "SIGNATURE",
    }
)  # fmt: skip
#: Substrings that make one word secret (``DBPASSWORD``, ``CLIENTSECRET``).
_SECRET_INFIXES = ("PASSWORD", "PASSWD", "SECRET", "APIKEY")
#: Words that make a name secret only as its last word (``OPENAI_KEY``, ``STRIPE_SK``, ``REDIS_AUTH``).
_SECRET_LAST_WORDS = frozenset({"KEY", "SK", "AUTH"})
#: ``*_KEY`` names that are not credentials.
_PLAIN_KEYS = frozenset(
    {
        "PUBLIC", "PUBLISHABLE", "SITE", "CACHE", "PARTITION", "SORT", "ROUTING", "PRIMARY", "FOREIGN",
        "IDEMPOTENCY", "OBJECT", "LOOKUP", "SHARD", "DEDUP", "QUEUE", "STREAM", "LOCK", "INDEX",
    }
)  # fmt: skip
#: Last words that make a name *about* a secret, not the secret (``JWT_SECRET_NAME``, ``TOKEN_URL``).
_ABOUT_WORDS = frozenset(
    {
        "NAME", "NAMES", "ID", "IDS", "PATH", "FILE", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TTL",
        "EXPIRY", "EXPIRES", "EXPIRATION", "LENGTH", "LEN", "SIZE", "HEADER", "VERSION", "REF", "TYPE",
        "ENABLED", "DISABLED", "REQUIRED", "FIELD", "PARAM", "KIND", "MODE", "PROVIDER", "SCOPE", "SCOPES",
        "AUDIENCE", "ISSUER", "ALGORITHM", "ALG", "LIFETIME", "TIMEOUT", "SECONDS", "MINUTES", "HOURS", "DAYS",
        "COUNT", "LIMIT", "MAX", "MIN", "PREFIX", "POLICY", "ROTATION", "PROJECT", "LOCATION", "REGION",
    }
)  # fmt: skip
#: gcloud flags whose values *reference* Secret Manager secrets (``--update-secrets=X=jwt-secret:latest``).
REFERENCE_FLAGS = frozenset({"secret", "secrets", "set-secrets", "update-secrets", "remove-secrets", "clear-secrets"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")

#: The fingerprint :func:`mobius_gate.redact.seal` leaves where a credential was.
FINGERPRINT = re.compile(r"redacted-[0-9a-f]{8}")


def _words(name: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).upper()) if w]


def is_secret_name(name: str) -> bool:
    """True when a variable, flag or key name says its value is a credential (``DB_PASS``, ``api-token``)."""
    words = _words(name)
    if not words or words[-1] in _ABOUT_WORDS:
        return False
    if words[-1] in _SECRET_LAST_WORDS and (len(words) == 1 or words[-2] not in _PLAIN_KEYS):
        return True
    return any(w in _SECRET_WORDS or any(i in w for i in _SECRET_INFIXES) for w in words)


def is_reference(value: str) -> bool:
    """``jwt-secret:latest`` names a Secret Manager version; ``<token>`` is a placeholder: neither is a value."""
    return bool(re.fullmatch(r"[A-Za-z0-9_\-]+:(latest|\d+)|<[^<>]+>", value))


#: Well-known credential shapes, wherever they appear.
TOKEN_SHAPES = re.compile(
    r"(?<![A-Za-z0-9_\-])(?:"
    r"AIza[0-9A-Za-z_\-]{35}|ya29\.[0-9A-Za-z_\-.]{8,}|GOCSPX-[0-9A-Za-z_\-]{20,}"
    r"|sk-(?:proj-|svcacct-|admin-|ant-[a-z]+\d*-)?[A-Za-z0-9_\-]{20,}"
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_\-]{20,}"
    r"|xox[abeprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}"
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,}"
    r"|hf_[A-Za-z0-9]{30,}|eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r")"
)

#: A run of token characters (base64, base64url, hex) long enough to be a key.
_TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}={0,2}(?![A-Za-z0-9+/_\-=])")


def looks_random(token: str) -> bool:
    """True for a high-entropy token: 20+ characters mixing upper case, lower case and digits.

    Names, paths, revision ids, image digests and numeric ids are lower case,
    hex or digits only, so they never match.
    """
    if len(token) < 20 or not _TOKEN_RUN.fullmatch(token):
        return False
    if sum(c.isupper() for c in token) < 2 or sum(c.islower() for c in token) < 2:
        return False
    if sum(c.isdigit() for c in token) < 2:
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    return entropy >= 3.5


@dataclass(frozen=True)
class Pattern:
    """Where a credential stands: ``regex``'s ``secret`` group, when ``applies`` to the match."""

    regex: re.Pattern[str]
    applies: Callable[[re.Match[str]], bool] = lambda m: True


def is_reference_flag(name: str) -> bool:
    """``--update-secrets`` (or a ``set_secrets`` key): its value names secrets, it holds none."""
    return "-".join(_words(name)).lower() in REFERENCE_FLAGS


def _named(match: re.Match[str]) -> bool:
    name, value = match.group("name"), match.group("secret").strip("'\"")
    return is_secret_name(name) and not is_reference_flag(name) and not is_reference(value)


#: A scalar value: quoted, or up to a separator (never a ``{`` or ``[`` opening a structure).
_VALUE = r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;&'\"{\[][^\s,;&'\"]*)"

#: Every place a credential can stand, in the order they are tried (overlaps merge).
PATTERNS: tuple[Pattern, ...] = (
    # scheme://user:PASSWORD@host (a password holding '@' is masked whole)
    Pattern(re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/@:]*:(?P<secret>[^\s/]+)(?=@[^\s/@]*)")),
    # scheme://TOKEN@host: a long token alone in the userinfo
    Pattern(re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?P<secret>[A-Za-z0-9_\-.~]{20,})(?=@)")),
    Pattern(re.compile(f"(?P<secret>{TOKEN_SHAPES.pattern})")),
    Pattern(re.compile(r"\b(?:Bearer|Basic|Token)\s+(?P<secret>[A-Za-z0-9\-._~+/=]{6,})")),
    # NAME=value, password=value (query strings, libpq DSNs, env lists, log lines)
    Pattern(re.compile(r"(?<![A-Za-z0-9_\-.])(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*" + _VALUE), _named),
    # --flag=value, --flag value (also inside a printed list: '--flag', 'value')
    Pattern(
        re.compile(r"(?<![A-Za-z0-9_\-])--(?P<name>[A-Za-z][A-Za-z0-9_\-]*)(?:=|\s+|',\s*'|\",\s*\")" + _VALUE), _named
    ),
    # "password": "x" (JSON), password: x (YAML, logs), X-Api-Key: x (headers)
    Pattern(
        re.compile(
            r"(?<![A-Za-z0-9_\-])[\"']?(?P<name>[A-Za-z_][A-Za-z0-9_]*|[Xx]-[A-Za-z\-]+)[\"']?\s*:(?=[\s\"'])\s*"
            + r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;}&'\"{\[][^\s,;}&'\"]*)"
        ),
        _named,
    ),
    Pattern(_TOKEN_RUN, lambda m: looks_random(m.group(0).rstrip("="))),
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
    """Where credentials stand in ``text``: sorted, overlapping spans merged; fingerprints excluded."""
    spans = sorted(span for pattern in PATTERNS for span in _matches(pattern, text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(s, e) for s, e in merged if not _already_sealed(text[s:e])]


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
