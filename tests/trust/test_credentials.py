"""The credential detector and the sealing layer: what counts as a credential, what is left alone."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from mobius_gate.collect.database import collect_database, connection_url, url_secrets
from mobius_gate.collect.normalize import service_from_v2
from mobius_gate.collect.postgres import server_label
from mobius_gate.collect.snapshot import load_snapshot
from mobius_gate.credentials import credential_kind, credential_spans, is_secret_name, looks_random
from mobius_gate.inventory import EnvVar, Inventory, Section, Service
from mobius_gate.options import Settings
from mobius_gate.redact import MASK, redact, seal, seal_args, seal_text
from mobius_gate.rules.values import credential_kind as rule_credential_kind
from mobius_gate.spec import DatabaseSpec
from tests.trust import leak_shapes

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
STRIPE = "sk_live_" + "51HxAbCdEfGh2IjKlMnOp"
RANDOM = "Q7x9Lm2Vp4Rk8Zt3Wn6YbH1c"


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASS",
        "OPENAI_KEY",
        "STRIPE_SK",
        "REDIS_AUTH",
        "dbPassword",
        "apiKey",
        "X-Api-Key",
        "client_secret",
        "redis-password",
        "PRIVATE_KEY",
        "key",
        "AUTH_TOKEN",
        "SMTP_PASSWD",
        "GITHUB_CREDENTIALS",
    ],
)
def test_credential_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "BYPASS_CACHE",
        "PASSTHROUGH",
        "COMPASS_URL",
        "JWT_SECRET_NAME",
        "TOKEN_URL",
        "MAX_TOKENS",
        "TOKENIZER_MODEL",
        "PUBLIC_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "CACHE_KEY",
        "AWS_ACCESS_KEY_ID",
        "PASSWORD_FILE",
        "QUEUE_TYPE",
        "REDIS_URL",
        "VERTEX_INDEX_ENDPOINT_ID",
        "TASK",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "token",
    [OPENAI, STRIPE, "sk-ant-api03-" + "Ab3dEf6hIj9kLm2nOp5qRs8t", "whsec_" + "Ab3dEf6hIj9kLm2nOp5qRs8t", RANDOM],
)
def test_credential_shapes_are_found_in_free_text(token: str) -> None:
    text = f"worker said: calling upstream with {token} failed"
    assert redact(text) == f"worker said: calling upstream with {MASK} failed"
    assert credential_kind("UPSTREAM", token) == "credential-shaped value"


@pytest.mark.parametrize(
    "token",
    [
        "mobius-rag-chunking-worker-00001-ca4",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "4156820718563000320",
        "123E4567-E89B-12D3-A456-426614174000",
        "mobius-platform@mobiusos-new.iam.gserviceaccount.com",
        "gcr.io/mobiusos-new/mobius-chat-api:latest",
        "projects/418277465010/locations/us-central1/connectors/mobius-redis-connector",
        "RedisConnectionErrorTimeoutException",
    ],
)
def test_ordinary_tokens_are_not_random(token: str) -> None:
    assert not looks_random(token)
    assert redact(token) == token


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("--redis-password=hunter2x", "hunter2x"),
        ("--redis-password hunter2x", "hunter2x"),
        ("['--api-token', 'hunter2x']", "hunter2x"),
        ("--set-env-vars=JWT_SECRET=hunter2x,QUEUE_TYPE=redis", "hunter2x"),
        ("retrying with STRIPE_SK=hunter2x", "hunter2x"),
        ("DB_PASS=hunter2x OPENAI_KEY=hunter3y", "hunter3y"),
    ],
)
def test_secret_named_flags_and_assignments(text: str, secret: str) -> None:
    assert secret not in (redact(text) or "")


@pytest.mark.parametrize(
    "text",
    [
        "--update-secrets=JWT_SECRET=jwt-secret:latest",
        '{"set_secrets": {"JWT_SECRET": "jwt-secret:latest"}, "update_env_vars": {"QUEUE_TYPE": "redis"}}',
        "gcloud secrets versions enable 2 --secret=jwt-secret --project=p",
        "status: pass",
        "hub-token=absent (used by module-hub)",
    ],
)
def test_references_and_structure_are_left_alone(text: str) -> None:
    assert credential_spans(text) == []


def test_seal_is_idempotent_and_keyed() -> None:
    sealed = seal("OPENAI_KEY", OPENAI)
    assert sealed is not None and sealed.startswith("redacted-")
    assert seal("OPENAI_KEY", sealed) == sealed
    assert seal_text(seal_text(f"key {OPENAI}")) == seal_text(f"key {OPENAI}")
    assert seal("ANY", OPENAI) == sealed, "same credential, same fingerprint, whichever way it was found"


def test_seal_args_seals_the_value_after_a_secret_flag() -> None:
    args = ["--host", "0.0.0.0", "--redis-password=pw1xyz", "--api-token", "pw2xyz", "--update-secrets", "a=b:1"]
    sealed = seal_args(args)
    assert sealed[:2] == ["--host", "0.0.0.0"]
    assert sealed[2].startswith("--redis-password=redacted-")
    assert sealed[3] == "--api-token" and sealed[4].startswith("redacted-")
    assert sealed[5:] == ["--update-secrets", "a=b:1"]
    assert not any("pw1xyz" in a or "pw2xyz" in a for a in sealed)


def test_sealed_redis_urls_still_compare() -> None:
    """SVC-REDIS-SHARED compares REDIS_URLs: one password → one fingerprint, two passwords → two."""
    one = seal("REDIS_URL", "redis://:s3cret-pw@10.64.0.3:6379/0")
    assert one == seal("REDIS_URL", "redis://:s3cret-pw@10.64.0.3:6379/0")
    assert one != seal("REDIS_URL", "redis://:other-pw@10.64.0.3:6379/0")
    assert "s3cret" not in (one or "")


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("DB_PASS", "hunter2", "secret-looking name with a plain value"),
        ("ANALYTICS_DB", "postgresql://a:pw@10.0.0.5/x", "URL with user:password@"),
        ("SERVICE_BLOB", RANDOM, "credential-shaped value"),
        ("NOTES", f"use {STRIPE} here", "embedded password/token"),
        ("QUEUE_TYPE", "redis", None),
        ("REDIS_URL", "redis://10.64.0.3:6379/0", None),
        ("DB_PASS", "", None),
    ],
)
def test_credential_kind_raw_and_sealed(name: str, value: str, kind: str | None) -> None:
    assert credential_kind(name, value) == kind
    assert credential_kind(name, seal(name, value)) == kind, "the rule judges sealed inventories"
    assert rule_credential_kind(EnvVar(name=name, value=seal(name, value))) == kind


def test_normalized_service_holds_no_credential() -> None:
    wire = {
        "name": "projects/p/locations/us-central1/services/svc",
        "template": {
            "containers": [
                {
                    "image": "gcr.io/p/svc:latest",
                    "args": ["--redis-password", "pw1xyz"],
                    "command": ["sh", "-c", f"OPENAI_KEY={OPENAI} run"],
                    "env": [{"name": "STRIPE_SK", "value": STRIPE}, {"name": "QUEUE_TYPE", "value": "redis"}],
                }
            ]
        },
        "terminalCondition": {"state": "CONDITION_FAILED", "message": "cannot reach postgresql://u:pw2xyz@10.0.0.5/db"},
    }
    dumped = service_from_v2(wire).model_dump_json()
    for secret in ("pw1xyz", OPENAI, STRIPE, "pw2xyz"):
        assert secret not in dumped
    assert '"value":"redis"' in dumped.replace(" ", "")


def test_snapshot_of_a_saved_inventory_is_sealed(tmp_path: Path) -> None:
    raw = Service(name="svc", env=[EnvVar(name="DB_PASS", value="pw1xyz")], args=["--api-token", "pw2xyz"])
    Inventory(project="p", region="r", source="old", services=Section[Service](items=[raw])).save(tmp_path / "i.json")
    dumped = load_snapshot(tmp_path, "p", "r").model_dump_json()
    assert "pw1xyz" not in dumped and "pw2xyz" not in dumped
    assert json.loads(dumped)["services"]["items"][0]["env"][0]["value"].startswith("redacted-")


# --- --db-url ----------------------------------------------------------------------------------------


def test_a_well_formed_url_is_kept() -> None:
    url = "postgresql://gate:p%40ss%2Fw%20d@127.0.0.1:5432/mobius_chat"
    assert connection_url(url) == url
    assert connection_url("postgresql://u@/db?host=/cloudsql/p:r:i") == "postgresql://u@/db?host=/cloudsql/p:r:i"
    assert connection_url("postgresql://127.0.0.1/db?options=a@b") == "postgresql://127.0.0.1/db?options=a@b"


def test_an_unencoded_password_is_read_whole() -> None:
    url = "postgresql://gate:abcd/efgh@ijkl mnop@127.0.0.1:5432/mobius_chat"
    assert connection_url(url) == "postgresql://gate:abcd%2Fefgh%40ijkl%20mnop@127.0.0.1:5432/mobius_chat"
    assert server_label(url) == "127.0.0.1:5432"
    assert {"abcd/efgh@ijkl mnop", "abcd", "efgh", "ijkl", "mnop"} <= set(url_secrets(url))


def test_connection_errors_never_echo_the_password() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        for url in (
            f"postgresql://gate:abcd/efgh@ijkl mnop@127.0.0.1:{port}/mobius_chat",
            f"postgresql://gate:abcd@efgh@127.0.0.1:{port}/mobius_chat",
            f"postgresql://gate:abcd efgh@127.0.0.1:{port}/mobius_chat",
        ):
            section = collect_database(url, [DatabaseSpec(name="mobius_chat")], timeout_s=2)
            assert section.status == "unavailable"
            assert f"127.0.0.1:{port}" in (section.cause or ""), section.cause
            for piece in ("abcd", "efgh", "ijkl", "mnop"):
                assert piece not in (section.cause or ""), section.cause


# --- every shape, every place -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(leak_shapes.SHAPES))
def test_every_shape_is_masked_in_free_text(shape: str) -> None:
    text = leak_shapes.text("T", shape)
    masked = redact(text) or ""
    sealed = seal_text(text) or ""
    for canary in leak_shapes.canaries("T", shape):
        assert canary not in masked, masked
        assert canary not in sealed, sealed
    assert credential_kind("UPSTREAM", seal("UPSTREAM", text)) is not None, "SVC-PLAINTEXT-CREDS still sees it"


@pytest.mark.parametrize("shape", list(leak_shapes.SHAPES))
def test_every_shape_is_sealed_in_args(shape: str) -> None:
    argv = ["--host", "0.0.0.0", "--port", "8080", *leak_shapes.args("A", shape), "-p", "6379"]
    sealed = seal_args(argv)
    assert sealed[:4] == ["--host", "0.0.0.0", "--port", "8080"] and sealed[-2:] == ["-p", "6379"]
    assert not any(c in a for a in sealed for c in leak_shapes.canaries("A", shape)), sealed
    assert seal_args(sealed) == sealed, "idempotent"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("secret=hunter2x password:hunter3y", "secret=*** password:***"),
        ("postgresql://app:two words@/db?host=/cloudsql/p:r:i", "postgresql://app:***@/db?host=/cloudsql/p:r:i"),
        (
            "redis://:pw@10.0.0.3 (timeout) for sa x@p.iam.gserviceaccount.com",
            "redis://:***@10.0.0.3 (timeout) for sa x@p.iam.gserviceaccount.com",
        ),
        ("https://s/o?sig=a1&X-Goog-Signature=b2&v=1", "https://s/o?sig=***&X-Goog-Signature=***&v=1"),
        ("Authorization: Bearer abc123", "Authorization: Bearer ***"),
        ("args=[--port, 8080, --secret, s3cr3t]", "args=[--port, 8080, --secret, ***]"),
    ],
)
def test_only_the_credential_is_masked(text: str, masked: str) -> None:
    assert redact(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "--port 8080 -p 6379 -p8080 token_count=3 max_tokens=100",
        'The password is incorrect; password authentication failed for user "gate"',
        "bearer token expired",
        "[SEC-JWT] jwt-secret: version 2 disabled",
        "projects/p/secrets/jwt-secret:latest JWT_SECRET:latest secret:2",
        "gcloud run services update s --remove-secrets=REDIS_URL --region=r",
        "gcloud secrets versions access latest --secret=jwt-secret --project=p",
        "postgresql://127.0.0.1:5432/db?options=a@b https://host:8443/path",
        "code=200 status_code=500 https://x/?page=2&code_version=3",
    ],
)
def test_plain_text_stays(text: str) -> None:
    assert redact(text) == text


def test_settings_repr_never_holds_the_db_url() -> None:
    """pytest's ``-l`` prints locals, ``settings`` among them: no --db-url, no --secret-value contents."""
    settings = Settings(
        checklist_path=Path("c.yaml"), checklist=None, spec=None, project="p", region="r", emulator=None,  # type: ignore[arg-type]
        inventory_file=None, snapshot_dir=None, save_inventory=None, strict=False, requirements=None,
        list_requirements=False, db_url="postgresql://u:pw%20CanaryRepr1@h/db", logs_since=timedelta(hours=1),
        collect_timeout=1.0,
    )  # fmt: skip
    assert "CanaryRepr1" not in repr(settings) and "db_url" not in repr(settings)
