"""``python -m mobius_gate.fixtures.emulator``: help, a clean one-line error, and a real run stopped by Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mobius_gate.fixtures.emulator.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--scenario",
        "--port",
        "--project",
        "--latency-ms",
        "--fault-rate",
        "--also",
        "--lro-polls",
        "staging",
    ):
        assert option in out


def test_bad_scenario_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--scenario", "nope", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.yaml" in err and err.startswith("emulator: error:")
    assert main(["--scenario", "prod", "--also", "staging"]) == 2
    assert "SCENARIO:PROJECT" in capsys.readouterr().err


@pytest.mark.servers
def test_runs_until_interrupted(loopback_env: dict[str, str]) -> None:
    args = ["--scenario", "prod", "--port", "0", "--also", "staging:mobiusos-staging"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobius_gate.fixtures.emulator", *args],
        cwd=ROOT,
        env=loopback_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "listening on http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split("listening on ", 1)[1].split()[0]
        resp = httpx.get(f"{url}/v2/projects/mobiusos-staging/locations/us-central1/services", timeout=5)
        assert len(resp.json()["services"]) == 10
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
