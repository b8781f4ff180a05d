"""A malformed checklist stops the run with one line naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate.spec import DEFAULT_CHECKLIST, ChecklistError, load_checklist


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CHECKLIST.read_text()
    assert old in text
    path = tmp_path / "checklist.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_shipped_checklist_loads_and_resolves() -> None:
    spec = load_checklist().resolve("mobiusos-new")
    worker = spec.service("mobius-chat-worker")
    assert worker.image == "gcr.io/mobiusos-new/mobius-chat-api:latest"
    assert (worker.cpu_always_allocated, worker.min_instances, worker.max_instances, worker.timeout_seconds) == (
        True,
        1,
        1,
        3600,
    )
    assert worker.vpc_connector == "mobius-redis-connector" and worker.vpc_egress == "private-ranges-only"
    assert worker.env["VERTEX_PROJECT_ID"] == "mobiusos-new"
    assert len(spec.services) == 10
    assert spec.service("mobius-dbt-ui").public is False
    assert spec.service("mobius-dbt-ui").vpc_connector is None  # not a Redis user


def test_wrong_type_names_file_line_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, "  memory_size_gb: 1", "  memory_size_gb: one")
    with pytest.raises(ChecklistError) as err:
        load_checklist(path)
    line = _line_of(path, "memory_size_gb: one")
    assert str(err.value).startswith(f"{path}:{line}: redis.memory_size_gb: ")


def test_unknown_field_in_a_service(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "    health_path: /health\n    env:\n      QUEUE_TYPE",
        "    helth_path: /health\n    env:\n      QUEUE_TYPE",
    )
    with pytest.raises(ChecklistError) as err:
        load_checklist(path)
    assert f":{_line_of(path, 'helth_path')}: services.0.helth_path: Extra inputs are not permitted" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "checklist.yaml"
    path.write_text("version: 1\nservices: [\n  - a: b\n")
    with pytest.raises(ChecklistError, match=rf"^{path}:\d+: invalid YAML"):
        load_checklist(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read checklist"):
        load_checklist(tmp_path / "nope.yaml")


def test_pytest_reports_it_as_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    path = _broken(tmp_path, "role: worker", "role: wrker")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess(f"--checklist={path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    line = _line_of(path, "role: wrker")
    result.stderr.fnmatch_lines([f"ERROR: {path}:{line}: services.1.role: Input should be 'api', 'worker' or 'ui'*"])
    assert "Traceback" not in result.stderr.str()
