"""Graph walks: neighbourhoods with fan-out pages, and everything up- or downstream (impact, provenance)."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select

from lineage_nb.query.sql.lookup import node_id, parse_node_id
from lineage_nb.store import Store
from lineage_nb.store import schema as s
from lineage_nb.store.schema import DIRECT, EVIDENCE, INPUT, OUTPUT

DEFAULT_FANOUT = 25
DEFAULT_NODE_CAP = 500
TRANSITIVE_NODE_CAP = 2_000
TRANSITIVE_MAX_DEPTH = 50


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


@functools.cache
def _edge_queries(side: str, direction: int, direct_only: bool) -> dict[str, Any]:
    """The statements that walk one edge kind, built once: all neighbours, degrees, and one node's page."""
    io = s.workload_io
    here, there = (io.c.artifact_id, io.c.workload_id) if side == "artifact" else (io.c.workload_id, io.c.artifact_id)
    kind = (io.c.direction == direction, *((io.c.evidence == DIRECT,) if direct_only else ()))
    of_ids = (here.in_(bindparam("ids", expanding=True)), *kind)
    newest_first = (io.c.last_at.desc(), there)
    return {
        "all": select(here, there, io.c.evidence).where(*of_ids).order_by(here, *newest_first),
        "degree": select(here, func.count()).where(*of_ids).group_by(here),
        "page": select(there, io.c.evidence)
        .where(here == bindparam("node"), *kind)
        .order_by(*newest_first)
        .limit(bindparam("limit"))
        .offset(bindparam("offset")),
    }


Neighbour = tuple[int, int]  # (store id, evidence of the edge to it)


def _neighbours(
    conn: Any, side: str, ids: list[int], step: Step, fanout: int | None, offset: int = 0, direct_only: bool = False
) -> tuple[dict[int, list[Neighbour]], dict[int, int]]:
    """For each id, its neighbours over one edge kind (newest first) from `offset`, at most `fanout`, and its total count.

    Nodes with few neighbours are read together; each node with more than a page is read a page
    at a time through the (node, direction, last_at) index, so a 2,000-neighbour node costs a page.
    """
    queries_ = _edge_queries(side, step.edge_direction, direct_only)
    found: dict[int, list[Neighbour]] = {}
    totals: dict[int, int] = {}
    if fanout is not None or offset:
        for part in _chunks(ids):
            totals.update(conn.execute(queries_["degree"], {"ids": part}).all())
    last = offset + fanout if fanout is not None else None
    wide = [node for node, total in totals.items() if last is not None and total > last]
    narrow = [node for node in ids if node not in wide]
    for part in _chunks(narrow):
        for node, other, evidence in conn.execute(queries_["all"], {"ids": part}):
            found.setdefault(node, []).append((other, evidence))
    if offset or last is not None:
        found = {node: others[offset:last] for node, others in found.items() if others[offset:last]}
    for node in wide:
        found[node] = [tuple(row) for row in conn.execute(queries_["page"], {"node": node, "limit": fanout, "offset": offset})]
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
    direct_only: bool = False,
) -> dict[str, Any]:
    """The neighbourhood of the start nodes: breadth-first, cycle-safe, bounded by depth, node cap and fan-out.

    The walk follows step-level edges (a notebook's cells, a dbt run's models), so no path in the
    answer is one that did not happen; a workload with steps is a start node through its steps, and
    appears as the compound `parent` of every step shown. A node with more neighbours than `fanout`
    gets a "+N more" node; `expandable` marks nodes whose neighbours are not all in the result.
    """
    flows = _flows(direction)
    starts = list(dict.fromkeys(start))
    with store.read() as conn:
        walk = _walk(conn, _with_steps(conn, starts), depth, flows, node_cap, fanout, direct_only)
        nodes = _describe_nodes(conn, walk.distance)
        edge_ids = {(node_id(*source), node_id(*target)): evidence for (source, target), evidence in walk.edges.items()}
        if expandable:
            _mark_expandable(conn, nodes, list(edge_ids))
        _add_compounds(conn, nodes)
    for node in starts:
        if node in nodes:
            nodes[node]["focus"] = True
    for extra in walk.more:
        nodes[extra["id"]] = extra
        edge_ids[(extra["id"], extra["anchor"]) if extra["flow"] == "up" else (extra["anchor"], extra["id"])] = DIRECT
    return {
        "nodes": list(nodes.values()),
        "edges": [{"source": a, "target": b, "evidence": EVIDENCE[e]} for (a, b), e in edge_ids.items() if a in nodes and b in nodes],
        "truncated": walk.truncated,
        "focus": starts,
    }


@dataclass
class Walk:
    distance: dict[Key, int]
    edges: dict[tuple[Key, Key], int] = field(default_factory=dict)  # (source, target) -> evidence, in the order found
    more: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def _walk(conn: Any, starts: list[Key], depth: int, flows: tuple[str, ...], node_cap: int, fanout: int | None, direct_only: bool) -> Walk:
    walk = Walk({key: 0 for key in starts})
    frontier = list(walk.distance)
    for level in range(1, depth + 1):
        next_frontier: list[Key] = []
        for side in ("artifact", "workload"):
            ids = [raw for node_side, raw in frontier if node_side == side]
            if not ids:
                continue
            for flow in flows:
                found, totals = _neighbours(conn, side, ids, STEPS[(side, flow)], fanout, direct_only=direct_only)
                for raw, others in found.items():
                    here = (side, raw)
                    for other_raw, evidence in others:
                        other = (OTHER_SIDE[side], other_raw)
                        if other not in walk.distance:
                            if len(walk.distance) >= node_cap:
                                walk.truncated = True
                                continue
                            walk.distance[other] = level
                            next_frontier.append(other)
                        walk.edges[(other, here) if flow == "up" else (here, other)] = evidence
                    hidden = totals.get(raw, 0) - len(others)
                    if hidden > 0:
                        walk.more.append(_more_node(node_id(side, raw), flow, len(others), hidden))
        frontier = next_frontier
        if not frontier:
            break
    return walk


def _with_steps(conn: Any, starts: list[str]) -> list[Key]:
    """Start keys, with each start workload's steps (its child jobs) beside it: a notebook's lineage is its cells'."""
    keys = [parse_node_id(node) for node in starts]
    parents = [raw for side, raw in keys if side == "workload"]
    w = s.workloads
    for part in _chunks(parents):
        children = conn.execute(select(w.c.id).where(w.c.parent_id.in_(part)).order_by(w.c.id)).scalars()
        keys += [("workload", child) for child in children]
    return list(dict.fromkeys(keys))


def _add_compounds(conn: Any, nodes: dict[str, dict[str, Any]]) -> None:
    """Name each step's workload as its `parent`, and add that workload as a compound node if it is not shown."""
    w = s.workloads
    parents = {node["parent_raw"] for node in nodes.values() if node.get("parent_raw") is not None}
    missing = sorted(raw for raw in parents if node_id("workload", raw) not in nodes)
    query = select(w.c.id, w.c.namespace, w.c.name, w.c.type, w.c.producer).where(w.c.id.in_(bindparam("ids", expanding=True)))
    for part in _chunks(missing):
        for raw, namespace, name, type_, producer in conn.execute(query, {"ids": part}):
            node = node_id("workload", raw)
            nodes[node] = {"id": node, "kind": "workload", "type": type_, "namespace": namespace, "name": name, "label": _label(name),
                           "producer": producer, "expandable": False}
    for node in nodes.values():
        parent_raw = node.pop("parent_raw", None)
        if parent_raw is not None and node_id("workload", parent_raw) in nodes:
            node["parent"] = node_id("workload", parent_raw)
            nodes[node["parent"]]["compound"] = True


def _more_node(parent: str, flow: str, shown: int, hidden: int) -> dict[str, Any]:
    return {
        "id": f"more:{parent}:{flow}:{shown}",
        "kind": "more",
        "namespace": "",
        "name": "",
        "label": f"+{hidden} more",
        "expandable": True,
        "anchor": parent,
        "flow": flow,
        "offset": shown,
        "count": hidden,
    }


def page_neighbours(store: Store, node: str, flow: str, offset: int, fanout: int = DEFAULT_FANOUT, direct_only: bool = False) -> dict[str, Any]:
    """The next page of a node's neighbours behind a "+N more" node."""
    side, raw = parse_node_id(node)
    with store.read() as conn:
        found, totals = _neighbours(conn, side, [raw], STEPS[(side, flow)], fanout, offset, direct_only)
        others = found.get(raw, [])
        nodes = _describe_nodes(conn, {(OTHER_SIDE[side], other): 1 for other, _ in others})
        evidence = {node_id(OTHER_SIDE[side], other): e for other, e in others}
        pairs = {((other, node) if flow == "up" else (node, other)): evidence[other] for other in nodes}
        _mark_expandable(conn, nodes, list(pairs))
        _add_compounds(conn, nodes)
    result_nodes = list(nodes.values())
    hidden = totals.get(raw, 0) - offset - len(others)
    if hidden > 0:
        extra = _more_node(node, flow, offset + len(others), hidden)
        result_nodes.append(extra)
        pairs[(extra["id"], node) if flow == "up" else (node, extra["id"])] = DIRECT
    return {
        "nodes": result_nodes,
        "edges": [{"source": a, "target": b, "evidence": EVIDENCE[e]} for (a, b), e in pairs.items()],
        "truncated": False,
        "focus": [node],
    }


def _describe_nodes(conn: Any, distance: dict[Key, int]) -> dict[str, dict[str, Any]]:
    """Node entries, in traversal order, for the keys still in the store."""
    described: dict[Key, dict[str, Any]] = {}
    a, w = s.artifacts, s.workloads
    artifact_query = select(a.c.id, a.c.namespace, a.c.name, a.c.kind, a.c.format).where(a.c.id.in_(bindparam("ids", expanding=True)))
    workload_query = select(w.c.id, w.c.namespace, w.c.name, w.c.type, w.c.producer, w.c.parent_id, w.c.metadata_json).where(
        w.c.id.in_(bindparam("ids", expanding=True))
    )
    for part in _chunks([raw for side, raw in distance if side == "artifact"]):
        for raw, namespace, name, kind, format_ in conn.execute(artifact_query, {"ids": part}):
            described[("artifact", raw)] = {"kind": kind, "namespace": namespace, "name": name, "label": _label(name), "format": format_}
    for part in _chunks([raw for side, raw in distance if side == "workload"]):
        for raw, namespace, name, type_, producer, parent, metadata in conn.execute(workload_query, {"ids": part}):
            label = _step_label(metadata) if parent is not None else None
            described[("workload", raw)] = {
                "kind": "workload", "type": type_, "namespace": namespace, "name": name, "label": label or _label(name), "producer": producer,
                "parent_raw": parent,
            }
    nodes = {}
    for key, level in distance.items():
        if key in described:
            node = node_id(*key)
            nodes[node] = {"id": node, "distance": level, **described[key]}
    return nodes


def _step_label(metadata: str | None) -> str | None:
    """A step's label ("[7] features = raw.map_batches(...)"), kept in its metadata from the step facet."""
    if not metadata or '"label"' not in metadata:
        return None
    label = json.loads(metadata).get("label")
    return label if isinstance(label, str) and label else None


def _label(name: str) -> str:
    tail = name.rstrip("/").rsplit("/", 1)[-1]
    return tail or name


def _mark_expandable(conn: Any, nodes: dict[str, dict[str, Any]], edges: Iterable[tuple[str, str]]) -> None:
    """Per direction, how many neighbours a node has in the store (`neighbours_up`, `neighbours_down`)
    and whether some are not in the answer (`expandable_up`, `expandable_down`; `expandable`: either).

    Upstream of an artifact are the workloads that wrote it; upstream of a workload, what it read.
    """
    shown: dict[tuple[str, str], int] = {}
    for source, target in edges:
        shown[(source, "down")] = shown.get((source, "down"), 0) + 1
        shown[(target, "up")] = shown.get((target, "up"), 0) + 1
    io = s.workload_io
    upstream_direction = {"artifact": OUTPUT, "workload": INPUT}
    for side, column in (("artifact", io.c.artifact_id), ("workload", io.c.workload_id)):
        ids = [raw for node_side, raw in map(parse_node_id, nodes) if node_side == side]
        degree: dict[tuple[int, str], int] = {}
        query = (
            select(column, io.c.direction, func.count())
            .where(column.in_(bindparam("ids", expanding=True)))
            .group_by(column, io.c.direction)
        )
        for part in _chunks(ids):
            for raw, direction, count in conn.execute(query, {"ids": part}):
                degree[(raw, "up" if direction == upstream_direction[side] else "down")] = count
        for raw in ids:
            node = nodes[node_id(side, raw)]
            for flow in ("up", "down"):
                total = degree.get((raw, flow), 0)
                node[f"neighbours_{flow}"] = total
                node[f"expandable_{flow}"] = total > shown.get((node["id"], flow), 0)
            node["expandable"] = node["expandable_up"] or node["expandable_down"]


def transitive(
    store: Store, start: str, flow: str, max_depth: int = TRANSITIVE_MAX_DEPTH, node_cap: int = TRANSITIVE_NODE_CAP, direct_only: bool = False
) -> dict[str, Any]:
    """Everything reachable downstream (impact) or upstream (provenance).

    `distance` counts artifact hops (a step between two artifacts is one hop). Each artifact's
    `evidence` is "direct" when a path of direct edges reaches it, else "inferred".
    """
    found = graph(store, [start], depth=2 * max_depth, direction=flow, node_cap=node_cap, fanout=None, expandable=False, direct_only=direct_only)
    reached = [n for n in found["nodes"] if n["id"] != start and "distance" in n]  # compound parents are drawn, not reached
    direct = {n["id"] for n in reached}
    if not direct_only and any(e["evidence"] != "direct" for e in found["edges"]):
        by_direct = graph(store, [start], depth=2 * max_depth, direction=flow, node_cap=node_cap, fanout=None, expandable=False, direct_only=True)
        direct = {n["id"] for n in by_direct["nodes"]}
    for node in reached:
        node["distance"] = (node["distance"] + 1) // 2
        node["evidence"] = "direct" if node["id"] in direct else "inferred"
    reached.sort(key=lambda n: (n["distance"], n["kind"] == "workload", n["name"]))
    return {
        "artifacts": [_public(n) for n in reached if n["kind"] != "workload"],
        "workloads": [_public(n) for n in reached if n["kind"] == "workload"],
        "truncated": found["truncated"],
    }


def _public(node: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "type", "namespace", "name", "label", "distance", "evidence", "format", "producer", "parent")
    return {k: node[k] for k in keys if k in node}
