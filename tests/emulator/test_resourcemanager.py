"""Cloud Resource Manager v3 project IAM: the official ProjectsClient (REST) against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.api_core import exceptions as gexc
from google.cloud import resourcemanager_v3
from google.iam.v1 import policy_pb2
from mobius_gate.fixtures.emulator import Emulator, ScenarioError

from tests.emulator.conftest import PROD, STAGING, make_client

pytestmark = pytest.mark.servers
OWNER = "user:platform-admin@example.com"
ACCESSOR = "roles/secretmanager.secretAccessor"


def test_get_project_policy_by_id_and_number(shared_emulator: Emulator) -> None:
    client = make_client(resourcemanager_v3.ProjectsClient, shared_emulator)
    shared_emulator.reset_stats()
    by_id = client.get_iam_policy(request={"resource": f"projects/{PROD}", "options": {"requested_policy_version": 3}})
    number = shared_emulator.project(PROD).number
    by_number = client.get_iam_policy(request={"resource": f"projects/{number}"})
    assert by_id == by_number
    assert {b.role: list(b.members) for b in by_id.bindings} == {
        "roles/owner": [OWNER],
        "roles/editor": [f"serviceAccount:{number}-compute@developer.gserviceaccount.com"],
    }
    stats = shared_emulator.stats()
    assert stats["by_route"] == {"POST /v3/projects/{project}:getIamPolicy": 2}
    assert stats["writes"] == 0  # counted as a read, like every :getIamPolicy


def test_set_project_policy_round_trips_with_a_new_etag(emulator: Emulator) -> None:
    client = make_client(resourcemanager_v3.ProjectsClient, emulator)
    resource = f"projects/{STAGING}"
    before = client.get_iam_policy(request={"resource": resource})
    binding = policy_pb2.Binding(
        role=ACCESSOR, members=[f"serviceAccount:mobius-platform@{STAGING}.iam.gserviceaccount.com"]
    )
    policy = policy_pb2.Policy(bindings=[*before.bindings, binding], etag=before.etag)
    stored = client.set_iam_policy(request={"resource": resource, "policy": policy})
    assert stored.etag != before.etag
    after = client.get_iam_policy(request={"resource": resource})
    assert [b.role for b in after.bindings] == ["roles/owner", "roles/editor", ACCESSOR]
    assert emulator.stats()["writes"] == 1


def test_forbidden_and_disabled_answer_like_google(tmp_path: Path) -> None:
    (tmp_path / "forbidden.yaml").write_text(
        "extends: staging\napis: {forbidden: [cloudresourcemanager.googleapis.com]}\n", encoding="utf-8"
    )
    (tmp_path / "off.yaml").write_text("extends: staging\napis: {enabled: [run.googleapis.com]}\n", encoding="utf-8")
    with Emulator(tmp_path / "forbidden.yaml", project="p-forbidden") as emu:
        emu.load(tmp_path / "off.yaml", "p-off", number="777")
        client = make_client(resourcemanager_v3.ProjectsClient, emu)
        with pytest.raises(gexc.Forbidden) as denied:
            client.get_iam_policy(request={"resource": "projects/p-forbidden"})
        assert denied.value.reason == "IAM_PERMISSION_DENIED"
        with pytest.raises(gexc.Forbidden) as off:
            client.get_iam_policy(request={"resource": "projects/p-off"})
        assert off.value.reason == "SERVICE_DISABLED"
        assert "Cloud Resource Manager API has not been used in project 777" in off.value.message
        with pytest.raises(gexc.Forbidden):
            client.get_iam_policy(request={"resource": "projects/no-such-project"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{other: {bindings: []}}", "the project has one IAM policy: name it 'policy', not 'other'"),
        ("{policy: {bindings: [{role: 7, members: x}]}}", "resources.project_iam.policy"),
    ],
)
def test_bad_project_iam_scenario_names_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: staging\nresources:\n  project_iam: {body}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        Emulator(path, project="p-bad")
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)
