"""Graph walks: neighbourhoods with fan-out pages, and everything up- or downstream (impact, provenance)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select

from lineage_nb.query.sql.lookup import node_id, parse_node_id
from lineage_nb.store import Store
from lineage_nb.store import schema as s
from lineage_nb.store.schema import INPUT, OUTPUT

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
