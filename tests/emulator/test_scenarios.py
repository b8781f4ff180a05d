"""Scenario files: staging is the checklist, prod is the Executive Summary, variants differ by one thing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mobius_gate.fixtures.emulator import Emulator, ScenarioError, load_scenario
from mobius_gate.fixtures.emulator.scenario import set_path, unset_path

from mobius_gate.spec import PRESENT, REDIS_URL_TOKEN, load_checklist
from tests.emulator.conftest import PROD, REGION, STAGING


def _services(emu: Emulator, project: str) -> dict[str, dict[str, Any]]:
    items = emu.store.children(f"projects/{project}/locations/{REGION}", "services")
    return {s["name"].rsplit("/", 1)[-1]: s for s in items}


def _env(svc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in svc["template"]["containers"][0].get("env", [])}


def _invokers(emu: Emulator, svc: dict[str, Any]) -> set[str]:
    bindings = emu.store.policy(svc["name"]).get("bindings", [])
    return {m for b in bindings if b["role"] == "roles/run.invoker" for m in b["members"]}


@pytest.fixture(scope="module")
def staging() -> Emulator:
    return Emulator("staging", STAGING)


def test_staging_is_the_checklist(staging: Emulator) -> None:
    spec = load_checklist().resolve(STAGING, REGION)
    proj = staging.project(STAGING)
    assert set(spec.apis.required) <= proj.enabled
    redis = staging.store.get(f"projects/{STAGING}/locations/{REGION}/instances/{spec.redis.name}", "Instance")
    assert (redis["tier"], redis["memorySizeGb"], redis["redisVersion"], redis["connectMode"], redis["state"]) == (
        spec.redis.tier,
        spec.redis.memory_size_gb,
        spec.redis.redis_version,
        spec.redis.connect_mode,
        "READY",
    )
    assert redis["authorizedNetwork"].endswith(f"/networks/{spec.redis.network}")
    redis_url = f"redis://{redis['host']}:{redis['port']}/{spec.redis.database}"
    conn = staging.store.get(f"projects/{STAGING}/locations/{REGION}/connectors/{spec.vpc_connector.name}", "C")
    assert (conn["network"], conn["ipCidrRange"], conn["minInstances"], conn["maxInstances"], conn["state"]) == (
        spec.vpc_connector.network,
        spec.vpc_connector.ip_cidr_range,
        spec.vpc_connector.min_instances,
        spec.vpc_connector.max_instances,
        "READY",
    )
    sa = spec.defaults.service_account
    for secret in spec.secrets.required:
        name = f"projects/{proj.number}/secrets/{secret}"
        assert staging.store.get(f"{name}/versions/1", "SecretVersion")["state"] == "ENABLED"
        assert f"serviceAccount:{sa}" in staging.store.policy(name)["bindings"][0]["members"]
    sql = staging.store.get(f"projects/{STAGING}/instances/{spec.cloud_sql.instance}", "Instance")
    assert sql["connectionName"] == spec.cloud_sql.connection_name and sql["state"] == "RUNNABLE"
    assert sql["settings"]["ipConfiguration"]["ipv4Enabled"] is False

    services = _services(staging, STAGING)
    assert sorted(services) == sorted(s.name for s in spec.services)
    for want in spec.services:
        svc = services[want.name]
        tpl, container = svc["template"], svc["template"]["containers"][0]
        where = want.name
        assert container["image"] == want.image, where
        assert tpl["serviceAccount"] == want.service_account, where
        assert svc["terminalCondition"]["state"] == "CONDITION_SUCCEEDED", where
        assert svc["traffic"] == [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}], where
        if want.cpu_always_allocated is not None:
            assert container["resources"]["cpuIdle"] is (not want.cpu_always_allocated), where
        if want.min_instances is not None:
            assert tpl["scaling"].get("minInstanceCount", 0) >= want.min_instances, where
        if want.max_instances is not None:
            assert tpl["scaling"]["maxInstanceCount"] == want.max_instances, where
        if want.timeout_seconds is not None:
            assert tpl["timeout"] == f"{want.timeout_seconds}s", where
        if want.vpc_connector:
            assert tpl["vpcAccess"]["connector"].endswith(f"/connectors/{want.vpc_connector}"), where
            assert tpl["vpcAccess"]["egress"] == want.vpc_egress.upper().replace("-", "_"), where
        else:
            assert "vpcAccess" not in tpl, where
        env = _env(svc)
        for key, value in want.env.items():
            got = env[key].get("value", "")
            expected = redis_url if value == REDIS_URL_TOKEN else value
            assert (got and "<" not in got) if value == PRESENT else got == expected, f"{where} {key}={got}"
        for key in want.secrets:
            secret, version = want.secret_ref(key)
            assert env[key]["valueSource"]["secretKeyRef"] == {"secret": secret, "version": version}, where
        sql_instances = [i for v in tpl.get("volumes", []) for i in v.get("cloudSqlInstance", {}).get("instances", [])]
        assert sql_instances == ([spec.cloud_sql.connection_name] if want.cloudsql else []), where
        assert ("allUsers" in _invokers(staging, svc)) is bool(want.public), where
        assert container.get("command") == want.command and container.get("args") == want.args, where
        assert svc["ingress"] == "INGRESS_TRAFFIC_ALL", where


def test_prod_is_the_executive_summary() -> None:
    emu = Emulator("prod", PROD)
    proj = emu.project(PROD)
    assert not {"redis.googleapis.com", "vpcaccess.googleapis.com"} & proj.enabled
    assert sorted(_services(emu, PROD)) == ["mobius-os", "mobius-rag"]
    assert emu.store.children(f"projects/{PROD}/locations/{REGION}", "instances") == []
    assert emu.store.children(f"projects/{PROD}/locations/{REGION}", "connectors") == []
    assert [s["name"] for s in emu.store.children(f"projects/{proj.number}", "secrets")] == [
        f"projects/{proj.number}/secrets/db-password-mobius-rag"
    ]
    sql = emu.store.get(f"projects/{PROD}/instances/mobius-platform-db", "Instance")
    assert sql["ipAddresses"] == [{"type": "PRIMARY", "ipAddress": "34.123.45.67"}]
    assert "privateNetwork" not in sql["settings"]["ipConfiguration"]
    rag = _services(emu, PROD)["mobius-rag"]
    assert "REDIS_URL" not in _env(rag) and "vpcAccess" not in rag["template"]
    assert "Pr0d-Passw0rd!" in _env(rag)["CHAT_RAG_DATABASE_URL"]["value"]


@pytest.mark.parametrize(
    ("variant", "service", "path", "expected"),
    [
        ("worker-cpu-throttled", "mobius-chat-worker", "template.containers[0].resources.cpuIdle", True),
        ("worker-no-connector", "mobius-chat-worker", "template.vpcAccess", None),
        (
            "redis-url-mismatch",
            "mobius-chat-worker",
            "template.containers[0].env[REDIS_URL].value",
            "redis://10.64.0.4:6379/0",
        ),
        ("public-dbt-ui", "mobius-dbt-ui", "emulator.iam.bindings[0].members[0]", "allUsers"),
    ],
)
def test_variants_differ_from_staging_in_one_service(variant: str, service: str, path: str, expected: Any) -> None:
    base, scn = load_scenario("staging"), load_scenario(variant)
    assert scn.enabled == base.enabled and set(scn.resources) == set(base.resources)
    changed = [(k, n) for k in base.resources for n in base.resources[k] if base.resources[k][n] != scn.resources[k][n]]
    assert changed == [("services", service)]
    assert _lookup(scn.resources["services"][service], path) == expected


def _lookup(body: dict[str, Any], path: str) -> Any:
    holder: dict[str, Any] = {"v": None}
    try:
        node: Any = body
        for part in path.replace("]", "").replace("[", ".").split("."):
            node = (
                node[int(part)]
                if isinstance(node, list) and part.isdigit()
                else (next(i for i in node if i.get("name") == part) if isinstance(node, list) else node[part])
            )
        holder["v"] = node
    except (KeyError, StopIteration):
        pass
    return holder["v"]


def _write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_patches_and_placeholders(tmp_path: Path) -> None:
    base = _write(
        tmp_path,
        "base.yaml",
        """
project_number: "111"
region: europe-west1
apis: {enabled: [run.googleapis.com]}
resources:
  services:
    web:
      template: {containers: [{image: "gcr.io/${PROJECT}/web", env: [{name: A, value: "${PROJECT_NUMBER}"}]}]}
""",
    )
    child = _write(
        tmp_path,
        "child.yaml",
        f"""
extends: {base}
patches:
  - resource: services/web
    set: {{"template.containers[0].env[A].value": "x-${{REGION}}", "template.containers[0].env[B].value": b}}
""",
    )
    emu = Emulator(child, "p1")
    (svc,) = emu.store.children("projects/p1/locations/europe-west1", "services")
    container = svc["template"]["containers"][0]
    assert container["image"] == "gcr.io/p1/web"
    assert container["env"] == [{"name": "A", "value": "x-europe-west1"}, {"name": "B", "value": "b"}]
    assert emu.project("111").id == "p1"
    with pytest.raises(ScenarioError, match="already loaded"):
        emu.load(child, "p1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project_number: '1'\ncolour: red\n", "unknown key"),
        (
            "project_number: '1'\nresources: {services: {web: {template: {containers: [{imag: x}]}}}}\n",
            "resources.services.web",
        ),
        ("project_number: '1'\nresources: {widgets: {}}\n", "resources.widgets: unknown kind"),
        ("project_number: '1'\nresources: {secrets: {s: {emulator: {versions: [{state: LOST}]}}}}\n", "LOST"),
        ("project_number: '1'\nresources: {services: {w: {description: '${NOPE}'}}}\n", "${NOPE}"),
        ("project_number: '1'\npatches: [{resource: services/ghost, remove: true}]\n", "services/ghost"),
        ("project_number: '1'\napis: [run]\n", "apis must be a mapping"),
        ("resources: {}\n", "project_number is required"),
        ("project_number: '1'\nregion: [\n", "invalid YAML"),
    ],
)
def test_malformed_scenario_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ScenarioError) as info:
        Emulator(path, "p1")
    assert str(path) in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_extends_cycle_and_missing_file(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    _write(tmp_path, "b.yaml", f"extends: {a}\nproject_number: '1'\n")
    _write(tmp_path, "a.yaml", f"extends: {tmp_path / 'b.yaml'}\nproject_number: '1'\n")
    with pytest.raises(ScenarioError, match="extends cycle"):
        load_scenario(a)
    with pytest.raises(ScenarioError, match=r"no such scenario file .*bundled scenarios: .*prod"):
        load_scenario("nonexistent")


def test_set_and_unset_paths() -> None:
    body: dict[str, Any] = {"c": [{"env": [{"name": "A", "value": "1"}]}]}
    set_path(body, "c[0].env[A].value", "2")
    set_path(body, "c[0].x.y", 3)
    unset_path(body, "c[0].env[A]")
    assert body == {"c": [{"env": [], "x": {"y": 3}}]}
    with pytest.raises(KeyError):
        unset_path(body, "c[0].missing")


def test_a_user_scenario_extends_a_bundled_one_by_name(tmp_path) -> None:
    from mobius_gate.fixtures.emulator.scenario import load_scenario

    path = tmp_path / "mine.yaml"
    path.write_text("extends: staging\napis:\n  forbidden: [secretmanager.googleapis.com]\n")
    scn = load_scenario(path)
    assert scn.name == "mine" and "secretmanager.googleapis.com" in scn.forbidden
    assert len(scn.resources["services"]) == 10
