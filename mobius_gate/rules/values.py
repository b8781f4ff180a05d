"""Judging env values without revealing them: template leftovers, credentials, Redis addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from mobius_gate import credentials
from mobius_gate.inventory import EnvVar
from mobius_gate.redact import host_port, is_secret_name, redact

#: Template leftovers the checklist's own commands contain, and their kin.
_LEFTOVERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[^<>]*>"), "a <placeholder>"),
    (re.compile(r"\.\.\."), "'...'"),
    (re.compile(r"\$\{?[A-Z][A-Z0-9_]*\}?"), "an unexpanded shell variable"),
    (re.compile(r"^\s*(changeme|change_me|replace_me|todo|tbd|fixme|xxx+)\s*$", re.IGNORECASE), "a placeholder"),
    # the checklist's own placeholder form: https://mobius-os-xxx.run.app
    (re.compile(r"(?<![A-Za-z0-9])xxx+(?![A-Za-z0-9])", re.IGNORECASE), "an 'xxx' placeholder"),
    (re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL), "an unrendered {{ template }}"),
    (re.compile(r"%[A-Za-z][A-Za-z0-9_]*%"), "an unexpanded %VARIABLE%"),
    (re.compile(r"^\s*(null|none|nil|undefined|nan)\s*$", re.IGNORECASE), "a null literal"),
)

#: Hosts that are this machine, never a production endpoint.
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal")


def leftover(value: str) -> str | None:
    """Why ``value`` is a template leftover or no production value, else None.

    Leftovers: ``<prod-endpoint-id>``, ``...``, ``$PROD_PROJECT``, ``-xxx.run.app``, ``{{ id }}``,
    ``%ENDPOINT%``, ``null``/``None``/``undefined``; and a URL on this machine (``localhost``).

    Judged on the redacted value so a password that happens to contain ``$X``
    does not count, and nothing of the password is quoted back.
    """
    shown = redact(value) or ""
    for pattern, why in _LEFTOVERS:
        if pattern.search(shown):
            return why
    return local_address(shown)


def local_address(value: str) -> str | None:
    """Why a URL/DSN points at this machine (``postgresql://u@localhost/db``), a development value; else None.

    A Unix-socket ``?host=/cloudsql/...`` query overrides the URL's host, as libpq does.
    """
    try:
        parts = urlsplit(value.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not parts.scheme or not host or "host" in parse_qs(parts.query):
        return None
    if host in _LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
        return f"a local address ({host})"
    return None


def describe_env(var: EnvVar) -> str:
    """A safe one-liner for an env var's source: masked value or ``secret NAME:VERSION``."""
    if var.secret_ref is not None:
        return f"from secret {var.secret_ref.secret}:{var.secret_ref.version}"
    if var.value is None or var.value == "":
        return "empty"
    if is_secret_name(var.name):
        return "a plain value (masked)"
    return repr(redact(var.value))


def credential_kind(var: EnvVar) -> str | None:
    """Why a plain env var carries a credential (never the credential itself), else None.

    The detector is :func:`mobius_gate.credentials.credential_kind` (names, key
    shapes, DSN passwords); it reads sealed values as well as raw ones.
    """
    if var.secret_ref is not None:
        return None
    return credentials.credential_kind(var.name, var.value)


def redis_address(var: EnvVar | None, default_port: int) -> str:
    """``host:port`` of a REDIS_URL for messages; never the URL itself."""
    if var is None:
        return "unset"
    if var.secret_ref is not None:
        return f"secret {var.secret_ref.secret}:{var.secret_ref.version}"
    return host_port(var.value, default_port=default_port) or "(not a host:port URL)"


@dataclass(frozen=True)
class RedisUrl:
    """What a REDIS_URL makes redis-py dial: scheme, ``host:port``, database index (never credentials).

    ``db`` follows redis-py's ``from_url`` (:func:`redis_db`): a ``?db=N`` query wins over the
    path; no path (or ``/``) is database 0, the client's default; ``/00`` is database 0 too. A
    path that is no number is kept in ``db_text`` with ``db`` None (a deviation: the checklist
    writes ``/0``). Two URLs are equal when redis-py dials them alike: ``db_text`` is not compared.
    """

    scheme: str
    address: str
    db: int | None
    db_text: str = field(compare=False)
    #: Fingerprint of the user:password part (sealed), to tell "same address, other credentials".
    userinfo: str
    #: The database as compared: the index, or the text when it is no number.
    db_key: str = ""
    #: Whether the URL carries a password (``redis://:PASSWORD@host``): Redis AUTH needs one.
    password: bool = field(default=False, compare=False)

    def shown(self) -> str:
        return f"{self.scheme}://{self.address}/{self.db_text}"


def redis_db(path: str, query: str) -> tuple[int | None, str]:
    """(database index, its text) as redis-py's ``parse_url`` reads them: ``?db=`` first, then the
    path without its slashes as an integer (``/00`` → 0); none → 0. Not a number → (None, text)."""
    given = parse_qs(query).get("db")
    text = unquote(given[0]) if given else unquote(path).replace("/", "")
    if not text:
        return 0, "0"
    return (int(text), text) if text.strip().isdigit() else (None, text)


def parse_redis_url(value: str | None, default_port: int) -> RedisUrl | None:
    """The parts of a ``redis://`` / ``rediss://`` URL; None when it is no such URL."""
    address = host_port(value, default_port=default_port)
    if not value or address is None:
        return None
    try:
        parts = urlsplit(value.strip())
        password = bool(parts.password)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        return None
    db, text = redis_db(parts.path, parts.query)
    key = str(db) if db is not None else text
    return RedisUrl(scheme, address, db, text, parts.netloc.rpartition("@")[0], key, password)
