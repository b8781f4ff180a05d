"""Pre-deploy snapshots: Knative export YAML, v2 JSON, saved inventories; clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mobius_gate.collect.normalize import service_from_knative
from mobius_gate.collect.snapshot import SnapshotError, load_snapshot
from mobius_gate.inventory import SECTIONS
from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN, load_checklist

DATA = Path(__file__).parent / "data"
STAGING = DATA / "snapshot-staging"
V2_WORKER = DATA / "wire" / "mobius-chat-worker.v2.json"
PROJECT, REGION = "mobiusos-new", "us-central1"
REDIS_URL = "redis://10.64.0.3:6379/0"


def load(directory: Path):
    return load_snapshot(directory, PROJECT, REGION)


def test_staging_sample_has_the_ten_services_identified_by_their_own_names() -> None:
    inv = load(STAGING)
    spec = load_checklist().resolve(PROJECT, REGION)
    assert sorted(s.name for s in inv.services.items) == sorted(s.name for s in spec.services)
    assert inv.services.status == "ok"
    assert inv.source == f"snapshot:{STAGING}"
    for name in SECTIONS:
        if name != "services":
            assert inv.section(name).status == "not_collected"
            assert inv.section(name).cause == f"not in snapshot {STAGING}"


def test_staging_sample_matches_the_resolved_checklist() -> None:
    """The sample is the conformant state: every checklist value holds in it."""
    inv = load(STAGING)
    spec = load_checklist().resolve(PROJECT, REGION)
    for want in spec.services:
        got = inv.service(want.name)
        assert got is not None, want.name
        assert got.image == want.image, want.name
        assert got.service_account == want.service_account, want.name
        if want.cpu_always_allocated:
            assert got.cpu_always_allocated is True, want.name
        if want.min_instances is not None:
            assert (got.min_instances or 0) >= want.min_instances, want.name
        if want.max_instances is not None:
            assert got.max_instances == want.max_instances, want.name
        if want.timeout_seconds is not None:
            assert got.timeout_seconds == want.timeout_seconds, want.name
        assert got.vpc_connector == want.vpc_connector, want.name
        assert got.vpc_egress == want.vpc_egress, want.name
        assert bool(got.cloudsql_instances) == want.cloudsql, want.name
        if want.cloudsql:
            assert got.cloudsql_instances == [spec.cloud_sql.connection_name]
        for key, value in want.env.items():
            var = got.env_value(key)
            assert var is not None and var.value, (want.name, key)
            if value == REDIS_URL_TOKEN:
                assert var.value == REDIS_URL
            elif value != PRESENT:
                assert var.value == value, (want.name, key)
        for key in want.secrets:
            var = got.env_value(key)
            secret, version = want.secret_ref(key)
            assert var is not None and var.secret_ref is not None, (want.name, key)
            assert (var.secret_ref.secret, var.secret_ref.version) == (secret, version)
        if want.command is not None:
            assert got.command == want.command and got.args == want.args, want.name
        assert "<" not in json.dumps([v.value for v in got.env]), want.name


def test_staging_sample_has_no_password_in_the_database_url() -> None:
    inv = load(STAGING)
    for svc in inv.services.items:
        var = svc.env_value("CHAT_RAG_DATABASE_URL")
        if var is not None:
            assert var.value is not None and ":" not in var.value.split("//", 1)[1].split("@", 1)[0]


def test_v2_json_list_response_and_saved_inventory_are_accepted(tmp_path: Path) -> None:
    v2 = json.loads(V2_WORKER.read_text())

    def renamed(name: str) -> dict:
        return {**v2, "name": v2["name"].replace("mobius-chat-worker", name)}

    (tmp_path / "list.json").write_text(json.dumps([renamed("from-list")]))
    (tmp_path / "response.json").write_text(json.dumps({"services": [renamed("from-response")]}))
    saved = load(STAGING)
    saved.save(tmp_path / "saved-inventory.json")
    inv = load(tmp_path)
    expected = {"from-list", "from-response", *(s.name for s in saved.services.items)}
    assert {s.name for s in inv.services.items} == expected
    for svc in saved.services.items:
        assert inv.service(svc.name) == svc


def test_duplicate_service_across_files_names_both(tmp_path: Path) -> None:
    shutil.copy(STAGING / "chat-worker.yaml", tmp_path / "a.yaml")
    shutil.copy(V2_WORKER, tmp_path / "b.json")
    with pytest.raises(SnapshotError, match=r"b\.json: service 'mobius-chat-worker' is also defined at .*a\.yaml:1"):
        load(tmp_path)


def test_v2_json_and_export_yaml_of_one_service_load_alike(tmp_path: Path) -> None:
    (tmp_path / "yaml").mkdir()
    (tmp_path / "json").mkdir()
    shutil.copy(STAGING / "chat-worker.yaml", tmp_path / "yaml" / "whatever-name.yaml")
    shutil.copy(V2_WORKER, tmp_path / "json" / "x.json")
    from_yaml = load(tmp_path / "yaml").service("mobius-chat-worker")
    from_json = load(tmp_path / "json").service("mobius-chat-worker")
    assert from_yaml is not None and from_json is not None
    status = {
        "uri",
        "ready",
        "ready_message",
        "reconciling",
        "latest_created_revision",
        "latest_ready_revision",
        "traffic",
    }
    # CPU allocation: the export says it; v2 JSON alone cannot (unknown, never assumed conformant)
    assert from_yaml.cpu_always_allocated is True and from_json.cpu_always_allocated is None
    status.add("cpu_always_allocated")
    # JWT_SECRET names projects/123456789012/...: the export's namespace is that number (this project's
    # secret); v2 JSON alone knows only the project id, so it cannot tell (SVC-SECRET-REF: cannot confirm)
    yaml_jwt, json_jwt = (s.env_value("JWT_SECRET").secret_ref for s in (from_yaml, from_json))
    assert yaml_jwt.same_project is True and json_jwt.same_project is None and json_jwt.project == "123456789012"
    assert yaml_jwt.model_copy(update={"same_project": None, "project": "123456789012"}) == json_jwt
    status.add("env")
    assert [v for v in from_yaml.env if v.secret_ref is None] == [v for v in from_json.env if v.secret_ref is None]
    assert from_yaml.model_dump(exclude=status) == from_json.model_dump(exclude=status)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: [x\n")
    with pytest.raises(SnapshotError, match=r"bad\.yaml:\d+: invalid YAML"):
        load(tmp_path)


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{\n  "name": "projects/p/locations/r/services/s",\n  "template": {,\n}')
    with pytest.raises(SnapshotError, match=r"bad\.json:3: invalid JSON"):
        load(tmp_path)


def test_unknown_kind_names_file_and_document_line(tmp_path: Path) -> None:
    text = (STAGING / "chat-api.yaml").read_text() + "---\napiVersion: run.googleapis.com/v1\nkind: Job\n"
    (tmp_path / "mixed.yaml").write_text(text)
    line = text.count("\n", 0, text.index("---")) + 2
    with pytest.raises(SnapshotError, match=rf"mixed\.yaml:{line}: not a Cloud Run service \(kind 'Job'\)"):
        load(tmp_path)


def test_bad_annotation_value_names_the_file(tmp_path: Path) -> None:
    text = (STAGING / "chat-api.yaml").read_text().replace("minScale: '1'", "minScale: one")
    (tmp_path / "chat-api.yaml").write_text(text)
    with pytest.raises(SnapshotError, match=r"chat-api\.yaml:1: not a usable Cloud Run service: expected an integer"):
        load(tmp_path)


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="snapshot directory not found"):
        load(tmp_path / "nope")
    with pytest.raises(SnapshotError, match=r"no \*\.yaml"):
        load(tmp_path)


def test_multi_document_file_holds_both_rag_workers() -> None:
    docs = (STAGING / "rag-workers.yml").read_text().split("\n---\n")
    assert len(docs) == 2
    inv = load(STAGING)
    for name in ("mobius-rag-chunking-worker", "mobius-rag-embedding-worker"):
        svc = inv.service(name)
        assert svc is not None and svc.cpu_always_allocated is True and svc.timeout_seconds == 3600


def test_service_level_min_scale_from_a_newer_export() -> None:
    svc = load(STAGING).service("mobius-os")
    assert svc is not None and svc.min_instances == 1
    doc = yaml.safe_load((STAGING / "os.yaml").read_text())
    assert "autoscaling.knative.dev/minScale" not in doc["spec"]["template"]["metadata"]["annotations"]
    assert service_from_knative(doc).min_instances == 1
