"""Listings and overviews: an artifact's producers and consumers, a workload's reads and writes and runs."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, true

from lineage_nb.query.sql.facts import dataset_facts, producing_sql, write_status
from lineage_nb.query.sql.lookup import ROW_KEYS, _artifact_row, _workload_entry, like_pattern, node_id, parse_node_id
from lineage_nb.store import Store
from lineage_nb.store import schema as s
from lineage_nb.store.ids import COLUMN_LINEAGE
from lineage_nb.store.schema import EVIDENCE, INPUT, OUTPUT

LIST_LIMIT = 50
RELATED_LIMIT = 100


def list_artifacts(
    store: Store,
    kind: str | None = None,
    created_by: str | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
    offset: int = 0,
    project: str | None = None,
) -> list[dict[str, Any]]:
    """Artifacts, most recently seen first; with `project`, those a workload of that project wrote."""
    a = s.artifacts
    query = select(a.c.id, *(a.c[k] for k in ROW_KEYS), a.c.properties_json)
    if kind:
        query = query.where(a.c.kind == kind)
    if created_by:
        query = query.where(a.c.created_by == created_by)
    if search:
        pattern = like_pattern(search)
        query = query.where(or_(a.c.name.ilike(pattern, escape="\\"), a.c.namespace.ilike(pattern, escape="\\")))
    if project:
        io, w = s.workload_io, s.workloads
        written = select(io.c.artifact_id).join(w, w.c.id == io.c.workload_id).where(
            io.c.direction == OUTPUT, _project_of(store, w.c.metadata_json) == project
        )
        query = query.where(a.c.id.in_(written))
    query = query.order_by(a.c.last_seen.desc(), a.c.id).limit(limit).offset(offset)
    with store.read() as conn:
        return [_listed_artifact(row._mapping) for row in conn.execute(query)]


def _listed_artifact(mapping: Any) -> dict[str, Any]:
    row = _artifact_row(mapping)
    row["properties"] = json.loads(mapping["properties_json"]) if mapping["properties_json"] else {}
    return row


def _project_of(store: Store, metadata_json: Any) -> Any:
    """The `project` field of a workload's metadata JSON, as SQL on either backend."""
    if store.dialect == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(metadata_json, JSONB)["project"].astext
    return func.json_extract(metadata_json, "$.project")


def artifact_overview(store: Store, artifact: dict[str, Any], limit: int = RELATED_LIMIT) -> dict[str, Any]:
    """The artifact with its producers (upstream) and consumers (downstream), and the runs that wrote it."""
    raw = artifact["_id"]
    w, io = s.workloads, s.workload_io
    with store.read() as conn:
        related = {}
        for key, direction in (("upstream", OUTPUT), ("downstream", INPUT)):
            where = and_(io.c.artifact_id == raw, io.c.direction == direction)
            rows = conn.execute(
                select(w).join(io, io.c.workload_id == w.c.id).where(where).order_by(io.c.last_at.desc(), io.c.workload_id).limit(limit)
            ).all()
            total = conn.execute(select(func.count()).select_from(io).where(where)).scalar_one()
            related[key] = [_workload_entry(r._mapping) for r in rows]
            related[f"{key}_count"] = total
        writer = _last_writer_run(conn, raw)
        overview = {k: v for k, v in artifact.items() if not k.startswith("_")}
        overview.update(related)
        overview["written_by_run"] = writer
        overview["write_status"] = write_status(conn, raw, artifact["created_at"])
        overview["only_failed_writes"] = overview["write_status"] == "failed"
        overview.update(dataset_facts(conn, raw))
        overview["sql"] = producing_sql(conn, raw)
    return overview


def _last_writer_run(conn: Any, raw: int) -> dict[str, Any] | None:
    r, io = s.runs, s.run_io
    row = conn.execute(
        select(r.c.run_uuid, r.c.state, r.c.started_at, r.c.ended_at, r.c.activity, r.c.context_json)
        .join(io, io.c.run_id == r.c.id)
        .where(io.c.artifact_id == raw, io.c.direction == OUTPUT)
        .order_by(r.c.started_at.desc().nulls_last(), r.c.id)
        .limit(1)
    ).first()
    return _run_entry(row._mapping) if row else None


def _run_entry(m: Any) -> dict[str, Any]:
    return {
        "run_id": m["run_uuid"],
        "state": m["state"],
        "started_at": m["started_at"],
        "ended_at": m["ended_at"],
        "activity": m["activity"],
        "context": json.loads(m["context_json"]) if m["context_json"] else {},
    }


def workload_overview(store: Store, workload: dict[str, Any], limit: int = RELATED_LIMIT, runs: int = 20) -> dict[str, Any]:
    """The workload's metadata, the artifacts it and its steps read (upstream) and wrote (downstream), its steps
    (a notebook's cells, a dbt run's models) with each one's inputs and outputs, and its latest runs."""
    raw = workload["_id"]
    a, io, r, w = s.artifacts, s.workload_io, s.runs, s.workloads
    with store.read() as conn:
        steps = conn.execute(select(w).where(w.c.parent_id == raw).order_by(w.c.last_run_at.desc(), w.c.id).limit(limit)).all()
        step_count = conn.execute(select(func.count()).select_from(w).where(w.c.parent_id == raw)).scalar_one()
        members = select(w.c.id).where(w.c.parent_id == raw).union(select(literal(raw)))
        overview = {k: v for k, v in workload.items() if not k.startswith("_")}
        # Inputs named only by a columnLineage facet are listed apart: `upstream` is what the job's
        # events list as inputs (Marquez's seed data, for one, names a dataset no job reads).
        for key, direction, evidence in (
            ("upstream", INPUT, io.c.evidence != COLUMN_LINEAGE), ("column_lineage_upstream", INPUT, io.c.evidence == COLUMN_LINEAGE),
            ("downstream", OUTPUT, true()),
        ):
            where = and_(io.c.workload_id.in_(members), io.c.direction == direction, evidence)
            newest = func.max(io.c.last_at)
            rows = conn.execute(
                select(a.c.id, *(a.c[k] for k in ROW_KEYS), newest.label("newest"))
                .join(io, io.c.artifact_id == a.c.id)
                .where(where)
                .group_by(a.c.id, *(a.c[k] for k in ROW_KEYS))
                .order_by(newest.desc(), a.c.id)
                .limit(limit)
            ).all()
            overview[key] = [_artifact_row(row._mapping) for row in rows]
            overview[f"{key}_count"] = conn.execute(select(func.count(io.c.artifact_id.distinct())).where(where)).scalar_one()
        overview["steps"] = _steps(conn, steps)
        overview["step_count"] = step_count
        overview["parent"] = workload.get("parent")
        overview["parent_workload"] = _parent_workload(conn, workload.get("parent"))
        overview["children"] = _children(conn, steps)
        overview["child_count"] = step_count
        recent = conn.execute(
            select(r.c.run_uuid, r.c.state, r.c.started_at, r.c.ended_at, r.c.activity, r.c.context_json)
            .where(r.c.workload_id == raw)
            .order_by(r.c.started_at.desc().nulls_last(), r.c.id)
            .limit(runs)
        ).all()
        overview["runs"] = [_run_entry(row._mapping) for row in recent]  # its own: a step's runs are under `steps`
        overview["run_count"] = conn.execute(select(func.count()).select_from(r).where(r.c.workload_id == raw)).scalar_one()
    return overview


def _steps(conn: Any, steps: list[Any]) -> list[dict[str, Any]]:
    """Each step with what it read and wrote, and how each input is known (direct or inferred)."""
    a, io = s.artifacts, s.workload_io
    entries = {row.id: {**_workload_entry(row._mapping), "inputs": [], "outputs": []} for row in steps}
    if not entries:
        return []
    edges = conn.execute(
        select(io.c.workload_id, io.c.direction, io.c.evidence, a.c.id, a.c.namespace, a.c.name, a.c.kind)
        .join(a, a.c.id == io.c.artifact_id)
        .where(io.c.workload_id.in_(list(entries)))
        .order_by(io.c.workload_id, io.c.direction, io.c.last_at.desc())
    ).all()
    for step, direction, evidence, artifact, namespace, name, kind in edges:
        entries[step]["inputs" if direction == INPUT else "outputs"].append(
            {"id": node_id("artifact", artifact), "namespace": namespace, "name": name, "kind": kind, "evidence": EVIDENCE[evidence]}
        )
    return list(entries.values())


def _parent_workload(conn: Any, parent: str | None) -> dict[str, Any] | None:
    if parent is None:
        return None
    row = conn.execute(select(s.workloads).where(s.workloads.c.id == parse_node_id(parent)[1])).first()
    return _workload_entry(row._mapping) if row is not None else None


def _children(conn: Any, children: list[Any]) -> list[dict[str, Any]]:
    """Child jobs seen through parent facets (a dbt run's models, an Airflow DAG's tasks, a notebook's
    cells), each with how many runs, inputs, outputs and children of its own it has."""
    io, r, w = s.workload_io, s.runs, s.workloads
    ids = [row.id for row in children]
    if not ids:
        return []
    runs = dict(conn.execute(select(r.c.workload_id, func.count()).where(r.c.workload_id.in_(ids)).group_by(r.c.workload_id)).all())
    edges: dict[tuple[int, int], int] = {
        (workload, direction): count
        for workload, direction, count in conn.execute(
            select(io.c.workload_id, io.c.direction, func.count()).where(io.c.workload_id.in_(ids)).group_by(io.c.workload_id, io.c.direction)
        )
    }
    grandchildren = dict(conn.execute(select(w.c.parent_id, func.count()).where(w.c.parent_id.in_(ids)).group_by(w.c.parent_id)).all())
    return [
        {**_workload_entry(row._mapping), "run_count": runs.get(row.id, 0), "input_count": edges.get((row.id, INPUT), 0),
         "output_count": edges.get((row.id, OUTPUT), 0), "child_count": grandchildren.get(row.id, 0)}
        for row in children
    ]


def list_workloads(store: Store, search: str | None = None, limit: int = LIST_LIMIT, offset: int = 0,
                   project: str | None = None) -> list[dict[str, Any]]:
    """Workloads (not their steps), most recently run first, with owner, project and how many artifacts
    each read and wrote (a notebook's through its cells)."""
    w, io = s.workloads, s.workload_io
    query = select(w.c.id, w.c.namespace, w.c.name, w.c.type, w.c.last_run_at, w.c.owner, w.c.metadata_json).where(w.c.parent_id.is_(None))
    if search:
        pattern = like_pattern(search)
        query = query.where(or_(w.c.name.ilike(pattern, escape="\\"), w.c.namespace.ilike(pattern, escape="\\")))
    if project:
        query = query.where(_project_of(store, w.c.metadata_json) == project)
    query = query.order_by(w.c.last_run_at.desc(), w.c.id).limit(limit).offset(offset)
    with store.read() as conn:
        rows = list(conn.execute(query))
        counts: dict[tuple[int, int], int] = {}
        if rows:
            listed_ids = [row.id for row in rows]
            members = (
                select(w.c.id, func.coalesce(w.c.parent_id, w.c.id).label("top"))
                .where(or_(w.c.id.in_(listed_ids), w.c.parent_id.in_(listed_ids)))
                .subquery()
            )
            counted = (
                select(members.c.top, io.c.direction, func.count(io.c.artifact_id.distinct()))
                .join(io, io.c.workload_id == members.c.id)
                .group_by(members.c.top, io.c.direction)
            )
            counts = {(raw, direction): count for raw, direction, count in conn.execute(counted)}
    listed = []
    for row in rows:
        entry = _workload_entry(row._mapping)
        metadata = json.loads(row.metadata_json) if row.metadata_json else {}
        entry.update(
            kind="workload",
            owner=metadata.get("owner") or row.owner,
            project=metadata.get("project"),
            reads=counts.get((row.id, INPUT), 0),
            writes=counts.get((row.id, OUTPUT), 0),
        )
        listed.append(entry)
    return listed
