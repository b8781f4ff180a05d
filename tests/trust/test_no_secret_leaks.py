"""No secret in any output: canaries planted everywhere a credential hides, grepped in every byte the gate writes.

The scenario below is staging with distinct canaries in env values of
credential-named variables (``DB_PASS``, ``OPENAI_KEY``, ``STRIPE_SK``), a DSN
password and a random token in ordinary env values, container arguments
(``--redis-password=X`` and ``--api-token X``), a Ready-condition message and a
worker's log lines; ``--db-url`` carries a password holding ``/``, ``@`` and a
space, pointed at a closed loopback port. The gate runs as verbosely as pytest
can (``-vv -rA --tb=long -l``) with JUnit (``junit_logging=all``), pytest-html
and ``--save-gate-inventory``, once in-process and once with ``-n 2``: no canary may
appear in any of it, while SVC-PLAINTEXT-CREDS still names every credential.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mobius_gate.plugin import CHECKS_DIR

pytestmark = pytest.mark.servers

REPO = CHECKS_DIR.parent

#: The pieces of the ``--db-url`` password: '/', '@' and a space split it for a naive parser.
DB_PASSWORD_PIECES = ("dbCanaryA1x", "dbCanaryB2y", "dbCanaryC3z", "dbCanaryD4w")
DB_PASSWORD = f"{DB_PASSWORD_PIECES[0]}/{DB_PASSWORD_PIECES[1]}@{DB_PASSWORD_PIECES[2]} {DB_PASSWORD_PIECES[3]}"

#: Where each canary is planted → the canary (every one distinct, none a substring of another).
CANARIES = {
    "env DB_PASS": "CanaryDbPass1q2w3e",
    "env OPENAI_KEY": "sk-proj-CanaryOpenAi7Hx2Kd9Qm4Lw8Zr",
    "env STRIPE_SK": "sk_live_CanaryStripe51Hx2Kd9Qm4Lw8Zr",
    "DSN password in env ANALYTICS_DB": "CanaryDsnPw3k9",
    "random token in env SERVICE_BLOB": "CanaryEntropyQ7x9Lm2Vp4Rk8Zt3Wn6Y",
    "arg --redis-password=": "CanaryArgPw8f2jK",
    "arg after --api-token": "CanaryArgTok5v7nQ",
    "DSN in a Ready condition message": "CanaryReadyPw6t1",
    "key in a worker log line": "sk-proj-CanaryLogKey4Rt7Yp2Wq9Zx1Ab",
    "assignment in a worker log line": "sk_live_CanaryLogStripe9Qm4Lw8Zr2Kd",
    "bearer token in a worker log line": "CanaryLogBearer3Hs8Jd",
    **{f"--db-url password piece {i}": piece for i, piece in enumerate(DB_PASSWORD_PIECES)},
}

SCENARIO = textwrap.dedent(
    f"""\
    description: staging with a canary credential wherever one can hide
    extends: staging
    resources:
      log_overrides:
        mobius-rag-chunking-worker:
          lines:
            - {{severity: ERROR, text: "upstream call with {CANARIES["key in a worker log line"]} failed: 401"}}
            - {{severity: ERROR, text: "retry: Authorization: Bearer {CANARIES["bearer token in a worker log line"]}"}}
            - {{severity: ERROR, text: "retrying with STRIPE_SK={CANARIES["assignment in a worker log line"]}"}}
    patches:
      - resource: services/mobius-chat-worker
        set:
          "template.containers[0].args": ["-m", "uvicorn", "app.worker_server:app", "--host", "0.0.0.0",
            "--port", "8080", "--redis-password={CANARIES["arg --redis-password="]}",
            "--api-token", "{CANARIES["arg after --api-token"]}"]
          "template.containers[0].env[DB_PASS].value": "{CANARIES["env DB_PASS"]}"
          "template.containers[0].env[OPENAI_KEY].value": "{CANARIES["env OPENAI_KEY"]}"
          "template.containers[0].env[STRIPE_SK].value": "{CANARIES["env STRIPE_SK"]}"
          "template.containers[0].env[ANALYTICS_DB].value":
            "postgresql://analytics:{CANARIES["DSN password in env ANALYTICS_DB"]}@10.20.0.5:5432/analytics"
          "template.containers[0].env[SERVICE_BLOB].value": "{CANARIES["random token in env SERVICE_BLOB"]}"
      - resource: services/mobius-rag
        set:
          "emulator.ready": false
          "emulator.message":
            "Revision failed: cannot reach postgresql://rag:{CANARIES["DSN in a Ready condition message"]}@10.2.0.7/r"
    """
)


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection is refused, and nothing else can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _gate_args(out: Path, scenario: Path, port: int) -> list[str]:
    return [
        str(CHECKS_DIR),
        "--project=mobiusos-new",
        f"--emulator={scenario}",
        f"--db-url=postgresql://gate:{DB_PASSWORD}@127.0.0.1:{port}/mobius_chat",
        "-p",
        "no:cacheprovider",
        "-vv",
        "-rA",
        "--tb=long",
        "-l",
        f"--junitxml={out / 'junit.xml'}",
        "-o",
        "junit_logging=all",
        f"--html={out / 'report.html'}",
        f"--save-gate-inventory={out / 'inventory.json'}",
    ]


def _outputs(out: Path, terminal: str) -> dict[str, str]:
    """Every output: the terminal, and every file the run wrote (JUnit, HTML and its assets, inventory)."""
    files = {str(p.relative_to(out)): p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*") if p.is_file()}
    assert {"junit.xml", "report.html", "inventory.json"} <= set(files), sorted(files)
    return {"terminal": terminal, **files}


def _assert_no_leak(outputs: dict[str, str]) -> None:
    leaks = [
        f"{where}: {name}" for where, text in outputs.items() for name, canary in CANARIES.items() if canary in text
    ]
    assert not leaks, "canaries leaked:\n" + "\n".join(leaks)


def _assert_credentials_named(terminal: str) -> None:
    """SVC-PLAINTEXT-CREDS still sees every planted credential (an advisory: xfail without --block-advisories)."""
    line = next(
        (ln for ln in terminal.splitlines() if "SVC-PLAINTEXT-CREDS] mobius-chat-worker: credentials" in ln), None
    )
    assert line is not None, terminal[-3000:]
    for name in ("DB_PASS", "OPENAI_KEY", "STRIPE_SK", "ANALYTICS_DB (URL with user:password@)", "SERVICE_BLOB"):
        assert name in line, line


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "canaries.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_no_canary_in_any_output_in_process(
    pytester: pytest.Pytester, scenario: Path, closed_port: int, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = pytester.runpytest_inprocess(*_gate_args(out, scenario, closed_port))
    terminal = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, terminal[-3000:]
    _assert_no_leak(_outputs(out, terminal))
    _assert_credentials_named(terminal)
    # Each planted place was really reached (so the absence of canaries means they were sealed):
    for needle in (
        "args=[-m, uvicorn, app.worker_server:app, --host, 0.0.0.0, --port, 8080, --redis-password=redacted-",
        "Ready condition=False: Revision failed: cannot reach postgresql://rag:redacted-",
        "[VER-LOGS] mobius-rag-chunking-worker: revision",
        f"PostgreSQL at 127.0.0.1:{closed_port}: connection failed",
    ):
        assert needle in terminal, needle


def test_no_canary_in_any_output_with_xdist(scenario: Path, closed_port: int, tmp_path: Path, loopback_env) -> None:
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "pytest", *_gate_args(out, scenario, closed_port), "-n", "2"]
    proc = subprocess.run(cmd, cwd=REPO, env=loopback_env, capture_output=True, text=True, timeout=300)
    terminal = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, terminal[-3000:]
    _assert_no_leak(_outputs(out, terminal))
    _assert_credentials_named(terminal)


def test_plaintext_credentials_block_under_strict(pytester: pytest.Pytester, scenario: Path) -> None:
    """DB_PASS, OPENAI_KEY and STRIPE_SK on one service: SVC-PLAINTEXT-CREDS fails (it passed before, rc 0)."""
    result = pytester.runpytest_inprocess(
        str(CHECKS_DIR),
        "--project=mobiusos-new",
        f"--emulator={scenario}",
        "--requirement=SVC-PLAINTEXT-CREDS",
        "--block-advisories",
        "-p",
        "no:cacheprovider",
        "-rf",
    )
    terminal = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.TESTS_FAILED, terminal[-3000:]
    result.assert_outcomes(failed=1, passed=9)
    _assert_credentials_named(terminal)
    _assert_no_leak({"terminal": terminal})
