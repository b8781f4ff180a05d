"""Every shape a credential takes in text, planted with a distinct canary in every place a project supplies text.

``SHAPES`` are templates over ``{c}`` (one canary) or ``{c}``/``{d}`` (a password
holding a space: two canaries). :func:`plant` makes the canary for one place and
shape; every canary is ``Cn`` + place + shape + ``q``, none a substring of another.
"""

from __future__ import annotations

#: name → (text template, argument list template): how the shape reads in free text and in argv.
SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "secret=": ("secret={c}", ("secret={c}",)),
    "password:": ("password:{c}", ("password:{c}",)),
    "password is": ("the password is {c}", ("password is {c}",)),
    "bearer": ("bearer {c}", ("bearer {c}",)),
    "Authorization:": ("Authorization: {c}", ("Authorization: {c}",)),
    "DSN with a space": ("postgresql://chat_app:{c} {d}@10.0.0.5/db", ("postgresql://chat_app:{c} {d}@10.0.0.5/db",)),
    "redis with a space": ("redis://:{c} {d}@10.64.0.3:6379/0", ("redis://:{c} {d}@10.64.0.3:6379/0",)),
    "--secret": ("--secret {c}", ("--secret", "{c}")),
    "--secret=": ("--secret={c}", ("--secret={c}",)),
    "-a": ("redis-cli -a {c} ping", ("-a", "{c}")),
    "--requirepass": ("--requirepass {c}", ("--requirepass", "{c}")),
    "-pX": ("mysql -p{c} -h db", ("-p{c}",)),
    "--token": ("--token {c}", ("--token", "{c}")),
    "--api-key=": ("--api-key={c}", ("--api-key={c}",)),
    "query params": (
        "https://b.example/o?sig={c}&X-Goog-Signature={d}&X-Amz-Signature={c}A&token={c}B&key={c}C"
        "&access_token={c}D&code={c}E&v=1",
        ("https://b.example/o?sig={c}&X-Goog-Signature={d}&X-Amz-Signature={c}A&token={c}B&key={c}C",),
    ),
    "short jwt": ("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzIjoxfQ.{c}", ("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzIjoxfQ.{c}",)),
    # last: a cookie runs to the end of its line
    "Cookie:": ("Cookie: sid={c}; theme=dark", ("Cookie: sid={c}",)),
    "Set-Cookie:": ("Set-Cookie: sid={c}; Path=/; HttpOnly", ("Set-Cookie: sid={c}; Path=/",)),
}


def canaries(place: str, shape: str) -> tuple[str, str]:
    """The two canaries of ``shape`` in ``place`` (``{c}`` and ``{d}``)."""
    index = list(SHAPES).index(shape)
    return f"Cn{place}{index:02d}c7q", f"Cn{place}{index:02d}d7q"


def text(place: str, shape: str) -> str:
    c, d = canaries(place, shape)
    return SHAPES[shape][0].format(c=c, d=d)


def args(place: str, shape: str) -> list[str]:
    c, d = canaries(place, shape)
    return [a.format(c=c, d=d) for a in SHAPES[shape][1]]


def all_canaries(place: str) -> dict[str, str]:
    """``"place shape {c}"`` → canary, for every shape."""
    found: dict[str, str] = {}
    for shape in SHAPES:
        c, d = canaries(place, shape)
        found[f"{place} {shape}"] = c
        if "{d}" in SHAPES[shape][0]:
            found[f"{place} {shape} (second piece)"] = d
    return found
