"""Read-side questions asked of a store: listings, overviews, neighbourhoods, impact and provenance.

Node ids are opaque (`a<id>` for artifacts, `w<id>` for workloads), with namespace and name as
separate fields, so namespaces full of `:` and `/` never make an id ambiguous.
"""
from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, func, or_, select

from lineage_nb.store import Store
from lineage_nb.store import schema as s
from lineage_nb.store.schema import INPUT, OUTPUT

ROW_KEYS = ("namespace", "name", "uri", "kind", "format", "created_at", "created_by")
DEFAULT_FANOUT = 25
DEFAULT_NODE_CAP = 500
TRANSITIVE_NODE_CAP = 2_000
TRANSITIVE_MAX_DEPTH = 50
LIST_LIMIT = 50
RELATED_LIMIT = 100


class NotFound(LookupError):
    """An artifact or workload that is not in the store; carries the closest matches."""

    def __init__(self, what: str, looked_up: str, matches: list[str]) -> None:
        self.what, self.looked_up, self.matches = what, looked_up, matches
        hint = f"; closest: {', '.join(matches)}" if matches else ""
        super().__init__(f"no {what} {looked_up!r} in the store{hint}")


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---- listings -----------------------------------------------------------------------------------
def list_artifacts(
    store: Store,
    kind: str | None = None,
    created_by: str | None = None,
    search: str | None = None,
    limit: int = LIST_LIMIT,
    offset: int = 0,
) -> list[dict[str, Any]]:
    a = s.artifacts
    query = select(a.c.id, *(a.c[k] for k in ROW_KEYS))
    if kind:
        query = query.where(a.c.kind == kind)
    if created_by:
        query = query.where(a.c.created_by == created_by)
    if search:
        pattern = like_pattern(search)
        query = query.where(or_(a.c.name.ilike(pattern, escape="\\"), a.c.namespace.ilike(pattern, escape="\\")))
    query = query.order_by(a.c.last_seen.desc(), a.c.id).limit(limit).offset(offset)
    with store.read() as conn:
        return [_artifact_row(row._mapping) for row in conn.execute(query)]


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


# ---- look-ups -----------------------------------------------------------------------------------
def resolve_artifact(store: Store, ref: str | None = None, namespace: str | None = None, name: str | None = None) -> dict[str, Any]:
    """An artifact row from a path/URI as the user wrote it, a models:/ URI, a name, or namespace+name."""
    from lineage_nb.naming import dataset_name, strip_credentials
    from lineage_nb.store import storable

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

        from lineage_nb.store.derive import artifact_id

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
    from lineage_nb.store import storable

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
    if full:
        entry["producer"] = m["producer"]
        entry["owner"] = m["owner"]
        entry["metadata"] = json.loads(m["metadata_json"]) if m["metadata_json"] else {}
        entry["_id"] = m["id"]
    return entry


# ---- overviews ----------------------------------------------------------------------------------
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
    """The workload's metadata, the artifacts it read (upstream) and wrote (downstream), and its latest runs."""
    raw = workload["_id"]
    a, io, r = s.artifacts, s.workload_io, s.runs
    with store.read() as conn:
        overview = {k: v for k, v in workload.items() if not k.startswith("_")}
        for key, direction in (("upstream", INPUT), ("downstream", OUTPUT)):
            where = and_(io.c.workload_id == raw, io.c.direction == direction)
            rows = conn.execute(
                select(a.c.id, *(a.c[k] for k in ROW_KEYS))
                .join(io, io.c.artifact_id == a.c.id)
                .where(where)
                .order_by(io.c.last_at.desc(), io.c.artifact_id)
                .limit(limit)
            ).all()
            overview[key] = [_artifact_row(row._mapping) for row in rows]
            overview[f"{key}_count"] = conn.execute(select(func.count()).select_from(io).where(where)).scalar_one()
        recent = conn.execute(
            select(r.c.run_uuid, r.c.state, r.c.started_at, r.c.ended_at, r.c.activity, r.c.context_json)
            .where(r.c.workload_id == raw)
            .order_by(r.c.started_at.desc().nulls_last(), r.c.id)
            .limit(runs)
        ).all()
        overview["runs"] = [_run_entry(row._mapping) for row in recent]
        overview["run_count"] = conn.execute(select(func.count()).select_from(r).where(r.c.workload_id == raw)).scalar_one()
    return overview


# ---- graphs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """Following an edge from a node of `side` in a direction reaches the other side."""

    side: str  # "artifact" or "workload"
    edge_direction: int  # workload_io.direction to follow
    flow: str  # "up" or "down"


STEPS = {
    ("artifact", "up"): Step("artifact", OUTPUT, "up"),
    ("artifact", "down"): Step("artifact", INPUT, "down"),
    ("workload", "up"): Step("workload", INPUT, "up"),
    ("workload", "down"): Step("workload", OUTPUT, "down"),
}


def _flows(direction: str) -> tuple[str, ...]:
    if direction not in ("up", "down", "both"):
        raise ValueError("direction must be up, down or both")
    return ("up", "down") if direction == "both" else (direction,)


Key = tuple[str, int]  # (side, store id): nodes inside a traversal, before they become string ids
OTHER_SIDE = {"artifact": "workload", "workload": "artifact"}
ID_CHUNK = 500


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


@functools.lru_cache(maxsize=None)
def _edge_queries(side: str, direction: int) -> dict[str, Any]:
    """The statements that walk one edge kind, built once: all neighbours, degrees, and one node's page."""
    io = s.workload_io
    here, there = (io.c.artifact_id, io.c.workload_id) if side == "artifact" else (io.c.workload_id, io.c.artifact_id)
    of_ids = (here.in_(bindparam("ids", expanding=True)), io.c.direction == direction)
    newest_first = (io.c.last_at.desc(), there)
    return {
        "all": select(here, there).where(*of_ids).order_by(here, *newest_first),
        "degree": select(here, func.count()).where(*of_ids).group_by(here),
        "page": select(there)
        .where(here == bindparam("node"), io.c.direction == direction)
        .order_by(*newest_first)
        .limit(bindparam("limit"))
        .offset(bindparam("offset")),
    }


def _neighbours(conn: Any, side: str, ids: list[int], step: Step, fanout: int | None, offset: int = 0) -> tuple[dict[int, list[int]], dict[int, int]]:
    """For each id, its neighbours over one edge kind (newest first) from `offset`, at most `fanout`, and its total count.

    Nodes with few neighbours are read together; each node with more than a page is read a page
    at a time through the (node, direction, last_at) index, so a 2,000-neighbour node costs a page.
    """
    queries_ = _edge_queries(side, step.edge_direction)
    found: dict[int, list[int]] = {}
    totals: dict[int, int] = {}
    if fanout is not None or offset:
        for part in _chunks(ids):
            totals.update(conn.execute(queries_["degree"], {"ids": part}).all())
    last = offset + fanout if fanout is not None else None
    wide = [node for node, total in totals.items() if last is not None and total > last]
    narrow = [node for node in ids if node not in wide]
    for part in _chunks(narrow):
        for node, other in conn.execute(queries_["all"], {"ids": part}):
            found.setdefault(node, []).append(other)
    if offset or last is not None:
        found = {node: others[offset:last] for node, others in found.items() if others[offset:last]}
    for node in wide:
        found[node] = list(conn.execute(queries_["page"], {"node": node, "limit": fanout, "offset": offset}).scalars())
    if not totals:
        totals = {node: len(others) for node, others in found.items()}
    # In id order, so which nodes make it under a node cap does not depend on how they were read.
    return {node: found[node] for node in sorted(found)}, totals


def graph(
    store: Store,
    start: Iterable[str],
    depth: int = 1,
    direction: str = "both",
    node_cap: int = DEFAULT_NODE_CAP,
    fanout: int | None = DEFAULT_FANOUT,
    expandable: bool = True,
) -> dict[str, Any]:
    """The neighbourhood of the start nodes: breadth-first, cycle-safe, bounded by depth, node cap and fan-out.

    A node with more neighbours than `fanout` gets a "+N more" node; `expandable` marks nodes
    whose neighbours are not all in the result (skipped when `expandable` is False).
    """
    flows = _flows(direction)
    starts = list(dict.fromkeys(start))
    distance: dict[Key, int] = {parse_node_id(node): 0 for node in starts}
    edges: dict[tuple[Key, Key], None] = {}  # ordered, so answers are stable
    more: list[dict[str, Any]] = []
    truncated = False
    frontier = list(distance)
    with store.read() as conn:
        for level in range(1, depth + 1):
            next_frontier: list[Key] = []
            for side in ("artifact", "workload"):
                ids = [raw for node_side, raw in frontier if node_side == side]
                if not ids:
                    continue
                for flow in flows:
                    found, totals = _neighbours(conn, side, ids, STEPS[(side, flow)], fanout)
                    for raw, others in found.items():
                        here = (side, raw)
                        for other in zip([OTHER_SIDE[side]] * len(others), others):
                            if other not in distance:
                                if len(distance) >= node_cap:
                                    truncated = True
                                    continue
                                distance[other] = level
                                next_frontier.append(other)
                            edges[(other, here) if flow == "up" else (here, other)] = None
                        hidden = totals.get(raw, 0) - len(others)
                        if hidden > 0:
                            more.append(_more_node(node_id(side, raw), flow, len(others), hidden))
            frontier = next_frontier
            if not frontier:
                break
        nodes = _describe_nodes(conn, distance)
        edge_ids = [(node_id(*source), node_id(*target)) for source, target in edges]
        if expandable:
            _mark_expandable(conn, nodes, edge_ids)
    for node in starts:
        if node in nodes:
            nodes[node]["focus"] = True
    for extra in more:
        nodes[extra["id"]] = extra
        edge_ids.append((extra["id"], extra["parent"]) if extra["flow"] == "up" else (extra["parent"], extra["id"]))
    return {
        "nodes": list(nodes.values()),
        "edges": [{"source": a, "target": b} for a, b in edge_ids if a in nodes and b in nodes],
        "truncated": truncated,
        "focus": starts,
    }


def _more_node(parent: str, flow: str, shown: int, hidden: int) -> dict[str, Any]:
    return {
        "id": f"more:{parent}:{flow}:{shown}",
        "kind": "more",
        "namespace": "",
        "name": "",
        "label": f"+{hidden} more",
        "expandable": True,
        "parent": parent,
        "flow": flow,
        "offset": shown,
        "count": hidden,
    }


def page_neighbours(store: Store, node: str, flow: str, offset: int, fanout: int = DEFAULT_FANOUT) -> dict[str, Any]:
    """The next page of a node's neighbours behind a "+N more" node."""
    side, raw = parse_node_id(node)
    with store.read() as conn:
        found, totals = _neighbours(conn, side, [raw], STEPS[(side, flow)], fanout, offset)
        others = found.get(raw, [])
        nodes = _describe_nodes(conn, {(OTHER_SIDE[side], other): 1 for other in others})
        pairs = [(other, node) if flow == "up" else (node, other) for other in nodes]
        _mark_expandable(conn, nodes, pairs)
    result_nodes = list(nodes.values())
    hidden = totals.get(raw, 0) - offset - len(others)
    if hidden > 0:
        extra = _more_node(node, flow, offset + len(others), hidden)
        result_nodes.append(extra)
        pairs.append((extra["id"], node) if flow == "up" else (node, extra["id"]))
    return {"nodes": result_nodes, "edges": [{"source": a, "target": b} for a, b in pairs], "truncated": False, "focus": [node]}


def _describe_nodes(conn: Any, distance: dict[Key, int]) -> dict[str, dict[str, Any]]:
    """Node entries, in traversal order, for the keys still in the store."""
    described: dict[Key, dict[str, Any]] = {}
    a, w = s.artifacts, s.workloads
    artifact_query = select(a.c.id, a.c.namespace, a.c.name, a.c.kind, a.c.format).where(a.c.id.in_(bindparam("ids", expanding=True)))
    workload_query = select(w.c.id, w.c.namespace, w.c.name, w.c.type, w.c.producer).where(w.c.id.in_(bindparam("ids", expanding=True)))
    for part in _chunks([raw for side, raw in distance if side == "artifact"]):
        for raw, namespace, name, kind, format_ in conn.execute(artifact_query, {"ids": part}):
            described[("artifact", raw)] = {"kind": kind, "namespace": namespace, "name": name, "label": _label(name), "format": format_}
    for part in _chunks([raw for side, raw in distance if side == "workload"]):
        for raw, namespace, name, type_, producer in conn.execute(workload_query, {"ids": part}):
            described[("workload", raw)] = {"kind": "workload", "type": type_, "namespace": namespace, "name": name, "label": _label(name), "producer": producer}
    nodes = {}
    for key, level in distance.items():
        if key in described:
            node = node_id(*key)
            nodes[node] = {"id": node, "distance": level, **described[key]}
    return nodes


def _label(name: str) -> str:
    tail = name.rstrip("/").rsplit("/", 1)[-1]
    return tail or name


def _mark_expandable(conn: Any, nodes: dict[str, dict[str, Any]], edges: Iterable[tuple[str, str]]) -> None:
    shown: dict[str, int] = {}
    for source, target in edges:
        shown[source] = shown.get(source, 0) + 1
        shown[target] = shown.get(target, 0) + 1
    io = s.workload_io
    for side, column in (("artifact", io.c.artifact_id), ("workload", io.c.workload_id)):
        ids = [raw for node_side, raw in map(parse_node_id, nodes) if node_side == side]
        degree: dict[int, int] = {}
        query = select(column, func.count()).where(column.in_(bindparam("ids", expanding=True))).group_by(column)
        for part in _chunks(ids):
            degree.update(conn.execute(query, {"ids": part}).all())
        for raw in ids:
            node = node_id(side, raw)
            nodes[node]["expandable"] = degree.get(raw, 0) > shown.get(node, 0)


def transitive(store: Store, start: str, flow: str, max_depth: int = TRANSITIVE_MAX_DEPTH, node_cap: int = TRANSITIVE_NODE_CAP) -> dict[str, Any]:
    """Everything reachable downstream (impact) or upstream (provenance), with distances."""
    result = graph(store, [start], depth=max_depth, direction=flow, node_cap=node_cap, fanout=None, expandable=False)
    reached = [n for n in result["nodes"] if n["id"] != start]
    reached.sort(key=lambda n: (n["distance"], n["kind"] == "workload", n["name"]))
    return {
        "artifacts": [_public(n) for n in reached if n["kind"] != "workload"],
        "workloads": [_public(n) for n in reached if n["kind"] == "workload"],
        "truncated": result["truncated"],
    }


def _public(node: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "type", "namespace", "name", "distance", "format", "producer")
    return {k: node[k] for k in keys if k in node}
