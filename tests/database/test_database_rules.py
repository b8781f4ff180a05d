"""Phase 2 rules on crafted inventories: pass, fail, not applicable and error for each."""

from __future__ import annotations

import pytest

from checks import test_phase2_database as phase2
from fixtures.collect.database import migration_recorded, password_secret_name, server_label
from fixtures.diagnose import diagnose
from fixtures.inventory import Database, DbTable, Inventory, Section, SqlInstance, VectorNeighbors
from fixtures.spec import Checklist, load_checklist
from fixtures.verdict import Verdict

ENDPOINT = "projects/mobiusos-new/locations/us-central1/indexEndpoints/4433221100998877665"
IDS = [f"chunk-{n:04d}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def spec() -> Checklist:
    return load_checklist().resolve("mobiusos-new")


def database(exists: bool = True, rows: int = 10, tables: bool = True, columns: list[str] | None = None) -> Database:
    if not exists:
        return Database(name="mobius_chat", server="127.0.0.1:5432", exists=False)
    items = []
    if tables:
        items = [
            DbTable(
                name="chat_progress_events",
                columns=columns or ["id", "request_id", "seq", "event_type", "payload", "created_at"],
            ),
            DbTable(
                name="published_rag_metadata",
                columns=["id", "document_id", "chunk_index", "content", "source_uri"],
                row_count=rows,
                row_count_cap=100_000,
            ),
        ]
    return Database(
        name="mobius_chat",
        server="127.0.0.1:5432",
        exists=True,
        tables=items,
        applied_migrations=["013_chat_progress_events"],
        migrations_table="schema_migrations",
    )


def inventory(
    db: Database | None = None, neighbors: VectorNeighbors | None = None, public_ip: bool | None = False
) -> Inventory:
    return Inventory(
        project="mobiusos-new",
        region="us-central1",
        source="test",
        database=Section[Database](items=[db or database()]),
        vector_neighbors=Section[VectorNeighbors](items=[neighbors] if neighbors else []),
        sql_instances=Section[SqlInstance](
            items=[
                SqlInstance(
                    name="mobius-platform-db", public_ip=public_ip, private_network="projects/p/global/networks/default"
                )
            ]
        ),
    )


def neighbors(present: list[str] | None) -> VectorNeighbors:
    return VectorNeighbors(
        index_endpoint=ENDPOINT,
        deployed_index_id="mobius_rag_prod_v3",
        service="mobius-chat-worker",
        ids=IDS,
        database="mobius_chat",
        metadata_table="published_rag_metadata",
        ids_with_metadata=present,
    )


def run(test: object, spec: Checklist, inv: Inventory) -> Verdict:
    bound = test.mobius_rule  # type: ignore[attr-defined]
    [(_, subject)] = list(bound.subjects(spec))
    return bound.rule(subject, spec, inv)


def test_subjects_follow_the_checklist(spec: Checklist) -> None:
    assert [i for i, _ in phase2.test_migration_applied.mobius_rule.subjects(spec)] == [
        "mobius_chat/013_chat_progress_events"
    ]
    assert [i for i, _ in phase2.test_rag_metadata_populated.mobius_rule.subjects(spec)] == [
        "mobius_chat/published_rag_metadata"
    ]


def test_exists_pass_and_fail(spec: Checklist) -> None:
    assert run(phase2.test_database_exists, spec, inventory()).status == "pass"
    verdict = run(phase2.test_database_exists, spec, inventory(database(exists=False)))
    assert verdict.status == "fail"
    assert verdict.fix == "gcloud sql databases create mobius_chat --instance=mobius-platform-db --project=mobiusos-new"


def test_exists_without_facts_is_an_error(spec: Checklist) -> None:
    inv = Inventory(project="mobiusos-new", region="us-central1", source="test", database=Section[Database]())
    assert run(phase2.test_database_exists, spec, inv).status == "error"


def test_migration_missing_column(spec: Checklist) -> None:
    inv = inventory(database(columns=["id", "request_id", "event_type", "payload", "created_at"]))
    verdict = run(phase2.test_migration_applied, spec, inv)
    assert verdict.status == "fail"
    assert verdict.actual == "missing chat_progress_events.seq"


def test_rag_meta_row_count_shown_as_lower_bound_when_capped(spec: Checklist) -> None:
    verdict = run(phase2.test_rag_metadata_populated, spec, inventory(database(rows=100_000)))
    assert verdict.status == "pass"
    assert ">= 100000 rows" in verdict.reason


def test_rag_meta_uncounted_is_an_error(spec: Checklist) -> None:
    db = database()
    db = db.model_copy(update={"tables": [t.model_copy(update={"row_count": None}) for t in db.tables]})
    assert run(phase2.test_rag_metadata_populated, spec, inventory(db)).status == "error"


def test_consistency_pass_fail_na_error(spec: Checklist) -> None:
    assert run(phase2.test_vector_ids_have_metadata, spec, inventory(neighbors=neighbors(IDS))).status == "pass"
    failing = run(phase2.test_vector_ids_have_metadata, spec, inventory(neighbors=neighbors(IDS[:7])))
    assert failing.status == "fail" and "30% (3 of 10)" in failing.reason
    assert run(phase2.test_vector_ids_have_metadata, spec, inventory()).status == "na"
    assert run(phase2.test_vector_ids_have_metadata, spec, inventory(neighbors=neighbors(None))).status == "error"
    empty = neighbors(IDS).model_copy(update={"ids": []})
    assert run(phase2.test_vector_ids_have_metadata, spec, inventory(neighbors=empty)).status == "na"


def test_consistency_tolerance_from_checklist(spec: Checklist) -> None:
    data = spec.model_dump()
    data["vector_search"]["max_missing_fraction"] = 0.3
    tolerant = Checklist.model_validate(data)
    verdict = run(phase2.test_vector_ids_have_metadata, tolerant, inventory(neighbors=neighbors(IDS[:7])))
    assert verdict.status == "pass"


def test_private_ip_advisory(spec: Checklist) -> None:
    assert run(phase2.test_cloudsql_private_ip, spec, inventory(public_ip=False)).status == "pass"
    public = run(phase2.test_cloudsql_private_ip, spec, inventory(public_ip=True))
    assert public.status == "fail"
    assert "--no-assign-ip" in (public.fix or "")
    assert run(phase2.test_cloudsql_private_ip, spec, inventory(public_ip=None)).status == "error"


def test_rag_diagnosis_only_for_rag_symptoms(spec: Checklist) -> None:
    inv = inventory(database(rows=0), neighbors(IDS))
    meta = run(phase2.test_rag_metadata_populated, spec, inv)
    assert meta.status == "fail"
    assert "is empty (0 rows)" in (diagnose(meta, spec, inv) or "")
    ok = run(phase2.test_database_exists, spec, inv)
    assert diagnose(ok, spec, inv) is None


@pytest.mark.parametrize(
    ("applied", "expected"),
    [
        (["013_chat_progress_events"], True),
        (["013_chat_progress_events.sql"], True),
        (["13"], True),
        (["013"], True),
        (["012_other", "014_next"], False),
        ([], False),
    ],
)
def test_migration_recorded(applied: list[str], expected: bool) -> None:
    assert migration_recorded("013_chat_progress_events", applied) is expected


def test_server_label_never_shows_credentials() -> None:
    assert server_label("postgresql://u:pw@10.1.2.3:6543/db") == "10.1.2.3:6543"
    assert server_label("host=/cloudsql/p:r:i dbname=x password=pw") == "/cloudsql/p:r:i:5432"


def test_password_secret_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOBIUS_GATE_DB_PASSWORD_SECRET", raising=False)
    assert password_secret_name("p") is None
    monkeypatch.setenv("MOBIUS_GATE_DB_PASSWORD_SECRET", "db-password-mobius-rag")
    assert password_secret_name("p") == "projects/p/secrets/db-password-mobius-rag/versions/latest"
    monkeypatch.setenv("MOBIUS_GATE_DB_PASSWORD_SECRET", "projects/q/secrets/s")
    assert password_secret_name("p") == "projects/q/secrets/s/versions/latest"
