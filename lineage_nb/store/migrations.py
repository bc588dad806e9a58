"""Schema migrations, from version 1 on. Each runs in the migrating writer's transaction.

A new store is created at the current schema by version 1 (`create_all`), so later steps check
what is already there before they add it.
"""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import bindparam, inspect, select, text, true
from sqlalchemy.engine import Connection

from lineage_nb.store import schema as s
from lineage_nb.store.batch import CREATIONS
from lineage_nb.store.ids import INFERRED, OUTPUT

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
    """Derive the raw events of child runs again, as version 3 derived them."""
    child_runs = select(s.runs.c.id).where(s.runs.c.parent_run_uuid.is_not(None))
    _rederive(conn, s.events.c.run_id.in_(child_runs), skip=("artifact_facets", CREATIONS))
    # The statements of this version write `artifacts` without created_at and created_by, which
    # version 4 sets again for every artifact; until then, the rows keep what they had.


def _rederive(conn: Connection, which: Any, skip: tuple[str, ...] = ()) -> None:
    """Derive the raw events `which` selects again, with today's rules, writing rows as upserts
    (except the tables in `skip`, which do not exist yet at this version)."""
    from lineage_nb.store import _statements
    from lineage_nb.store import payload as payload_codec
    from lineage_nb.store.batch import GraphRows
    from lineage_nb.store.derive import InvalidEvent, validate_and_derive
    from lineage_nb.store.encoding import parse_stored

    statements = _statements(conn.dialect.name)
    last = 0
    while True:
        rows = conn.execute(
            select(s.events.c.id, s.events.c.payload).where(s.events.c.id > last, which).order_by(s.events.c.id).limit(REDERIVE_CHUNK)
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
        moved = [{"run": run_id, "workload": row[2]} for run_id, row in graph.runs.items()]
        for table, table_rows in graph.tables().items():
            if table_rows and table not in skip:
                conn.exec_driver_sql(statements[table], table_rows)
        if moved:
            conn.execute(s.runs.update().where(s.runs.c.id == bindparam("run")).values(workload_id=bindparam("workload")), moved)


def _other_producers_v4(conn: Connection) -> None:
    """Other producers' lineage, exactly (docs/interop.md).

    - `artifact_facets` holds the latest data source, column lineage, quality and statistics of a dataset.
    - An artifact's URI is its namespace and name combined, no longer its dataSource facet's URI
      (which named the database for every dbt table).
    - created_at/created_by come from the first COMPLETE run that wrote the artifact, not from any
      write: they are cleared wherever the store still knows the writer runs, then set again.
    - Every raw event is derived again, which fills the new table, adds the input edges that only
      a columnLineage facet names (evidence COLUMN_LINEAGE), keeps each job's SQL, and sets the
      creations. Artifacts whose writer runs `compact` folded away keep the creation they had.
    """
    s.artifact_facets.create(conn, checkfirst=True)
    _derive_uris(conn)
    written = select(s.run_io.c.artifact_id).where(s.run_io.c.direction == OUTPUT)
    conn.execute(s.artifacts.update().where(s.artifacts.c.id.in_(written)).values(created_at=None, created_by=None))
    _rederive(conn, true())


def _derive_uris(conn: Connection) -> None:
    from lineage_nb.store.facets import dataset_uri

    a = s.artifacts
    last = None
    while True:
        query = select(a.c.id, a.c.namespace, a.c.name, a.c.uri).order_by(a.c.id).limit(REDERIVE_CHUNK)
        rows = conn.execute(query if last is None else query.where(a.c.id > last)).all()
        if not rows:
            return
        last = rows[-1][0]
        changed = [{"artifact": i, "uri": dataset_uri(ns, n)} for i, ns, n, uri in rows if uri != dataset_uri(ns, n)]
        if changed:
            conn.execute(a.update().where(a.c.id == bindparam("artifact")).values(uri=bindparam("uri")), changed)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1, 2: _indices_for_overviews_v2, 3: _steps_v3, 4: _other_producers_v4}
