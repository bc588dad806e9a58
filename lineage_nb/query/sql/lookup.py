"""Finding things in the store: node ids, artifacts and workloads by what users type, closest matches.

Node ids are opaque (`a<id>` for artifacts, `w<id>` for workloads), with namespace and name as
separate fields, so namespaces full of `:` and `/` never make an id ambiguous.
"""
from __future__ import annotations

import difflib
import json
from typing import Any

from sqlalchemy import or_, select

from lineage_nb.query.service import NotFound
from lineage_nb.store import Store
from lineage_nb.store import schema as s

ROW_KEYS = ("namespace", "name", "uri", "kind", "format", "created_at", "created_by")


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _artifact_row(mapping: Any) -> dict[str, Any]:
    row = {k: mapping[k] for k in ROW_KEYS}
    row["id"] = node_id("artifact", mapping["id"])
    return row


def node_id(kind: str, raw: int) -> str:
    return f"{'w' if kind == 'workload' else 'a'}{raw}"


def parse_node_id(node: str) -> tuple[str, int]:
    if len(node) < 2 or node[0] not in "aw":
        raise ValueError(f"not a node id: {node!r}")
    return ("workload" if node[0] == "w" else "artifact"), int(node[1:])


def resolve_artifact(store: Store, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> dict[str, Any]:
    """An artifact row from a path/URI as the user wrote it, a models:/ URI, a name, or namespace+name."""
    from lineage_nb.core.naming import dataset_name, strip_credentials
    from lineage_nb.store.encoding import storable

    ref, namespace, name = storable(ref), storable(namespace), storable(name)  # as ingest stored them
    a = s.artifacts
    with store.read() as conn:

        def by_id(raw: int) -> Any:
            return conn.execute(select(a).where(a.c.id == raw)).first()

        def unique(rows: list[Any], looked_up: str) -> Any:
            if len(rows) > 1:
                options = [f"{r.namespace} {r.name}" for r in rows[:5]]
                raise NotFound("single artifact for", looked_up, options)
            return rows[0] if rows else None

        from lineage_nb.store.ids import artifact_id

        if namespace and name:
            row = by_id(artifact_id(namespace, name))
            if row is None:
                raise NotFound("artifact", f"{namespace} {name}", _close_artifacts(conn, name))
            return _full_artifact(row)
        if not ref:
            raise ValueError("give an artifact: a path, URI, models:/ URI, or --namespace and --name")
        clean = strip_credentials(ref)
        alias = conn.execute(select(s.aliases.c.artifact_id).where(s.aliases.c.name == clean)).scalars().first()
        if alias is not None and (row := by_id(alias)) is not None:
            return _full_artifact(row)
        if clean.startswith("models:/"):
            model = clean.removeprefix("models:/").split("/")[0]
            row = unique(conn.execute(select(a).where(a.c.kind == "model", a.c.name == model).limit(6)).all(), ref)
            if row is not None:
                return _full_artifact(row)
        try:
            named = dataset_name(clean)
            row = by_id(artifact_id(named.namespace, named.name))
        except (TypeError, ValueError):
            row = None
        if row is None:
            row = unique(conn.execute(select(a).where(or_(a.c.uri == clean, a.c.name == clean)).limit(6)).all(), ref)
        if row is None:
            raise NotFound("artifact", ref, _close_artifacts(conn, clean))
        return _full_artifact(row)


def _close_artifacts(conn: Any, text_: str) -> list[str]:
    tail = text_.rstrip("/").rsplit("/", 1)[-1][:40]
    a = s.artifacts
    candidates = list(conn.execute(select(a.c.name).where(a.c.name.like(like_pattern(tail), escape="\\")).limit(200)).scalars())
    candidates += list(conn.execute(select(a.c.name).order_by(a.c.last_seen.desc()).limit(2_000)).scalars())
    return difflib.get_close_matches(text_, list(dict.fromkeys(candidates)), n=3, cutoff=0.3)


def _full_artifact(row: Any) -> dict[str, Any]:
    m = row._mapping
    out = _artifact_row(m)
    out["schema"] = json.loads(m["schema_json"]) if m["schema_json"] else []
    out["version"] = m["version"]
    out["last_seen"] = m["last_seen"]
    out["properties"] = json.loads(m["properties_json"]) if m["properties_json"] else {}
    out["_id"] = m["id"]
    return out


def resolve_workload(store: Store, ref: str, namespace: str | None = None) -> dict[str, Any]:
    from lineage_nb.store.encoding import storable

    ref, namespace = storable(ref), storable(namespace)  # as ingest stored them
    w = s.workloads
    with store.read() as conn:
        query = select(w).where(or_(w.c.name == ref, w.c.name.like("%/" + ref.replace("%", "\\%").replace("_", "\\_"), escape="\\")))
        if namespace:
            query = query.where(w.c.namespace == namespace)
        rows = conn.execute(query.order_by(w.c.last_run_at.desc()).limit(6)).all()
        exact = [r for r in rows if r.name == ref]
        rows = exact or rows
        if len(rows) > 1:
            raise NotFound("single workload for", ref, [f"{r.namespace} {r.name}" for r in rows[:5]])
        if not rows:
            names = list(conn.execute(select(w.c.name).order_by(w.c.last_run_at.desc()).limit(2_000)).scalars())
            raise NotFound("workload", ref, difflib.get_close_matches(ref, names, n=3, cutoff=0.3))
        return _workload_entry(rows[0]._mapping, full=True)


def _workload_entry(m: Any, full: bool = False) -> dict[str, Any]:
    entry = {
        "id": node_id("workload", m["id"]),
        "namespace": m["namespace"],
        "name": m["name"],
        "type": m["type"],
        "last_run_at": m["last_run_at"],
    }
    parent = m.get("parent_id")
    if parent is not None:
        entry["parent"] = node_id("workload", parent)
        metadata = json.loads(m["metadata_json"]) if m.get("metadata_json") else {}
        if metadata.get("label"):
            entry["label"] = metadata["label"]
    if full:
        entry["producer"] = m["producer"]
        entry["owner"] = m["owner"]
        entry["metadata"] = json.loads(m["metadata_json"]) if m["metadata_json"] else {}
        entry["_id"] = m["id"]
    return entry
