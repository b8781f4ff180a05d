"""What the command line reaches: gate options need the gate's checks, listing never touches an API,
and the gate's option names leave room for other well-known plugins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mobius_gate.plugin import CHECKS_DIR

FRAMEWORK_TEST = "def test_framework():\n    pass\n"

#: Run the installed checks in-process and report which heavy modules that imported.
PROBE = """
import json, sys
import pytest
rc = pytest.main([sys.argv[1], "-q", "-p", "no:cacheprovider", *sys.argv[2:]])
heavy = sorted({m for m in sys.modules if m.startswith(("google.cloud.", "fastapi", "starlette", "uvicorn", "grpc"))})
print("PROBE " + json.dumps({"rc": int(rc), "heavy": heavy[:5]}))
"""


def _probe(tmp_path: Path, env: dict[str, str], *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(CHECKS_DIR), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
    return {**json.loads(line.removeprefix("PROBE ")), "stdout": proc.stdout}


def test_gate_options_without_a_path_are_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_framework=FRAMEWORK_TEST)
    result = pytester.runpytest_subprocess("--emulator=prod", "--project=mobiusos-new")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --project and --emulator apply to the gate's checks, but no path to them was given: "
            "run `pytest checks *--emulator=prod --project=mobiusos-new` in a checkout, "
            "or `mobius-gate *--emulator=prod --project=mobiusos-new`"
        ]
    )
    assert "test_framework" not in result.stdout.str()


def test_gate_options_on_a_path_without_checks_are_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_framework=FRAMEWORK_TEST)
    result = pytester.runpytest_subprocess("test_framework.py", "--snapshot=.")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --snapshot applies to the gate's checks, but no check was collected from test_framework.py: *"]
    )
    result.assert_outcomes()


def test_framework_tests_run_without_gate_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_framework=FRAMEWORK_TEST)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_list_requirements_without_a_path_lists_the_gate_checks(loopback_env: dict[str, str]) -> None:
    """From the checkout's root (whose testpaths are the framework's tests) it still counts the checks."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--list-requirements", "-p", "no:cacheprovider"],
        cwd=CHECKS_DIR.parent,
        env=loopback_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("SVC-DEPLOYED") and " 10  service deployed" in line for line in lines), proc.stdout
    assert not any(line.endswith(" 0 checks for mobiusos-new") for line in lines)


def test_list_requirements_elsewhere_says_where_the_checks_are(pytester: pytest.Pytester) -> None:
    """Outside the checkout its conftest cannot load, so the run names the command instead."""
    pytester.makepyfile(test_framework=FRAMEWORK_TEST)
    result = pytester.runpytest_subprocess("--list-requirements")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --list-requirements: no path to the gate's checks was given: run *"])


def test_other_plugins_may_own_inventory_and_strict(pytester: pytest.Pytester) -> None:
    """pytest-ansible adds --inventory; the gate's options must not collide with it."""
    pytester.makeconftest(
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--inventory', dest='ansible_inventory')\n"
        "    parser.addoption('--save-inventory', dest='ansible_save')\n"
    )
    pytester.makepyfile(test_framework=FRAMEWORK_TEST)
    pytester.runpytest_subprocess("--inventory=hosts").assert_outcomes(passed=1)


def test_collect_only_needs_no_credentials_and_no_client(tmp_path: Path, loopback_env: dict[str, str]) -> None:
    """Live GCP is the default source, and there are no credentials here: listing still works."""
    env = {**loopback_env, "HOME": str(tmp_path), "CLOUDSDK_CONFIG": str(tmp_path / "gcloud")}
    probe = _probe(tmp_path, env, "--collect-only", "-k", "SVC-DEPLOYED")
    assert probe["rc"] == 0, probe["stdout"][-2000:]
    assert probe["heavy"] == []
    assert "10/165 tests collected (155 deselected)" in probe["stdout"]


def test_list_requirements_and_replay_import_no_client(tmp_path: Path, loopback_env: dict[str, str]) -> None:
    from mobius_gate.inventory import Inventory

    listing = _probe(tmp_path, loopback_env, "--list-requirements")
    assert (listing["rc"], listing["heavy"]) == (0, [])
    saved = tmp_path / "inv.json"
    Inventory(project="mobiusos-new", region="us-central1", source="test").save(saved)
    replay = _probe(tmp_path, loopback_env, f"--gate-inventory={saved}", "-k", "INF-API")
    assert replay["rc"] == 1, replay["stdout"][-2000:]  # nothing collected in that inventory: errors
    assert replay["heavy"] == []


def test_the_emulator_without_its_extra_is_one_line(tmp_path: Path, loopback_env: dict[str, str]) -> None:
    """Installed without ``[emulator]`` (Starlette absent): a usage line naming the extra, no traceback."""
    code = (
        "import sys; sys.modules['starlette'] = None; import pytest; "
        f"sys.exit(pytest.main([{str(CHECKS_DIR)!r}, '-q', '-p', 'no:cacheprovider', '--emulator=staging']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=loopback_env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (
        "ERROR: --emulator staging: the bundled emulator needs `pip install 'mobius-gate[emulator]'` "
        "(starlette is missing); or pass the URL of a running one"
    ) in proc.stderr
    assert "Traceback" not in proc.stderr
