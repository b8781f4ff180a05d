"""The wheel as a user gets it: built from the checkout, installed into a fresh venv beside PyPI's
``fixtures`` (testing-cabal), and run on the emulator through its entry points.

Fast on purpose: the wheel goes in with ``--no-deps`` and the new venv reaches the dev venv's
dependencies through a ``.pth`` line, so only ``mobius-gate`` and ``fixtures`` are installed.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.version import Version

pytestmark = pytest.mark.servers

REPO = Path(__file__).resolve().parents[2]
#: What a checkout holds that is not source: never copied into the build.
NOT_SOURCE = (".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".ruff_cache", "out")


@dataclass(frozen=True)
class Installed:
    bin: Path
    site: Path
    new_names: set[str]
    env: dict[str, str]
    fixtures_error: str | None  # why PyPI's fixtures could not be installed, if it could not

    def run(self, *cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=180, check=False)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the source, so nothing (build/, egg-info) is written into the checkout."""
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    # The dev extra brings a setuptools that builds wheels itself: no isolated build env to set up.
    isolation = [] if Version(importlib.metadata.version("setuptools")) < Version("70.1") else ["--no-build-isolation"]
    built = _pip("wheel", "--no-deps", *isolation, "-q", "-w", str(tmp / "dist"), str(source))
    assert built.returncode == 0, built.stderr[-3000:]
    return next((tmp / "dist").glob("mobius_gate-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    root = tmp / "venv"
    venv.create(root, with_pip=False)
    bin_dir = root / "bin"
    site = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    # The dev venv's dependencies, reached without installing them again.
    (site / "dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    before = {p.name for p in site.iterdir()}
    python = str(bin_dir / "python")
    wheel_in = _pip("--python", python, "install", "--no-deps", "-q", str(wheel))
    assert wheel_in.returncode == 0, wheel_in.stderr[-3000:]
    new_names = {p.name for p in site.iterdir()} - before
    fixtures_in = _pip("--python", python, "install", "--no-deps", "-q", "fixtures")  # it has no dependencies
    error = None if fixtures_in.returncode == 0 else (fixtures_in.stderr.strip().splitlines() or ["?"])[-1]
    # As a user runs it: bytecode (and pytest's rewritten checks) cached in the new venv, no checkout on the path.
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "GOOGLE_APPLICATION_CREDENTIALS", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(NO_GCE_CHECK="True", GCE_METADATA_HOST="127.0.0.1:9", GCE_METADATA_IP="127.0.0.1:9")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return Installed(bin_dir, site, new_names, env, error)


def test_the_wheel_adds_only_mobius_gate_names(installed: Installed) -> None:
    assert {name for name in installed.new_names if not name.startswith("mobius_gate")} == set()
    assert "mobius_gate" in installed.new_names
    assert (installed.bin / "mobius-gate").is_file()


def test_the_wheel_ships_its_data(installed: Installed) -> None:
    package = installed.site / "mobius_gate"
    assert (package / "checklist.yaml").is_file()
    scenarios = {p.stem for p in (package / "fixtures/emulator/scenarios").glob("*.yaml")}
    assert {"prod", "staging", "worker-cpu-throttled"} <= scenarios
    assert list((package / "fixtures/stack/migrations").glob("*.sql"))
    entry_points = next(installed.site.glob("mobius_gate-*.dist-info")) / "entry_points.txt"
    assert "mobius_gate = mobius_gate.plugin" in entry_points.read_text()


def test_mobius_gate_and_pypi_fixtures_both_import(installed: Installed, tmp_path: Path) -> None:
    if installed.fixtures_error:
        pytest.skip(f"PyPI unreachable: `pip install fixtures` failed: {installed.fixtures_error}")
    code = (
        "import fixtures, mobius_gate.fixtures.emulator, mobius_gate.plugin;"
        "assert hasattr(fixtures, 'Fixture'), fixtures.__file__;"
        "print(fixtures.__file__); print(mobius_gate.plugin.CHECKS_DIR)"
    )
    proc = installed.run(str(installed.bin / "python"), "-c", code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fixtures_file, checks_dir = proc.stdout.split()
    assert Path(checks_dir) == installed.site / "mobius_gate" / "checks"
    assert Path(fixtures_file).is_relative_to(installed.site / "fixtures")


def test_the_installed_gate_judges_staging_conformant(installed: Installed, tmp_path: Path) -> None:
    proc = installed.run("mobius-gate", "--project=mobiusos-new", "--emulator=staging", "-q", cwd=tmp_path)
    assert proc.returncode == 6, proc.stdout[-3000:] + proc.stderr[-3000:]  # no database, no live flows
    assert "release gate: INCOMPLETE (exit 6)" in proc.stdout
    assert "158 passed" in proc.stdout


def test_the_installed_gate_fails_prod_and_k_selects_a_requirement(installed: Installed, tmp_path: Path) -> None:
    cmd = ("mobius-gate", "--project=mobiusos-new", "--emulator=prod", "-k", "SVC-DEPLOYED", "-q")
    proc = installed.run(*cmd, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 passed, 155 deselected" in proc.stdout.replace("8 failed, ", "")
    assert "partial run: no release verdict (exit 1)" in proc.stdout
