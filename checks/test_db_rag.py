"""Phase 2 §2.2 RAG Metadata Sync: the metadata table is populated and covers what the vector index returns."""

from __future__ import annotations

from mobius_gate.requirements import check
from mobius_gate.rules.database import facts_of, server
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.spec import Checklist, DatabaseSpec, TableSpec, VectorSearchSpec
from mobius_gate.sql_fixes import create_database, sync_rag_metadata
from mobius_gate.verdict import Verdict

Table = tuple[DatabaseSpec, str, TableSpec]


def _tables(spec: Checklist) -> list[Table]:
    return [(db, name, table) for db in spec.cloud_sql.databases for name, table in db.tables.items()]


@check("DB-RAG-META", each(_tables, lambda s: f"{s[0].name}/{s[1]}"), section=lambda s, _: s[2].section)
def test_rag_metadata_populated(subject: Table, judge: Judge) -> Verdict:
    """§2.2 RAG Metadata Sync: the table exists with its columns and at least ``min_rows`` rows.

    > # - Ensure published_rag_metadata table exists
    > The `published_rag_metadata` table must be populated for RAG to work:
    > python scripts/sync_mart_to_chat.py --dest prod
    """
    db, name, table = subject
    facts = facts_of(judge, db.name)
    if isinstance(facts, Verdict):
        return facts
    req, res, spec = judge.requirement, judge.resource, judge.spec
    if not facts.exists:
        fix = create_database(req, res, spec, db.name, "then run the migrations")
        reason = f"database {db.name} does not exist on {server(facts)}, so {name} cannot exist"
        return judge.failed(reason, expected=f"database {db.name}", actual="absent", fix=fix)
    found = facts.table(name)
    if found is None:
        expected = f"table {name}({', '.join(table.columns)}) with >= {table.min_rows} rows"
        fix = sync_rag_metadata(req, res, spec, migrate_first=db.name)
        return judge.failed(f"table {name} does not exist in {db.name}", expected=expected, actual="absent", fix=fix)
    missing = [c for c in table.columns if c not in found.columns]
    if missing:
        fix = sync_rag_metadata(req, res, spec, migrate_first=db.name)
        reason = f"table {name} lacks column(s) {', '.join(missing)}"
        return judge.failed(reason, expected=", ".join(table.columns), actual=", ".join(found.columns), fix=fix)
    rows = found.row_count
    if rows is None:
        return judge.errored(f"the rows of {name} were not counted")
    if rows < table.min_rows:
        reason = f"{name} has {rows} row(s), fewer than the required {table.min_rows}"
        fix = sync_rag_metadata(req, res, spec)
        return judge.failed(reason, expected=f">= {table.min_rows} rows", actual=f"{rows} rows", fix=fix)
    shown = f">= {rows}" if found.row_count_cap is not None and rows >= found.row_count_cap else str(rows)
    return judge.passed(f"{name} has {shown} rows (>= {table.min_rows})")


@check("DB-RAG-CONSISTENT", each(lambda spec: [spec.vector_search], lambda vs: f"{vs.database}/{vs.metadata_table}"))
def test_vector_ids_have_metadata(vs: VectorSearchSpec, judge: Judge) -> Verdict:
    """Notes from Staging Debugging: ids the vector index returns have a metadata row.

    > 4. **RAG Data Sync** - Vertex AI Vector Search had vectors but Postgres `published_rag_metadata` was empty
    > RAG found matches but couldn't return content
    """
    inv = judge.inv
    probe = next((n for n in inv.vector_neighbors.items if n.service == vs.service), None)
    if probe is None:
        return judge.na(f"no vector index to compare: {inv.vector_neighbors.cause or f'{vs.service} names none'}")
    where = f"index endpoint {probe.index_endpoint} (deployed index {probe.deployed_index_id})"
    if not probe.ids:
        return judge.na(f"{where} returned no datapoints to compare")
    facts = inv.database_facts(vs.database)
    total = len(probe.ids)
    if facts is not None and (not facts.exists or facts.table(vs.metadata_table) is None):
        missing = total  # no database or no metadata table: every returned id lacks its row
    elif probe.missing_ids is None:
        return judge.errored(f"the metadata rows of the ids from {where} were not read")
    else:
        missing = len(probe.missing_ids)
    fraction = missing / total
    shown = f"{fraction:.0%} ({missing} of {total})"
    details = {"missing_fraction": f"{fraction:.4f}"}
    if fraction > vs.max_missing_fraction:
        sample = ", ".join((probe.missing_ids or probe.ids)[:3])
        return judge.failed(
            f"{shown} of the datapoint ids {where} returned have no row in {vs.metadata_table} "
            f"(e.g. {sample}): RAG finds matches but cannot return their content",
            expected=f"<= {vs.max_missing_fraction:.0%} missing",
            actual=f"{shown} missing",
            fix=sync_rag_metadata(judge.requirement, judge.resource, judge.spec),
            details=details,
        )
    return judge.passed(
        f"{total - missing} of {total} ids from {where} have metadata rows ({shown} missing)", details=details
    )
