"""What the graph widget shows, held in Python: nodes, edges, grid positions and who expanded what.

Every change returns a delta (elements added, ids removed, nodes updated) for the front end;
only a new view (focus, depth or direction changed) is laid out as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_nb.query.service import DEFAULT_NODE_CAP, QueryService
from lineage_nb.view.layout import Grid, layered, place_beside

NODE_KEYS = ("label", "kind", "type", "name", "namespace", "format", "count")
DIRECTIONS = ("up", "down", "both")


@dataclass
class Delta:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)

    def as_message(self, revision: int) -> dict[str, Any]:
        return {"type": "delta", "revision": revision, "added": self.added, "removed": self.removed, "updated": self.updated}


def caption(data: dict[str, Any]) -> str:
    """The text drawn on a node; a `+` marks one with more lineage than is shown."""
    plus = "+ " if data["kind"] != "more" and data["expandable"] and not data["expanded"] else ""
    return plus + str(data.get("label") or data.get("name") or data["id"])


def edge_id(source: str, target: str) -> str:
    return f"e|{source}|{target}"


class GraphView:
    def __init__(self, service: QueryService | None, focus: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
        self.service = service
        self.focus, self.depth, self.direction, self.node_cap = list(focus), depth, direction, node_cap
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, str]] = {}
        self.grid = Grid()
        self.origin: dict[str, str] = {}
        self.expanded: set[str] = set()
        self.revision = 0

    def _service(self) -> QueryService:
        if self.service is None:
            raise ValueError("this view is a snapshot: it has no store to ask")
        return self.service

    # ---- whole views ----------------------------------------------------------------------------
    def build(self, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Query (unless given the graph) and lay out the whole view; returns every element."""
        if data is None:
            data = self._service().graph(self.focus, depth=self.depth, direction=self.direction, node_cap=self.node_cap)
        self.nodes = {n["id"]: n for n in data["nodes"]}
        self.edges = {edge_id(e["source"], e["target"]): e for e in data["edges"]}
        self.grid = layered(self.nodes, ((e["source"], e["target"]) for e in self.edges.values()))
        self.origin, self.expanded = {}, set()
        self.revision += 1
        return self.elements()

    def elements(self) -> list[dict[str, Any]]:
        return [self._node_element(n) for n in self.nodes] + [self._edge_element(k) for k in self.edges]

    def _node_data(self, node: str) -> dict[str, Any]:
        source = self.nodes[node]
        data = {k: source[k] for k in NODE_KEYS if source.get(k) is not None}
        data["id"] = node
        data["expandable"] = bool(source.get("expandable"))
        data["expanded"] = node in self.expanded
        data["focus"] = node in self.focus
        data["caption"] = caption(data)
        return data

    def _node_element(self, node: str) -> dict[str, Any]:
        return {"group": "nodes", "data": self._node_data(node), "position": self.grid.position(node)}

    def _edge_element(self, key: str) -> dict[str, Any]:
        edge = self.edges[key]
        return {"group": "edges", "data": {"id": key, "source": edge["source"], "target": edge["target"]}}

    # ---- deltas ---------------------------------------------------------------------------------
    def expand(self, node: str) -> Delta:
        """Bring in a node's neighbours (or the next page behind a "+N more" node) beside it."""
        if node not in self.nodes or node in self.expanded:
            return Delta()
        if self.nodes[node]["kind"] == "more":
            return self._page(node)
        found = self._service().graph([node], depth=1, direction=self.direction, node_cap=self.node_cap)
        self.expanded.add(node)
        delta = self._add(node, found)
        delta.updated.append(self._node_data(node))
        return delta

    def _page(self, more: str) -> Delta:
        info = self.nodes[more]
        parent = info["anchor"]
        found = self._service().page_neighbours(parent, info["flow"], info["offset"])
        delta = self._remove([more])
        added = self._add(parent, found)
        delta.added, delta.updated = added.added, added.updated
        return delta

    def _add(self, anchor: str, found: dict[str, Any]) -> Delta:
        new = [n for n in found["nodes"] if n["id"] not in self.nodes]
        feeds_anchor = {e["source"] for e in found["edges"] if e["target"] == anchor}
        upstream: list[str] = []
        downstream: list[str] = []
        for n in new:
            flow = n.get("flow") or ("up" if n["id"] in feeds_anchor else "down")
            (upstream if flow == "up" else downstream).append(n["id"])
            self.nodes[n["id"]] = n
            self.origin[n["id"]] = anchor
        place_beside(self.grid, anchor, upstream, downstream)
        delta = Delta(added=[self._node_element(n) for n in upstream + downstream])
        for e in found["edges"]:
            key = edge_id(e["source"], e["target"])
            if key not in self.edges and e["source"] in self.nodes and e["target"] in self.nodes:
                self.edges[key] = e
                delta.added.append(self._edge_element(key))
        return delta

    def collapse(self, node: str) -> Delta:
        """Remove what expanding this node brought in (and what those brought in); it can expand again."""
        if node not in self.expanded:
            return Delta()
        doomed: list[str] = []
        frontier = [node]
        while frontier:
            parent = frontier.pop()
            children = [n for n, o in self.origin.items() if o == parent and n not in self.focus]
            doomed += children
            frontier += children
        delta = self._remove(doomed)
        self.expanded.discard(node)
        delta.updated.append(self._node_data(node))
        return delta

    def _remove(self, doomed: list[str]) -> Delta:
        gone = set(doomed)
        delta = Delta(removed=list(doomed))
        for key in [k for k, e in self.edges.items() if e["source"] in gone or e["target"] in gone]:
            del self.edges[key]
            delta.removed.append(key)
        for n in doomed:
            self.nodes.pop(n, None)
            self.origin.pop(n, None)
            self.expanded.discard(n)
            self.grid.remove(n)
        return delta

    def expand_all(self) -> Delta:
        """One level more around every node that shows a `+`."""
        total = Delta()
        for node in [n for n, v in self.nodes.items() if v.get("expandable") and n not in self.expanded]:
            part = self.expand(node)
            total.added += part.added
            total.removed += part.removed
            total.updated += part.updated
        return total
