"""The pre-deploy gate: `pytest checks --snapshot=DIR` on exported service definitions (in-process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.acceptance.gate import node

SAMPLE = Path(__file__).resolve().parents[1] / "collect" / "data" / "snapshot-staging"


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    target = tmp_path / "snapshot"
    shutil.copytree(SAMPLE, target)
    return target


def test_staging_export_passes_and_other_resources_are_not_in_snapshot(gate, snapshot: Path) -> None:
    run = gate("--project=mobiusos-new", f"--snapshot={snapshot}")
    assert run.returncode == 0, run.stdout[-3000:]
    assert not run.with_outcome("failed") and not run.with_outcome("error")
    assert node("test_cpu_always_allocated[mobius-chat-worker]") in run.with_outcome("passed")
    # Redis, connectors, APIs, secrets are not in an export: skipped with that reason, never passed.
    assert node("test_redis_instance[mobius-redis]") in run.with_outcome("skipped")
    assert "not in snapshot" in run.stdout


def test_one_throttled_worker_fails_exactly_that_check(gate, snapshot: Path) -> None:
    worker = snapshot / "chat-worker.yaml"
    text = worker.read_text()
    assert text.count("run.googleapis.com/cpu-throttling: 'false'") == 1
    worker.write_text(
        text.replace("run.googleapis.com/cpu-throttling: 'false'", "run.googleapis.com/cpu-throttling: 'true'")
    )
    run = gate("--project=mobiusos-new", f"--snapshot={snapshot}")
    assert run.returncode == 1
    assert run.with_outcome("failed") == {node("test_cpu_always_allocated[mobius-chat-worker]")}
    assert "[SVC-CPU-ALWAYS] mobius-chat-worker:" in run.stdout


def test_a_malformed_snapshot_names_the_file(gate, snapshot: Path) -> None:
    (snapshot / "broken.yaml").write_text("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: [\n")
    run = gate(f"--snapshot={snapshot}")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert "broken.yaml" in run.stderr and "Traceback" not in run.stderr + run.stdout
