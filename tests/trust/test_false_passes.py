"""Issue 9 §1, end to end: each false pass as a bundled emulator scenario, collected by the real clients.

For every scenario the gate's rules (``engine.judge_all``) fail exactly the expected
(requirement, resource) pairs on the inventory the official google-cloud clients
collected over HTTP; the fix names the deviating resource and the right values; and
applying the fix's structured steps to the emulator's state makes the same rules pass
(manual fixes, never applied automatically, say so instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.engine import judge_all
from mobius_gate.fixes import MANUAL, Fix, Step
from mobius_gate.inventory import Inventory
from mobius_gate.spec import Checklist, load_checklist
from mobius_gate.verdict import Verdict

pytestmark = pytest.mark.servers

PROJECT, REGION = "mobiusos-new", "us-central1"
SECTIONS = {"apis", "services", "redis_instances", "connectors", "secrets", "sql_instances", "project_iam"}
OPTIONS = CollectOptions(timeout_s=30, retry_attempts=2, retry_initial_s=0.05)
CLOUDSQL_USERS = ["mobius-chat-api", "mobius-chat-worker", "mobius-rag", "mobius-rag-chunking-worker"]

#: scenario → the exact blocking failures (requirement, resource) and a text each fix must contain.
EXPECTED: dict[str, dict[tuple[str, str], str]] = {
    "secret-latest-disabled": {
        ("INF-SECRET", "jwt-secret"): "gcloud secrets versions enable 2 --secret=jwt-secret",
        ("SVC-SECRET-REF", "mobius-chat-api"): "gcloud secrets versions enable 2 --secret=jwt-secret",
        ("SVC-SECRET-REF", "mobius-chat-worker"): "gcloud secrets versions enable 2 --secret=jwt-secret",
    },
    "connector-other-project": {
        ("SVC-VPC-CONNECTOR", "mobius-chat-worker"): "gcloud run services update mobius-chat-worker "
        "--vpc-connector=mobius-redis-connector --vpc-egress=private-ranges-only",
    },
    "invoker-iam-disabled": {
        ("SVC-INGRESS", "mobius-dbt-ui"): "gcloud run services update mobius-dbt-ui --invoker-iam-check",
    },
    "sql-instance-absent": {
        ("DB-INSTANCE", "mobius-platform-db"): "gcloud sql instances create mobius-platform-db --region=us-central1",
        **{
            ("SVC-CLOUDSQL", name): "create or restore the instance"
            for name in [*CLOUDSQL_USERS, "mobius-rag-embedding-worker"]
        },
    },
    "sql-instance-suspended": {
        ("DB-INSTANCE", "mobius-platform-db"): "no gcloud command starts it",
    },
    "sql-instance-stopped": {
        ("DB-INSTANCE", "mobius-platform-db"): "gcloud sql instances patch mobius-platform-db "
        "--activation-policy=ALWAYS",
    },
    "redis-url-db-index": {
        ("INF-REDIS-URL", "mobius-chat-api"): "mobius-chat-api --update-env-vars=REDIS_URL=redis://10.64.0.3:6379/0",
        ("SVC-REDIS-SHARED", "mobius-chat-api+mobius-chat-worker"): "gcloud run services update mobius-chat-api "
        "--update-env-vars=REDIS_URL=redis://10.64.0.3:6379/0",
    },
}


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return load_checklist().resolve(PROJECT, REGION)


@contextmanager
def running(scenario: str) -> Iterator[Emulator]:
    with Emulator(scenario, project=PROJECT) as emu:
        yield emu


def collect(emu: Emulator) -> Inventory:
    return collect_inventory(Target(PROJECT, REGION, emu.url), OPTIONS, SECTIONS)


def blocking_failures(spec: Checklist, inv: Inventory) -> dict[tuple[str, str], Verdict]:
    from mobius_gate.requirements import CATALOGUE

    return {
        (v.requirement, v.resource): v
        for v in judge_all(spec, inv)
        if v.status in ("fail", "error") and CATALOGUE[v.requirement].severity == "blocking"
    }


def test_staging_stays_conformant(spec: Checklist) -> None:
    with running("staging") as emu:
        inv = collect(emu)
    assert blocking_failures(spec, inv) == {}
    verdicts = {(v.requirement, v.resource): v.status for v in judge_all(spec, inv)}
    assert verdicts[("DB-INSTANCE", "mobius-platform-db")] == "pass"


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_fails_exactly_with_the_fix_and_the_fix_repairs_it(spec: Checklist, scenario: str) -> None:
    expected = EXPECTED[scenario]
    with running(scenario) as emu:
        failures = blocking_failures(spec, collect(emu))
        assert set(failures) == set(expected), {k: v.message() for k, v in failures.items()}
        for key, text in expected.items():
            verdict = failures[key]
            assert verdict.status == "fail", verdict.message()
            assert text in (verdict.fix or ""), verdict.message()
        applied = [apply(emu, step) for v in failures.values() for step in fix_steps(v)]
        repaired = blocking_failures(spec, collect(emu))
    if any(applied):
        assert repaired == {}, {k: v.message() for k, v in repaired.items()}
    else:  # manual fixes only: nothing was applied, the failures stay
        assert set(repaired) == set(expected)


def fix_steps(verdict: Verdict) -> list[Step]:
    return list(Fix.from_json(verdict.details["fix"]).steps) if verdict.details.get("fix") else []


def apply(emu: Emulator, step: Step) -> bool:
    """The effect of one step on the emulator's state, as the API call would make it; False when not automatic."""
    if step.operation in MANUAL or step.operation.endswith(("describe", "list")):
        return False
    if step.operation == "secrets.versions.enable":
        number = emu.project(step.project).number
        version = emu.store.get(f"projects/{number}/secrets/{step.target}/versions/{step.params['version']}", "V")
        emu.store.put(version["name"], {**version, "state": "ENABLED"})
        return True
    if step.operation == "sql.instances.activate":
        name = f"projects/{step.project}/instances/{step.target}"
        instance = emu.store.get(name, "Instance")
        emu.store.put(name, {**instance, "settings": {**instance["settings"], "activationPolicy": "ALWAYS"}})
        return True
    assert step.operation == "run.update", step
    name = f"projects/{step.project}/locations/{step.region}/services/{step.target}"
    emu.store.put(name, updated_service(emu.store.get(name, "Service"), step))
    return True


def updated_service(svc: dict[str, Any], step: Step) -> dict[str, Any]:
    """``gcloud run services update`` with the step's flags (short connector names expand in the step's project)."""
    svc = {**svc, "template": dict(svc["template"])}
    params = dict(step.params)
    if "vpc_connector" in params:
        path = f"projects/{step.project}/locations/{step.region}/connectors/{params['vpc_connector']}"
        egress = params["vpc_egress"].upper().replace("-", "_")
        svc["template"]["vpcAccess"] = {"connector": path, "egress": egress}
    if params.get("invoker_iam_check"):
        svc["invokerIamDisabled"] = False
    for key, value in params.get("update_env_vars", {}).items():
        container = dict(svc["template"]["containers"][0])
        container["env"] = [{**e, "value": value} if e["name"] == key else e for e in container["env"]]
        svc["template"]["containers"] = [container, *svc["template"]["containers"][1:]]
    return svc


def test_the_knative_view_says_the_same(spec: Checklist) -> None:
    """The v1 (Knative) view, as ``gcloud run services describe --format=export`` reads it, carries both shapes."""
    import httpx

    from mobius_gate.collect.normalize import service_from_knative

    base = f"/apis/serving.knative.dev/v1/namespaces/{PROJECT}/services"
    with running("invoker-iam-disabled") as emu:
        doc = httpx.get(f"{emu.url}{base}/mobius-dbt-ui").json()
    assert doc["metadata"]["annotations"]["run.googleapis.com/invoker-iam-disabled"] == "true"
    assert service_from_knative(doc, PROJECT).invoker_iam_disabled is True
    with running("connector-other-project") as emu:
        worker = service_from_knative(httpx.get(f"{emu.url}{base}/mobius-chat-worker").json(), PROJECT)
        api = service_from_knative(httpx.get(f"{emu.url}{base}/mobius-chat-api").json(), PROJECT)
    assert worker.vpc_connector_path == (
        "projects/mobiusos-staging/locations/us-central1/connectors/mobius-redis-connector"
    )
    assert api.vpc_connector_path == "projects/mobiusos-new/locations/us-central1/connectors/mobius-redis-connector"
