"""The installed ``mobius-gate`` command: its name in --help, its version, short node ids, no rewrite warning."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from _pytest.assertion import rewrite
from _pytest.config import parse_warning_filter

import mobius_gate
from mobius_gate.cli import REWRITE_WARNING, pytest_args
from mobius_gate.plugin import CHECKS_DIR

COMMAND = Path(sys.executable).with_name("mobius-gate")


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_help_and_version_name_mobius_gate(tmp_path: Path, loopback_env: dict[str, str]) -> None:
    helped = _run(tmp_path, loopback_env, "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: mobius-gate [options]")
    assert "pytest.main()" not in helped.stdout
    version = _run(tmp_path, loopback_env, "--version")
    assert version.returncode == 0
    assert version.stdout.splitlines()[0] == f"mobius-gate {mobius_gate.__version__}"
    assert "pytest" in version.stdout + version.stderr


def test_node_ids_are_relative_to_the_checks(tmp_path: Path, loopback_env: dict[str, str]) -> None:
    proc = _run(tmp_path, loopback_env, "--project=mobiusos-new", "--emulator=prod", "-q", "-k", "SVC-DEPLOYED")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED ")]
    assert failed and all(line.startswith("FAILED test_svc_deploy.py::test_service_deployed[") for line in failed)
    assert "../" not in proc.stdout and "PytestAssertRewriteWarning" not in proc.stdout + proc.stderr


def test_the_arguments_keep_a_rootdir_given_by_the_user() -> None:
    assert pytest_args(["-q"])[:2] == [str(CHECKS_DIR), "-p"]
    assert f"--rootdir={CHECKS_DIR}" in pytest_args(["-q"])
    assert pytest_args(["--rootdir=/tmp"]).count("--rootdir=/tmp") == 1
    assert not any(a == f"--rootdir={CHECKS_DIR}" for a in pytest_args(["--rootdir", "/tmp"]))


def test_the_rewrite_warning_filter_hides_only_mobius_gates_own() -> None:
    """Installed, ``mobius_gate`` is imported before pytest marks the plugin for rewriting (harmless)."""
    assert "Module already imported so cannot be rewritten; {name}" in inspect.getsource(rewrite)
    action, message, category, _, _ = parse_warning_filter(REWRITE_WARNING, escape=True)
    assert (action, category) == ("ignore", pytest.PytestAssertRewriteWarning)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.filterwarnings(action, message, category)
        for name in ("mobius_gate", "other"):
            text = f"Module already imported so cannot be rewritten; {name}"
            warnings.warn(pytest.PytestAssertRewriteWarning(text), stacklevel=1)
    assert [str(w.message) for w in seen] == ["Module already imported so cannot be rewritten; other"]
