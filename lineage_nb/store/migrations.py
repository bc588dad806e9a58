"""Schema migrations, from version 1 on. Each runs in the migrating writer's transaction.

A new store is created at the current schema by version 1 (`create_all`), so later steps check
what is already there before they add it.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import bindparam, inspect, select, text
from sqlalchemy.engine import Connection

from lineage_nb.store import schema as s
from lineage_nb.store.ids import INFERRED

REDERIVE_CHUNK = 2_000


def _create_v1(conn: Connection) -> None:
    s.metadata.create_all(conn, checkfirst=True)


def _indices_for_overviews_v2(conn: Connection) -> None:
    """Listings by creator and overviews come back newest first straight from an index."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_artifacts_created_by")
    for table in (s.artifacts, s.workload_io):
        for index in table.indexes:
            if "evidence" not in {c.name for c in index.columns}:
                index.create(conn, checkfirst=True)


def _steps_v3(conn: Connection) -> None:
    """Cell-level lineage: a workload may be a step (child job) of another, and edges carry evidence.

    Before version 3 a notebook's child runs were stored under the notebook itself, so everything it
    read counted as upstream of everything it wrote. Their raw events are derived again: each becomes
    the step its execution facet names (the prompt number: old events have no cell id), and the
    notebook's own edges that a step now carries are removed. Edges of runs that `compact` folded away
    before this version have no raw event left to say which cell they came from: they stay on the
    notebook, marked inferred, an honest over-approximation.
    """
    columns = {table: {c["name"] for c in inspect(conn).get_columns(table)} for table in ("workloads", "workload_io")}
    if "parent_id" not in columns["workloads"]:
        conn.execute(text("ALTER TABLE workloads ADD COLUMN parent_id BIGINT"))
    if "evidence" not in columns["workload_io"]:
        conn.execute(text("ALTER TABLE workload_io ADD COLUMN evidence SMALLINT NOT NULL DEFAULT 0"))
    for index in s.workloads.indexes:
        index.create(conn, checkfirst=True)
    _rederive_child_runs(conn)
    with_steps = select(s.workloads.c.parent_id).where(s.workloads.c.parent_id.is_not(None)).distinct().scalar_subquery()
    conn.execute(text(
        "DELETE FROM workload_io WHERE workload_id IN (SELECT DISTINCT parent_id FROM workloads WHERE parent_id IS NOT NULL) "
        "AND EXISTS (SELECT 1 FROM workload_io AS step_io JOIN workloads AS step ON step.id = step_io.workload_id "
        "WHERE step.parent_id = workload_io.workload_id AND step_io.direction = workload_io.direction "
        "AND step_io.artifact_id = workload_io.artifact_id)"
    ))
    conn.execute(s.workload_io.update().where(s.workload_io.c.workload_id.in_(with_steps)).values(evidence=INFERRED))


def _rederive_child_runs(conn: Connection) -> None:
    """Derive the raw events of child runs again, with today's rules, writing rows as upserts."""
    from lineage_nb.store import _statements
    from lineage_nb.store import payload as payload_codec
    from lineage_nb.store.batch import GraphRows
    from lineage_nb.store.derive import InvalidEvent, validate_and_derive
    from lineage_nb.store.encoding import parse_stored

    statements = _statements(conn.dialect.name)
    child_runs = select(s.runs.c.id).where(s.runs.c.parent_run_uuid.is_not(None))
    last = 0
    while True:
        rows = conn.execute(
            select(s.events.c.id, s.events.c.payload)
            .where(s.events.c.id > last, s.events.c.run_id.in_(child_runs))
            .order_by(s.events.c.id)
            .limit(REDERIVE_CHUNK)
        ).all()
        if not rows:
            return
        graph = GraphRows()
        for row_id, payload in rows:
            last = row_id
            try:
                validate_and_derive(parse_stored(payload_codec.decompress(payload)), graph)
            except InvalidEvent:
                continue  # stored by an older, laxer version: it keeps the rows it has
        for table, table_rows in graph.tables().items():
            if table_rows:
                conn.exec_driver_sql(statements[table], table_rows)
        moved = [{"run": run_id, "workload": row[2]} for run_id, row in graph.runs.items()]
        if moved:
            conn.execute(s.runs.update().where(s.runs.c.id == bindparam("run")).values(workload_id=bindparam("workload")), moved)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1, 2: _indices_for_overviews_v2, 3: _steps_v3}
