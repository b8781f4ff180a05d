"""No secret in any output: canaries planted everywhere a credential hides, grepped in every byte the gate writes.

Two families of canaries. The named ones: env values of credential-named
variables (``DB_PASS``, ``OPENAI_KEY``, ``STRIPE_SK``), a DSN password and a random
token in ordinary env values. The shaped ones (:mod:`tests.trust.leak_shapes`):
every shape a credential takes in text — ``secret=X``, ``password:X``,
``password is X``, ``bearer X``, ``Authorization:``, ``Cookie:``, DSN and Redis
passwords holding a space, ``--secret X``, ``-a X``, ``--requirepass X``, ``-pX``,
``--token X``, ``--api-key=X``, every signature-like query parameter, a short JWT —
planted in each place a project supplies text: an ordinary env value, the
container arguments, a Ready-condition message and a worker's log lines.
``--db-url`` carries a password holding ``/``, ``@``, a space and ``%20``, pointed at a
closed loopback port; ``--secret-value`` files hold a DSN whose password has a space.

The gate runs as verbosely as pytest can (``-vv -rA --tb=long -l``) with JUnit
(``junit_logging=all``), pytest-html, ``--save-gate-inventory`` and
``--conformance-report`` (history.sqlite included): in-process and, at the same
time, with ``-n 2``; then ``--remediate=apply`` writes the supplied DSN into a
prod emulator, with its audit log. No canary may appear in any of it, while
SVC-PLAINTEXT-CREDS still names every credential.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.plugin import CHECKS_DIR
from tests.acceptance.gate import run_inprocess, run_subprocess
from tests.trust import leak_shapes
from tests.trust.leak_shapes import SHAPES

pytestmark = pytest.mark.servers

REPO = CHECKS_DIR.parent

#: The pieces of the ``--db-url`` password: '/', '@', a space and '%20' split it for a naive parser.
DB_PASSWORD_PIECES = ("dbCanaryA1x", "dbCanaryB2y", "dbCanaryC3z", "dbCanaryD4w", "dbCanaryE5v")
DB_PASSWORD = "{}/{}@{} {}%20{}".format(*DB_PASSWORD_PIECES)
#: ``--secret-value`` contents: a DSN whose password holds a space, and a JWT secret.
SUPPLIED_DSN = "postgresql://chat_app:CnSupplyPw1q CnSupplyPw2q@/mobius_chat?host=/cloudsql/mobiusos-new:us-central1:i"
SUPPLIED = {"supplied DSN piece 1": "CnSupplyPw1q", "supplied DSN piece 2": "CnSupplyPw2q", "jwt": "CnSupplyJwt3q"}

#: Where each named canary is planted → the canary (every one distinct, none a substring of another).
NAMED = {
    "env DB_PASS": "CanaryDbPass1q2w3e",
    "env OPENAI_KEY": "sk-proj-CanaryOpenAi7Hx2Kd9Qm4Lw8Zr",
    "env STRIPE_SK": "sk_live_CanaryStripe51Hx2Kd9Qm4Lw8Zr",
    "DSN password in env ANALYTICS_DB": "CanaryDsnPw3k9",
    "random token in env SERVICE_BLOB": "CanaryEntropyQ7x9Lm2Vp4Rk8Zt3Wn6Y",
}
#: The places a shaped canary is planted.
PLACES = ("Env", "Arg", "Msg", "Log")
CANARIES = {
    **NAMED,
    **{f"--db-url password piece {i}": piece for i, piece in enumerate(DB_PASSWORD_PIECES)},
    **SUPPLIED,
    **{k: v for place in PLACES for k, v in leak_shapes.all_canaries(place).items()},
}
WORKER_ARGS = ["-m", "uvicorn", "app.worker_server:app", "--host", "0.0.0.0", "--port", "8080"]


def scenario_doc() -> dict:
    """staging with every canary planted (see the module docstring)."""
    env = {f"template.containers[0].env[{name.split()[-1]}].value": value for name, value in NAMED.items()}
    env["template.containers[0].env[ANALYTICS_DB].value"] = (
        f"postgresql://analytics:{NAMED['DSN password in env ANALYTICS_DB']}@10.20.0.5:5432/analytics"
    )
    for i, shape in enumerate(SHAPES):
        env[f"template.containers[0].env[LEAK_{i:02d}].value"] = leak_shapes.text("Env", shape)
    argv = WORKER_ARGS + [a for shape in SHAPES for a in leak_shapes.args("Arg", shape)]
    message = "Revision failed: " + "; ".join(leak_shapes.text("Msg", shape) for shape in SHAPES)
    lines = [{"severity": "ERROR", "text": f"upstream: {leak_shapes.text('Log', shape)}"} for shape in SHAPES]
    return {
        "description": "staging with a canary credential wherever one can hide",
        "extends": "staging",
        "resources": {"log_overrides": {"mobius-rag-chunking-worker": {"lines": lines}}},
        "patches": [
            {"resource": "services/mobius-chat-worker", "set": {"template.containers[0].args": argv, **env}},
            {"resource": "services/mobius-rag", "set": {"emulator.ready": False, "emulator.message": message}},
        ],
    }


#: The scenario as YAML (tests/reports/test_canaries.py plants it too).
SCENARIO = yaml.safe_dump(scenario_doc(), sort_keys=False)


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: every connection is refused, and nothing else can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "canaries.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def supplied(tmp_path: Path) -> list[str]:
    """``--secret-value`` options whose files hold the supplied canaries."""
    (tmp_path / "dsn").write_text(SUPPLIED_DSN + "\n", encoding="utf-8")
    (tmp_path / "jwt").write_text(SUPPLIED["jwt"], encoding="utf-8")
    return [
        f"--secret-value=CHAT_RAG_DATABASE_URL=@{tmp_path / 'dsn'}",
        f"--secret-value=jwt-secret=@{tmp_path / 'jwt'}",
    ]


def _verbose_outputs(out: Path) -> list[str]:
    """Every output the gate can write into ``out``, as verbosely as pytest can."""
    return [
        "-vv",
        "-rA",
        "--tb=long",
        "-l",
        f"--junitxml={out / 'junit.xml'}",
        "-o",
        "junit_logging=all",
        f"--html={out / 'report.html'}",
        f"--save-gate-inventory={out / 'inventory.json'}",
        f"--conformance-report={out / 'conformance'}",
        f"--audit-log={out / 'audit.jsonl'}",
    ]


def _gate_args(out: Path, scenario: Path, port: int, supplied: list[str]) -> list[str]:
    db_url = f"postgresql://gate:{DB_PASSWORD}@127.0.0.1:{port}/mobius_chat"
    plan = ["--remediate=plan", *supplied]
    return ["--project=mobiusos-new", f"--emulator={scenario}", f"--db-url={db_url}", *plan, *_verbose_outputs(out)]


def _outputs(out: Path, terminal: str) -> dict[str, str]:
    """The terminal, and every file the run wrote (JUnit, HTML and its assets, inventory, conformance, audit)."""
    files = {str(p.relative_to(out)): p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*") if p.is_file()}
    expected = {"junit.xml", "report.html", "inventory.json", "conformance/conformance.json"}
    assert expected <= set(files), sorted(files)
    assert "conformance/history.sqlite" in files, sorted(files)
    return {"terminal": terminal, **files}


def _assert_no_leak(outputs: dict[str, str]) -> None:
    leaks = [
        f"{where}: {name}" for where, text in outputs.items() for name, canary in CANARIES.items() if canary in text
    ]
    assert not leaks, f"{len(leaks)} canaries leaked:\n" + "\n".join(leaks)


def _assert_credentials_named(terminal: str) -> None:
    """SVC-PLAINTEXT-CREDS still sees every planted credential (an advisory: xfail without --block-advisories)."""
    line = next(
        (ln for ln in terminal.splitlines() if "SVC-PLAINTEXT-CREDS] mobius-chat-worker: credentials" in ln), None
    )
    assert line is not None, terminal[-3000:]
    for name in ("DB_PASS", "OPENAI_KEY", "STRIPE_SK", "ANALYTICS_DB (URL with user:password@)", "SERVICE_BLOB"):
        assert name in line, line
    for i in range(len(SHAPES)):
        assert f"LEAK_{i:02d}" in line, (list(SHAPES)[i], line)


def test_no_canary_in_any_output(
    scenario: Path, closed_port: int, supplied: list[str], tmp_path: Path, loopback_env: dict[str, str]
) -> None:
    """In-process and, at the same time, with ``-n 2`` (a subprocess): the same outputs, no canary."""
    runs = {name: tmp_path / name for name in ("inprocess", "xdist")}
    for out in runs.values():
        out.mkdir()
    with ThreadPoolExecutor(1) as pool:
        xdist_args = [*_gate_args(runs["xdist"], scenario, closed_port, supplied), "-n", "2"]
        xdist = pool.submit(run_subprocess, *xdist_args, env=loopback_env, log=tmp_path / "outcomes.json")
        gate = run_inprocess(*_gate_args(runs["inprocess"], scenario, closed_port, supplied), basetemp=tmp_path / "b")
        workers = xdist.result()
    for run, out in ((gate, runs["inprocess"]), (workers, runs["xdist"])):
        terminal = run.stdout + run.stderr
        assert run.returncode == pytest.ExitCode.TESTS_FAILED, terminal[-3000:]
        outputs = _outputs(out, terminal)
        _assert_no_leak(outputs)
        assert not [where for where, text in outputs.items() if "db_url=" in text], "a repr printed the --db-url"
        _assert_credentials_named(terminal)
    terminal = gate.stdout + gate.stderr
    # Each planted place was really reached (so the absence of canaries means they were sealed):
    for needle in (
        "args=[-m, uvicorn, app.worker_server:app, --host, 0.0.0.0, --port, 8080, secret=redacted-",
        "Ready condition=False: Revision failed: secret=redacted-",
        "[VER-LOGS] mobius-rag-chunking-worker: revision",
        f"PostgreSQL at 127.0.0.1:{closed_port}: connection failed",
    ):
        assert needle in terminal, needle


def test_supplied_values_never_leak_after_apply(supplied: list[str], tmp_path: Path) -> None:
    """``--remediate=apply`` writes the supplied DSN into the project; the re-collected inventory holds its seal."""
    emu = Emulator("prod", "mobiusos-new")
    url = emu.start()
    try:
        out = tmp_path / "out"
        out.mkdir()
        args = ["--project=mobiusos-new", f"--emulator={url}", "--remediate=apply", "--yes", "--max-changes=20"]
        run = run_inprocess(*args, *supplied, *_verbose_outputs(out), basetemp=tmp_path / "b")
    finally:
        emu.stop()
    terminal = run.stdout + run.stderr
    assert "applied" in terminal and (out / "audit.jsonl").read_text().strip(), terminal[-3000:]
    outputs = _outputs(out, terminal)
    _assert_no_leak(outputs)
    # A supplied credential is stored in Secret Manager and referenced, never set as a plain env value.
    assert '"secret": "chat-rag-database-url"' in outputs["inventory.json"], "the supplied DSN became a secret"
    assert "postgresql://chat_app:" not in outputs["inventory.json"]


def test_plaintext_credentials_block_under_strict(scenario: Path, tmp_path: Path) -> None:
    """The planted credentials on one service: SVC-PLAINTEXT-CREDS fails under --block-advisories."""
    args = ["--project=mobiusos-new", f"--emulator={scenario}", "--requirement=SVC-PLAINTEXT-CREDS"]
    run = run_inprocess(*args, "--block-advisories", "-rf", basetemp=tmp_path / "b")
    terminal = run.stdout + run.stderr
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, terminal[-3000:]
    assert sorted(run.outcomes.values()).count("failed") == 1, run.outcomes
    _assert_credentials_named(terminal)
    _assert_no_leak({"terminal": terminal})
