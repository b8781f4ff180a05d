"""mobius_gate.redact: credentials are masked in any string, and nothing else is."""

from __future__ import annotations

import pytest

from mobius_gate.redact import (
    MASK,
    carries_credential,
    host_port,
    is_secret_name,
    redact,
    redact_env,
    url_has_password,
)
from tests.checks.factory import LEAKY_DSN, LEAKY_PASSWORD


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LEAKY_DSN, f"postgresql://postgres:{MASK}@34.123.45.67:5432/mobius_chat"),
        ("redis://:s3cr@t@10.0.0.3:6379/0", f"redis://:{MASK}@10.0.0.3:6379/0"),
        (
            "see postgresql://u:p4ss@db/x and redis://:q@r:1/0",
            f"see postgresql://u:{MASK}@db/x and redis://:{MASK}@r:1/0",
        ),
        (
            "postgresql://db/x?user=a&password=hunter2&sslmode=require",
            f"postgresql://db/x?user=a&password={MASK}&sslmode=require",
        ),
        ("host=10.0.0.5 dbname=chat password='two words' user=x", f"host=10.0.0.5 dbname=chat password={MASK} user=x"),
        ("Authorization: Bearer ya29.a0AfH6SMBx", f"Authorization: Bearer {MASK}"),
        ("https://x.run.app/health?token=abc123&v=1", f"https://x.run.app/health?token={MASK}&v=1"),
        ("JWT_SECRET=plainvalue,QUEUE_TYPE=redis", f"JWT_SECRET={MASK},QUEUE_TYPE=redis"),
        ("psql --password=hunter2 -h db", f"psql --password={MASK} -h db"),
        (
            "postgresql://chat:pw0rd@/mobius_chat?host=/cloudsql/p:r:i",
            f"postgresql://chat:{MASK}@/mobius_chat?host=/cloudsql/p:r:i",
        ),
        ("DB_PASSWORD=<x and more", f"DB_PASSWORD={MASK} and more"),
    ],
)
def test_redact_masks_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "redis://10.0.0.3:6379/0",
        "postgresql://chat@/mobius_chat?host=/cloudsql/p:r:i",
        "--update-secrets=JWT_SECRET=jwt-secret:latest",
        "--set-secrets=POSTGRES_PASSWORD=db-password-mobius-rag:latest",
        "QUEUE_TYPE=redis,GCS_BUCKET=mobius-rag-uploads",
        "gcloud run services update s --no-cpu-throttling --region=us-central1",
        "gcloud secrets versions enable 2 --secret=jwt-secret --project=p",
        "hub-token=absent (used by module-hub)",
    ],
)
def test_redact_keeps_text_without_credentials(text: str) -> None:
    assert redact(text) == text


def test_redact_passes_none_through() -> None:
    assert redact(None) is None


def test_password_with_at_sign_is_masked_whole() -> None:
    out = redact("postgresql://postgres:P@ss@word@db.internal:5432/x") or ""
    assert "P@ss" not in out and "word@db" not in out
    assert out.endswith("@db.internal:5432/x")


@pytest.mark.parametrize("name", ["JWT_SECRET", "POSTGRES_PASSWORD", "GITHUB_TOKEN", "OPENAI_API_KEY", "db_passwd"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["QUEUE_TYPE", "REDIS_URL", "GCS_BUCKET", "VERTEX_INDEX_ENDPOINT_ID"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_env_masks_secret_named_values_entirely() -> None:
    assert redact_env("JWT_SECRET", "abc") == MASK
    assert redact_env("CHAT_RAG_DATABASE_URL", LEAKY_DSN) == redact(LEAKY_DSN)
    assert redact_env("QUEUE_TYPE", "redis") == "redis"
    assert redact_env("X", None) is None


def test_url_has_password() -> None:
    assert url_has_password(LEAKY_DSN)
    assert url_has_password("redis://:pw@h:1/0")
    assert not url_has_password("redis://user@h:1/0")
    assert not url_has_password("redis://h:6379/0")
    assert not url_has_password("not a url")


def test_carries_credential() -> None:
    assert carries_credential("CHAT_RAG_DATABASE_URL", LEAKY_DSN)
    assert carries_credential("API_TOKEN", "x")
    assert carries_credential("DSN", "host=a password=b")
    assert not carries_credential("REDIS_URL", "redis://10.0.0.3:6379/0")
    assert not carries_credential("JWT_SECRET", "")


def test_host_port_never_includes_credentials() -> None:
    assert host_port(LEAKY_DSN) == "34.123.45.67:5432"
    assert LEAKY_PASSWORD not in (host_port(LEAKY_DSN) or "")
    assert host_port("redis://10.0.0.3/0", default_port=6379) == "10.0.0.3:6379"
    assert host_port("redis://<REDIS_IP>:6379/0") is None
    assert host_port("") is None
    assert host_port("redis://h:notaport/0") is None


def test_seal_keeps_the_shape_and_drops_the_credential() -> None:
    from mobius_gate.redact import carries_credential, seal

    dsn = "postgresql://postgres:Pr0d-Passw0rd!@34.123.45.67:5432/mobius_chat"
    sealed = seal("CHAT_RAG_DATABASE_URL", dsn)
    assert "Pr0d-Passw0rd!" not in sealed
    assert sealed.startswith("postgresql://postgres:redacted-") and sealed.endswith("@34.123.45.67:5432/mobius_chat")
    assert carries_credential("CHAT_RAG_DATABASE_URL", sealed), "SVC-PLAINTEXT-CREDS must still see it"
    assert seal("CHAT_RAG_DATABASE_URL", dsn) == sealed, "same credential, same fingerprint within a run"
    assert seal("CHAT_RAG_DATABASE_URL", dsn.replace("Pr0d", "Stag")) != sealed
    assert seal("REDIS_URL", "redis://10.64.0.3:6379/0") == "redis://10.64.0.3:6379/0"
    assert seal("JWT_SECRET", "s3cr3t").startswith("redacted-")


GOOGLE_API_KEY = "AIza" + "SyD-0123456789abcdefghijklmnopqrstu"
GITHUB_TOKEN = "ghp_" + "0123456789abcdefghijklmnopqrstuvwxyzAB"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"password": "hunter2", "user": "x"}', "hunter2"),
        ("config: {password: hunter2}", "hunter2"),
        ("X-Api-Key: abc123def456", "abc123def456"),
        ('"client_secret":"s3cr3t-value"', "s3cr3t-value"),
        (f"https://{GITHUB_TOKEN}@github.com/org/repo.git", GITHUB_TOKEN),
        (f"GET /maps?key-ref {GOOGLE_API_KEY} failed", GOOGLE_API_KEY),
        ("upstream said ya29.a0AfH6SMBx-token-value", "ya29.a0AfH6SMBx-token-value"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA"),
    ],
    ids=["json", "yaml", "header", "json-no-space", "token-user-url", "google-api-key", "oauth-token", "pem"],
)
def test_redact_masks_credentials_in_other_shapes(text: str, secret: str) -> None:
    """Readiness messages, log lines and probe errors quote JSON, headers and URLs: no credential survives."""
    out = redact(text) or ""
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://postgres@10.0.0.5/mobius_chat",
        "secret not usable: cannot confirm versions (not listed)",
        "from secret jwt-secret:latest",
        "AIza is not a key",
    ],
)
def test_new_shapes_keep_ordinary_text(text: str) -> None:
    assert redact(text) == text


def test_token_in_a_url_is_a_plain_credential() -> None:
    assert carries_credential("GIT_URL", f"https://{GITHUB_TOKEN}@github.com/org/repo.git")
    assert not carries_credential("DB_URL", "postgresql://postgres@10.0.0.5/mobius_chat")
