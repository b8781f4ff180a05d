"""`pytest e2e` command-line behaviour that needs no stack."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_images_stack_without_docker_stops_with_one_line() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "e2e", "--stack=images", "--project=mobiusos-new", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "ERROR: --stack=images needs a Docker engine: none answered at unix:///nonexistent/docker.sock "
        "(/nonexistent/docker.sock does not exist)"
    ]
