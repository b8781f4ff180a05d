"""What names and shapes say a value is a credential: the vocabulary of :mod:`mobius_gate.credentials`.

* **Names** (:func:`is_secret_name`): ``*PASSWORD*``, ``*PASS*``, ``*SECRET*``,
  ``*TOKEN*``, ``*_KEY``, ``*_SK``, ``*_AUTH``, ``*CREDENTIAL*``, ``REQUIREPASS``...
  as words of an env var, flag, query or JSON key name — but not ``*_NAME``/``*_ID``/
  ``*_URL``/``*_FILE`` (they name or locate a secret) nor ``PUBLIC_KEY``, ``CACHE_KEY``...
* **Shapes** (:data:`TOKEN_SHAPES`): well-known key prefixes (Google ``AIza``,
  ``ya29.``, ``GOCSPX-``; OpenAI/Anthropic ``sk-``; Stripe ``sk_live_``; GitHub,
  GitLab, Slack, AWS, SendGrid, npm, PyPI, Hugging Face; JWTs, three parts whole;
  PEM private keys) and random-looking tokens (:func:`looks_random`).
* **Values that are not credentials** (:func:`is_plain_value`): Secret Manager
  references (``jwt-secret:latest``), placeholders (``<token>``), states
  (``absent``, ``true``), and — after a reference flag such as ``--secret`` — a
  secret's id (``jwt-secret``).
"""

from __future__ import annotations

import math
import re
from collections import Counter

#: Words that make a name secret wherever they stand (``DB_PASS``, ``CLIENT_SECRET``, ``AUTH_TOKEN``).
_SECRET_WORDS = frozenset(
    {
        "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "PASSCODE", "SECRET", "TOKEN", "CREDENTIAL",
        "CREDENTIALS", "CREDS", "APIKEY", "SIG", "SIGNATURE", "REQUIREPASS", "MASTERAUTH", "AUTHPASS",
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
    r"|hf_[A-Za-z0-9]{30,}|eyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r")"
)

#: A run of token characters (base64, base64url, hex) long enough to be a key.
TOKEN_RUN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}={0,2}(?![A-Za-z0-9+/_\-=])")


def looks_random(token: str) -> bool:
    """True for a high-entropy token: 20+ characters mixing upper case, lower case and digits.

    Names, paths, revision ids, image digests and numeric ids are lower case,
    hex or digits only, so they never match.
    """
    if len(token) < 20 or not TOKEN_RUN.fullmatch(token):
        return False
    if sum(c.isupper() for c in token) < 2 or sum(c.islower() for c in token) < 2:
        return False
    if sum(c.isdigit() for c in token) < 2:
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    return entropy >= 3.5


def is_reference_flag(name: str) -> bool:
    """``--update-secrets`` (or a ``set_secrets`` key): its value names secrets, it holds none."""
    return "-".join(_words(name)).lower() in REFERENCE_FLAGS


#: Values that state something about a credential, never one: ``hub-token=absent``, ``secret: latest``.
_STATES = frozenset(
    {
        "absent", "present", "missing", "unset", "set", "none", "null", "nil", "true", "false", "yes", "no", "on",
        "off", "enabled", "disabled", "empty", "required", "optional", "latest", "redacted", "masked", "hidden",
        "supplied", "provided", "configured", "invalid", "expired", "n/a",
    }
)  # fmt: skip
#: A Secret Manager secret id as the gate and gcloud write it (``jwt-secret``, ``db_password_rag``) or its path.
_SECRET_ID = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+|projects/[^/\s]+/secrets/[^\s]+")
#: ``NAME=secret:version[,NAME=...]``: the value of ``--set-secrets`` and its kin.
_REF_LIST = re.compile(r"[A-Za-z0-9_\-/.]+=[A-Za-z0-9_\-/]+:(?:latest|\d+)(?:,[A-Za-z0-9_\-/.]+=[^,\s]+)*")


def is_plain_value(value: str, name: str = "") -> bool:
    """True when ``value`` (stated under ``name``) cannot be a credential.

    A reference (``jwt-secret:latest``), a placeholder (``<token>``), a state
    (``absent``, ``true``) or a fingerprint left by an earlier seal. After
    ``--set-secrets`` and its kin anything (they name secrets); after the
    ambiguous ``--secret`` / ``secret=`` (gcloud's reference, or an app's own
    secret) only a secret's id (``jwt-secret``) or a ``NAME=secret:version`` list.
    """
    bare = value.strip("'\"")
    if not bare or is_reference(bare) or bare.lower() in _STATES or bare == "***" or FINGERPRINT.fullmatch(bare):
        return True
    if not name or not is_reference_flag(name):
        return False
    if "-".join(_words(name)).lower() != "secret":  # --set-secrets, --remove-secrets: names only, always
        return True
    return bool(_SECRET_ID.fullmatch(bare) or _REF_LIST.fullmatch(bare))


def is_wordlike(value: str) -> bool:
    """An English word (``incorrect``, ``Expired``): after ``password is`` or ``bearer`` it is prose, not a secret."""
    return bool(re.fullmatch(r"[A-Za-z][a-z]+", value.strip("'\".,;:)")))
