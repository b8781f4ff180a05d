"""Phase 2 rules on crafted inventories: pass, fail, not applicable and error for each."""

from __future__ import annotations

import pytest

from mobius_gate.collect.database import password_secret_name
from mobius_gate.collect.postgres import server_label
from mobius_gate.diagnose import diagnose
from mobius_gate.inventory import (
    Database,
    DbTable,
    Inventory,
    Section,
    SqlInstance,
    VectorNeighbors,
)
from mobius_gate.rules.database import migration_recorded
from mobius_gate.spec import Checklist, load_checklist
from mobius_gate.verdict import Verdict
from tests.checks.factory import CHECKS as phase2

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
    return bound.judge(subject, spec, inv)


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
    assert "published_rag_metadata has 0 row(s)" in (diagnose(meta, spec, inv) or "")
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


# --- the cases each rule still lacked: pass / fail / not applicable / error ----------------------------

#: Planted where collectors quote text (a section's cause); must never reach a verdict or its diagnosis.
PLANTED = "Db-Sect10n-Pw"


def with_sections(inv: Inventory, status: str, cause: str, *names: str) -> Inventory:
    return inv.model_copy(update={n: Section(status=status, cause=cause) for n in names})


def no_leak(verdict: Verdict, spec: Checklist, inv: Inventory) -> Verdict:
    text = verdict.message() + repr(verdict.to_dict()) + (diagnose(verdict, spec, inv) or "")
    assert PLANTED not in text, text
    return verdict


def test_migration_applied_passes_and_says_it_is_recorded(spec: Checklist) -> None:
    verdict = run(phase2.test_migration_applied, spec, inventory())
    assert verdict.status == "pass"
    assert "recorded in schema_migrations" in verdict.reason


def test_migration_on_a_missing_database_fails_with_create_then_migrate(spec: Checklist) -> None:
    verdict = run(phase2.test_migration_applied, spec, inventory(database(exists=False)))
    assert verdict.status == "fail"
    assert verdict.fix is not None and verdict.fix.startswith("gcloud sql databases create mobius_chat")
    assert verdict.fix.endswith("(then run the migrations)")


def test_migration_missing_table_fails_naming_it(spec: Checklist) -> None:
    db = database()
    db = db.model_copy(update={"tables": [t for t in db.tables if t.name != "chat_progress_events"]})
    verdict = run(phase2.test_migration_applied, spec, inventory(db))
    assert verdict.status == "fail"
    assert verdict.actual == "missing chat_progress_events"
    assert "\\i 013_chat_progress_events.sql" in (verdict.fix or "")


def _without_declared_tables(spec: Checklist) -> Checklist:
    data = spec.model_dump()
    data["cloud_sql"]["databases"][0]["migrations"][0]["tables"] = {}
    return Checklist.model_validate(data)


@pytest.mark.parametrize(
    ("applied", "status"),
    [(["013_chat_progress_events"], "pass"), (["001_init"], "fail"), (None, "error")],
)
def test_migration_without_declared_tables_is_judged_by_its_record(
    spec: Checklist, applied: list[str] | None, status: str
) -> None:
    """A migration whose tables the checklist does not list cannot pass on an empty comparison."""
    bare = _without_declared_tables(spec)
    db = database().model_copy(update={"tables": [], "applied_migrations": applied})
    verdict = run(phase2.test_migration_applied, bare, inventory(db))
    assert verdict.status == status, verdict.message()
    assert verdict.fix or status == "pass"


def test_rag_meta_passes_with_rows(spec: Checklist) -> None:
    verdict = run(phase2.test_rag_metadata_populated, spec, inventory(database(rows=10)))
    assert verdict.status == "pass"
    assert verdict.reason == "published_rag_metadata has 10 rows (>= 1)"


@pytest.mark.parametrize(
    ("db", "reason", "fix"),
    [
        (database(rows=0), "has 0 row(s), fewer than the required 1", "sync_mart_to_chat.py --dest prod"),
        (database(tables=False), "table published_rag_metadata does not exist", "run the chat migrations"),
        (database(exists=False), "database mobius_chat does not exist", "gcloud sql databases create mobius_chat"),
    ],
    ids=["empty", "no-table", "no-database"],
)
def test_rag_meta_fails_with_the_fix(spec: Checklist, db: Database, reason: str, fix: str) -> None:
    verdict = run(phase2.test_rag_metadata_populated, spec, inventory(db))
    assert verdict.status == "fail"
    assert reason in verdict.reason
    assert fix in (verdict.fix or "")
    assert verdict.expected and verdict.actual


def test_rag_meta_missing_column_fails(spec: Checklist) -> None:
    db = database()
    tables = [
        t.model_copy(update={"columns": ["id", "content"]}) if t.name == "published_rag_metadata" else t
        for t in db.tables
    ]
    verdict = run(phase2.test_rag_metadata_populated, spec, inventory(db.model_copy(update={"tables": tables})))
    assert verdict.status == "fail"
    assert "lacks column(s) document_id, chunk_index, source_uri" in verdict.reason


def test_consistency_without_the_database_counts_every_id_missing(spec: Checklist) -> None:
    verdict = run(phase2.test_vector_ids_have_metadata, spec, inventory(database(exists=False), neighbors(IDS)))
    assert verdict.status == "fail"
    assert "100% (10 of 10)" in verdict.reason
    assert "sync_mart_to_chat.py" in (verdict.fix or "")


def test_consistency_with_unreadable_neighbors_is_an_error_not_na(spec: Checklist) -> None:
    inv = with_sections(inventory(), "unavailable", f"Vertex AI: password={PLANTED}", "vector_neighbors")
    verdict = no_leak(run(phase2.test_vector_ids_have_metadata, spec, inv), spec, inv)
    assert verdict.status == "error"
    assert verdict.fix and verdict.fix.startswith("no gcloud change until it can be judged")


def test_private_ip_of_a_missing_instance_is_not_applicable(spec: Checklist) -> None:
    """No instance, no IP to judge: DB-INSTANCE fails it (as other checks whose subject is absent)."""
    inv = inventory().model_copy(update={"sql_instances": Section[SqlInstance]()})
    verdict = run(phase2.test_cloudsql_private_ip, spec, inv)
    assert verdict.status == "na"
    assert verdict.reason == "Cloud SQL instance mobius-platform-db not found (see DB-INSTANCE)"
    assert run(phase2.test_cloudsql_instance, spec, inv).status == "fail"


def test_private_ip_with_sqladmin_off_is_not_applicable(spec: Checklist) -> None:
    inv = with_sections(inventory(), "disabled", "sqladmin.googleapis.com is disabled", "sql_instances")
    assert run(phase2.test_cloudsql_private_ip, spec, inv).status == "na"
    instance = run(phase2.test_cloudsql_instance, spec, inv)
    assert instance.status == "fail"
    assert (instance.fix or "").startswith("gcloud services enable sqladmin.googleapis.com --project=mobiusos-new")


def test_private_ip_unreadable_is_an_error_and_ignore_is_na(spec: Checklist) -> None:
    inv = with_sections(inventory(), "unavailable", f"403 token={PLANTED}", "sql_instances")
    assert no_leak(run(phase2.test_cloudsql_private_ip, spec, inv), spec, inv).status == "error"
    data = spec.model_dump()
    data["cloud_sql"]["private_ip"] = "ignore"
    ignoring = Checklist.model_validate(data)
    assert run(phase2.test_cloudsql_private_ip, ignoring, inventory(public_ip=True)).status == "na"


@pytest.mark.parametrize(
    ("status", "expected"), [("unavailable", "error"), ("not_collected", "na")], ids=["unavailable", "not-collected"]
)
def test_unreadable_database_never_passes(spec: Checklist, status: str, expected: str) -> None:
    inv = with_sections(inventory(), status, f"postgresql://u:{PLANTED}@10.0.0.5/db refused", "database")
    for test in (phase2.test_database_exists, phase2.test_migration_applied, phase2.test_rag_metadata_populated):
        verdict = no_leak(run(test, spec, inv), spec, inv)
        assert verdict.status == expected, verdict.message()
        if expected == "error":
            assert verdict.fix and "then re-run" in verdict.fix


def test_a_server_label_carrying_a_url_is_still_redacted(spec: Checklist) -> None:
    """Defence in depth: even if a collector regressed to label the server with its URL, no password is shown."""
    db = database(exists=False).model_copy(update={"server": f"postgresql://u:{PLANTED}@10.0.0.5:5432"})
    inv = inventory(db)
    verdict = no_leak(run(phase2.test_database_exists, spec, inv), spec, inv)
    assert verdict.status == "fail"
    assert "Phase 2 migrations not run" in (diagnose(verdict, spec, inv) or "")
