"""What the graph widget shows, held in Python: the graph a view knows, how it is drawn, and where.

The view keeps what it knows (nodes, edges, who expanded what, which compounds are collapsed) and
derives what is drawn from it (view/drawing.py). Every change re-derives the drawing and returns
the difference from what the front end has: elements added, ids removed, data updated, nodes moved,
and the nodes to bring into view. A view small enough is laid out again as a whole, so every edge
keeps pointing right; a bigger one grows in place (`place_beside`), moving nothing.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from lineage_nb.core import errors
from lineage_nb.query.service import DEFAULT_NODE_CAP, NotFound, QueryService
from lineage_nb.view import labels
from lineage_nb.view.drawing import Drawing, draw
from lineage_nb.view.kept_routes import KeptRoutes
from lineage_nb.view.layout import Layout, layered, place_beside
from lineage_nb.view.routing import route_edges

NODE_KEYS = ("kind", "type", "name", "namespace", "format", "count")
DIRECTIONS = ("up", "down", "both")
FLOW_WORDS = {"up": "upstream", "down": "downstream", "both": "upstream or downstream"}
RELAYOUT_LIMIT = 400  # drawn nodes up to which a change lays the whole view out again
SMALL_PAGE = 3  # "+N more" nodes up to this size are paged at once: a control that reveals one node is noise
ROUTE_LATER = 100  # drawn edges beyond which a first view may go out straight, its routes right after (`build`)


@dataclass
class Delta:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, Any]] = field(default_factory=list)
    reveal: list[str] = field(default_factory=list)  # drawn nodes the front end brings into view
    note: str = ""  # for the user, when a request changed nothing, or less than it seemed to promise
    routes: bool = False  # only the routes of a view that went out straight (`GraphView.route_pending`)

    def as_message(self, revision: int) -> dict[str, Any]:
        message = {"type": "delta", "revision": revision, "added": self.added, "removed": self.removed,
                   "updated": self.updated, "moved": self.moved, "reveal": self.reveal}
        if self.routes:
            message["routes"] = True
        return message

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.updated or self.moved)


def edge_id(source: str, target: str) -> str:
    return f"e|{source}|{target}"


class GraphView:
    def __init__(self, service: QueryService | None, focus: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}")
        self.service = service
        self.focus, self.depth, self.direction, self.node_cap = list(focus), depth, direction, node_cap
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}
        self.origin: dict[str, str] = {}  # node -> the node whose expansion brought it
        self.expanded: set[str] = set()
        self.collapsed: set[str] = set()  # compounds drawn as one node
        self.model_names: dict[str, str] = {}
        self.layout = Layout()
        self.drawing = Drawing()
        self.drawn: dict[str, dict[str, Any]] = {}  # id -> element, as the front end has it
        self._routes: dict[tuple[str, str], list[tuple[float, float]] | None] = {}  # drawn edge -> its route (None: straight)
        self._pending: tuple[Any, ...] | None = None  # route_edges' arguments, while the drawn edges wait for their routes
        self._kept: KeptRoutes | None = None  # what routing a big view that grows in place keeps between changes
        self._new_edges: dict[str, None] = {}  # keys of edges taken in since the last redraw, in the order of `edges`
        self._dropped: set[str] = set()  # nodes and edges forgotten since the last redraw
        self._parents: Counter = Counter()  # a node named as `parent` -> how many known nodes name it (_has_compounds)
        self.revision = 0
        self._adjacent: dict[str, set[str]] = defaultdict(set)  # node -> keys of its edges
        self._touched: set[str] = set()  # nodes whose drawing may have changed since the last redraw
        self._shown: dict[str, dict[str, int]] = {}  # node -> neighbours drawn, per side (_shown_neighbours)

    def _service(self) -> QueryService:
        if self.service is None:
            raise ValueError("this view is a snapshot: it has no store to ask")
        return self.service

    # ---- whole views ----------------------------------------------------------------------------
    def build(self, data: dict[str, Any] | None = None, route_later: bool = False) -> list[dict[str, Any]]:
        """Query (unless given the graph) and lay out the whole view; returns every element.

        `route_later`: a view with over ROUTE_LATER edges is returned with straight edges, so that it can be
        drawn before view/routing.py has worked out their routes; `route_pending` gives them, as a delta."""
        if data is None:
            data = self._service().graph(self.focus, depth=self.depth, direction=self.direction, node_cap=self.node_cap)
        self.nodes, self.edges, self._parents = {}, {}, Counter()
        self.origin, self.expanded, self.collapsed = {}, set(), set()
        self._adjacent, self._touched = defaultdict(set), set()
        self._merge(None, data)
        self.drawn = {}
        self._redraw(relayout=True, route_later=route_later)
        self.revision += 1
        return self.elements()

    def route_pending(self) -> Delta:
        """The routes of a view built with `route_later`, as updated edge data (an empty delta if none wait);
        the same routes `build` would have drawn at once."""
        delta = Delta(routes=True)
        if self._pending is None:
            return delta
        routes = route_edges(*self._pending)
        self._pending = None
        for (source, target), evidence in self.drawing.edges.items():
            route = routes.get((source, target))
            if route:
                element = self._edge_element(source, target, evidence, route)
                self.drawn[element["data"]["id"]] = element
                delta.updated.append(element["data"])
        self._routes = {edge: routes.get(edge) or None for edge in self.drawing.edges}
        return delta

    def prepare_growth(self) -> None:
        """If the next change will grow this view in place, keep what its routing needs now (view/kept_routes.py),
        so that the user's first expand does not wait for it. Call it when the kernel has nothing else to do."""
        if self._pending is None and self.drawn and self._grows_in_place():
            self._kept_routes()

    def elements(self) -> list[dict[str, Any]]:
        return list(self.drawn.values())

    def drawn_as(self, node: str) -> str | None:
        """The drawn node that stands for `node` (itself, its compound, or its only step), if any."""
        shown = self.drawing.shown_as.get(node)
        return shown if shown in self.drawn else None

    def title(self, node: str) -> str:
        info = self.nodes.get(node) or {}
        return self.model_names.get(node) or str(info.get("label") or info.get("name") or node)

    # ---- changes --------------------------------------------------------------------------------
    def expand(self, node: str) -> Delta:
        """Bring in a node's neighbours (or the next page behind a "+N more" node) beside it."""
        if node not in self.nodes:
            return Delta(note="that node is no longer in this view")
        if self.nodes[node]["kind"] == "more":
            return self._page(node)
        if node in self.expanded:
            return Delta(note=f"{self.title(node)} is expanded already: double-click it to collapse")
        if not self.can_expand(node):
            return Delta(note=f"nothing more {FLOW_WORDS[self.direction]} of {self.title(node)}")
        added = self._expand_into(node)
        delta = self._redraw(anchor=node, new=added)
        if not added:
            delta.note = f"{self.title(node)}'s other neighbours were in view already: their links are drawn now"
        return delta

    def expand_all(self) -> Delta:
        """One level more around every node that shows a `+`."""
        todo = [n for n in self.nodes if self.can_expand(n)]
        if not todo:
            return Delta(note=f"nothing left to expand {FLOW_WORDS[self.direction]}")
        added: list[str] = []
        for node in todo:
            added += self._expand_into(node)
        return self._redraw(new=added)

    def collapse(self, node: str) -> Delta:
        """Remove what expanding this node brought in (and what those brought in); it can expand again."""
        if node not in self.expanded:
            return Delta(note=f"{self.title(node)} has nothing expanded to collapse")
        doomed: list[str] = []
        frontier = [node]
        while frontier:
            parent = frontier.pop()
            children = [n for n, o in self.origin.items() if o == parent and n not in self.focus]
            doomed += children
            frontier += children
        self._forget(doomed)
        self.expanded.discard(node)
        self._touched.add(node)
        return self._redraw(anchor=node)

    def toggle_steps(self, node: str) -> Delta:
        """Show or hide a compound workload's steps."""
        if node not in self.drawing.parents and node not in self.drawing.collapsed:
            return Delta(note=f"{self.title(node)} has no steps to show or hide here")
        if node in self.collapsed:
            self.collapsed.discard(node)
            revealed = list(self.drawing.collapsed[node])
        else:
            self.collapsed.add(node)
            revealed = [node]
        delta = self._redraw(anchor=node)
        delta.reveal = revealed
        return delta

    def _page(self, more: str) -> Delta:
        info = self.nodes[more]
        parent = info["anchor"]
        added = self._page_into(more)
        delta = self._redraw(anchor=parent, new=added)
        if not added:
            delta.note = f"the other {info.get('count', '')} neighbours of {self.title(parent)} were in view already: their links are drawn now"
        return delta

    def _expand_into(self, node: str) -> list[str]:
        found = self._service().graph([node], depth=1, direction=self.direction, node_cap=self.node_cap)
        self.expanded.add(node)
        self._touched.add(node)
        return self._merge(node, found)

    def _page_into(self, more: str) -> list[str]:
        info = self.nodes[more]
        found = self._service().page_neighbours(info["anchor"], info["flow"], info["offset"])
        origin = self.origin.get(more)
        self._forget([more])
        added = self._merge(info["anchor"], found)
        for node in added:
            if origin is None:
                self.origin.pop(node, None)
            else:
                self.origin[node] = origin
        return added

    def _merge(self, anchor: str | None, found: dict[str, Any]) -> list[str]:
        """Take in a query's nodes and edges; returns the nodes that are new. Small "+N more" pages open at once."""
        self._shown = {}
        added = []
        for node in found["nodes"]:
            known = self.nodes.get(node["id"])
            if known is None:
                self.nodes[node["id"]] = dict(node)
                self._parents[self._parent_named(node)] += 1
                added.append(node["id"])
                if anchor is not None:
                    self.origin[node["id"]] = anchor
            else:  # fresher neighbour counts; the focus stays the view's own
                known.update({k: v for k, v in node.items() if k.startswith(("neighbours_", "expandable"))})
            self._touched.add(node["id"])
        for edge in found["edges"]:
            key = edge_id(edge["source"], edge["target"])
            if key not in self.edges and edge["source"] in self.nodes and edge["target"] in self.nodes:
                self.edges[key] = edge
                self._new_edges[key] = None
                for end in (edge["source"], edge["target"]):
                    self._adjacent[end].add(key)
        for node in [n for n in added if self.nodes[n]["kind"] == "more" and self.nodes[n].get("count", 0) <= SMALL_PAGE]:
            if self.service is not None:
                added.remove(node)
                added += self._page_into(node)
        self._name_models(added)
        return added

    def _forget(self, doomed: list[str]) -> None:
        self._shown = {}
        for key in {k for node in doomed for k in self._adjacent.get(node, ())}:
            edge = self.edges.pop(key)
            self._new_edges.pop(key, None)
            self._dropped.add(key)
            for end in (edge["source"], edge["target"]):
                self._adjacent[end].discard(key)
                self._touched.add(end)  # its `+` may come back
        for node in doomed:
            self._dropped.add(node)
            self._adjacent.pop(node, None)
            self._touched.discard(node)
            gone = self.nodes.pop(node, None)
            if gone is not None:
                self._parents[self._parent_named(gone)] -= 1
            self.origin.pop(node, None)
            self.expanded.discard(node)
            self.collapsed.discard(node)

    def _name_models(self, nodes: list[str]) -> None:
        """Registered name and version (or run and flavour) for models, instead of their MLflow ids."""
        if self.service is None:
            return
        for node in nodes:
            info = self.nodes.get(node, {})
            if info.get("kind") != "model" or node in self.model_names:
                continue
            try:
                found = self.service.resolve_artifact(namespace=info["namespace"], name=info["name"])
            except NotFound:
                continue
            except Exception as exc:  # noqa: BLE001 - a label is never worth a failed view
                errors.report("model label", exc)
                continue
            name = labels.model_name(dict(found).get("properties") or {})
            if name:
                self.model_names[node] = name

    # ---- what a `+` promises ----------------------------------------------------------------------
    def can_expand(self, node: str) -> bool:
        """Whether expanding `node` in the view's direction can bring in anything not drawn yet."""
        info = self.nodes.get(node)
        if info is None or info["kind"] == "more" or node in self.expanded:
            return False
        flows = ("up", "down") if self.direction == "both" else (self.direction,)
        return any(self._hidden(node, flow) for flow in flows)

    def _hidden(self, node: str, flow: str) -> bool:
        info = self.nodes[node]
        total = info.get(f"neighbours_{flow}")
        if total is None:
            return bool(info.get(f"expandable_{flow}", info.get("expandable")))
        return total > self._shown_neighbours(node, flow)

    def _shown_neighbours(self, node: str, flow: str) -> int:
        """Neighbours drawn on one side of a node, counting those behind a "+N more" node; a compound
        workload counts its steps' neighbours too. Both sides are counted at once and kept until the
        graph or its drawing changes."""
        counts = self._shown.get(node)
        if counts is None:
            counts = self._shown[node] = self._count_shown(node)
        return counts[flow]

    def _count_shown(self, node: str) -> dict[str, int]:
        members = {node, *self.drawing.parents.get(node, ()), *self.drawing.collapsed.get(node, ())}
        if self.drawing.shown_as.get(node, node) != node:  # a workload drawn as its only step
            members.add(self.drawing.shown_as[node])
        neighbours: dict[str, set[str]] = {"up": set(), "down": set()}
        paged = {"up": 0, "down": 0}
        for member in members:
            for key in self._adjacent.get(member, ()):
                edge = self.edges[key]
                flow, there = ("up", edge["source"]) if edge["target"] == member else ("down", edge["target"])
                if there in members:
                    continue
                other = self.nodes.get(there, {})
                if other.get("kind") == "more":
                    paged[flow] += int(other.get("count") or 0)
                else:
                    neighbours[flow].add(there)
        return {flow: len(neighbours[flow]) + paged[flow] for flow in ("up", "down")}

    # ---- drawing ----------------------------------------------------------------------------------
    def _redraw(self, anchor: str | None = None, new: list[str] | None = None, relayout: bool | None = None,
                route_later: bool = False) -> Delta:
        """The difference between what is drawn and what the view knows now, and what to bring into view."""
        self._shown = {}
        if not relayout and self.drawn and self._grows_in_place():
            routed = self.route_pending()  # growing in place keeps the routes drawn: they must be there first
            delta = self._grow_in_place()
            delta.updated = routed.updated + delta.updated
        else:
            self._pending, self._kept = None, None  # drawn again as a whole, routes and all
            delta = self._draw_whole(relayout, route_later)
        self._touched, self._new_edges, self._dropped = set(), {}, set()
        shown_new = [self.drawing.shown_as.get(n) for n in new or []]
        reveal = list(dict.fromkeys(n for n in shown_new if n in self.drawn))
        if reveal and anchor is not None and self.drawing.shown_as.get(anchor) in self.drawn:
            reveal.insert(0, self.drawing.shown_as[anchor])
        delta.reveal = reveal
        return delta

    def _grows_in_place(self) -> bool:
        return len(self.nodes) > RELAYOUT_LIMIT and not self._has_compounds()

    def _has_compounds(self) -> bool:
        """Whether a node is a compound or a known node's parent (kept count of: this is asked on every change)."""
        return any(count and parent in self.nodes for parent, count in self._parents.items())

    @staticmethod
    def _parent_named(info: dict[str, Any]) -> str | None:
        """The node that `info` makes a compound: itself if it says it is one, else its parent."""
        if info.get("compound"):
            return info["id"]
        return info.get("parent") if info["kind"] != "more" else None

    def _draw_whole(self, relayout: bool | None, route_later: bool = False) -> Delta:
        """Derive every element again; lay the view out again unless it is big."""
        self.drawing = draw(self.nodes, self.edges.values(), self.collapsed)
        drawing = self.drawing
        edges = list(drawing.edges)
        parent_of = {step: parent for parent, steps in drawing.parents.items() for step in steps}
        leaves = {leaf: self._node_data(leaf, parent=parent_of.get(leaf)) for leaf in drawing.leaves}
        widths = {leaf: data["width"] for leaf, data in leaves.items()}
        if relayout or len(drawing.leaves) <= RELAYOUT_LIMIT:
            self.layout = layered(drawing.leaves, edges, drawing.parents, widths)
        else:
            keep = set(drawing.leaves)
            for node in [n for n in self.layout.cells if n not in keep]:
                self.layout.remove(node)
            self._grow_layout(drawing.leaves, drawing.shown_as, edges, widths)
        elements: dict[str, dict[str, Any]] = {}
        for parent, steps in drawing.parents.items():
            elements[parent] = {"group": "nodes", "data": self._node_data(parent, steps=len(steps))}
        for leaf, data in leaves.items():
            elements[leaf] = {"group": "nodes", "data": data, "position": self.layout.position(leaf)}
        titles = {parent: labels.node_width(elements[parent]["data"]["caption"]) for parent in drawing.parents}
        if route_later and len(edges) > ROUTE_LATER:
            self._pending, routes = (self.layout, edges, widths, drawing.parents, titles), {}
        else:
            routes = route_edges(self.layout, edges, widths, drawing.parents, titles)
        for (source, target), evidence in drawing.edges.items():
            elements[edge_id(source, target)] = self._edge_element(source, target, evidence, routes.get((source, target)))
        delta = self._difference(elements)
        self.drawn = elements
        self._routes = {edge: routes.get(edge) or None for edge in drawing.edges}
        return delta

    def _edge_element(self, source: str, target: str, evidence: str, route: list[tuple[float, float]] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": edge_id(source, target), "source": source, "target": target, "evidence": evidence}
        if (source, target) in self.layout.back_edges:
            data["back"] = True
        if route:
            data["route"] = [[x, y] for x, y in route]  # waypoints round the nodes in its way (view/routing.py)
        return {"group": "edges", "data": data}

    def _grow_in_place(self) -> Delta:
        """A big view without compounds: only the nodes a change touched are described again, new ones
        are put beside a drawn neighbour, nothing drawn moves, and only the routes the change cut or added
        are worked out (view/kept_routes.py)."""
        delta = Delta()
        drawn = self.drawn
        kept = self._kept_routes()  # (as the view was drawn, before this change)
        self.drawing = Drawing(leaves=list(self.nodes), shown_as={n: n for n in self.nodes})
        removed, gone = [], []
        for key in [k for k in self._dropped if k in drawn]:
            delta.removed.append(key)
            element = drawn.pop(key)
            if element["group"] == "edges":
                pair = (element["data"]["source"], element["data"]["target"])
                gone.append(pair)
                self._routes.pop(pair, None)
            else:
                removed.append(key)
                self.layout.remove(key)
        new = [n for n in self.nodes if n not in drawn]
        described = {n: self._node_data(n) for n in {*new, *(t for t in self._touched if t in drawn and t in self.nodes)}}
        for node, data in described.items():
            if node in drawn and drawn[node]["data"] != data:
                drawn[node] = {**drawn[node], "data": data}
                delta.updated.append(data)
        edges = [(e["source"], e["target"]) for key in {k for n in new for k in self._adjacent.get(n, ())} for e in (self.edges[key],)]
        self._grow_layout(new, self.drawing.shown_as, edges, {n: described[n]["width"] for n in new})
        for node in new:
            drawn[node] = {"group": "nodes", "data": described[node], "position": self.layout.position(node)}
            delta.added.append(drawn[node])
        added = {key: (self.edges[key]["source"], self.edges[key]["target"]) for key in self._new_edges if key not in drawn}
        routes = kept.grow(new, removed, added.values(), gone, {n: data["width"] for n, data in described.items()})
        for pair in added.values():
            routes.setdefault(pair, None)  # (not routed: a back edge, drawn as it is)
        for pair, route in routes.items():
            key = edge_id(*pair)
            element = self._edge_element(pair[0], pair[1], self.edges[key].get("evidence") or "direct", route)
            if key not in drawn:
                delta.added.append(element)
            elif drawn[key]["data"] != element["data"]:
                delta.updated.append(element["data"])  # a new node in its way: it goes round it now
            drawn[key] = element
            self._routes[pair] = route
        return delta

    def _kept_routes(self) -> KeptRoutes:
        """What routing keeps between changes of this layout, made from the drawn view if not kept yet."""
        if self._kept is None or self._kept.layout is not self.layout:
            drawn = self.drawn
            edges = [(e["data"]["source"], e["data"]["target"]) for e in drawn.values() if e["group"] == "edges"]
            widths = {k: e["data"]["width"] for k, e in drawn.items() if e["group"] == "nodes" and "width" in e["data"]}
            self._kept = KeptRoutes(self.layout, edges, widths, self._routes)
        return self._kept

    def _difference(self, elements: dict[str, dict[str, Any]]) -> Delta:
        delta = Delta()
        old = self.drawn
        delta.removed = [key for key in old if key not in elements]
        for key, element in elements.items():
            before = old.get(key)
            if before is None:
                delta.added.append(element)
                continue
            if before["data"] != element["data"]:
                delta.updated.append(element["data"])
            if "position" in element and before.get("position") != element["position"]:
                delta.moved.append({"id": key, "position": element["position"]})
        return delta

    def _grow_layout(self, leaves: list[str], shown_as: dict[str, str], edges: list[tuple[str, str]], widths: dict[str, int]) -> None:
        """Keep every drawn node where it is; put the new ones among `leaves` beside a drawn neighbour."""
        upstream_of: dict[str, list[str]] = defaultdict(list)
        downstream_of: dict[str, list[str]] = defaultdict(list)
        for source, target in edges:
            downstream_of[source].append(target)
            upstream_of[target].append(source)
        for node in leaves:
            if node in self.layout.cells:
                continue
            origin = shown_as.get(self.origin.get(node, ""), "")
            placed = self._place_near(node, origin, upstream_of, downstream_of, widths)
            if not placed:
                right = max((slot for slot, _ in self.layout.cells.values()), default=-1) + 1
                self.layout.column(right)
                self.layout.put(node, (right, 0))

    def _place_near(self, node: str, origin: str, upstream_of: dict[str, list[str]], downstream_of: dict[str, list[str]],
                    widths: dict[str, int]) -> bool:
        """Right of a drawn node it reads from, else left of one it feeds; the node that brought it first."""
        def origin_first(nodes: list[str]) -> list[str]:
            return sorted(nodes, key=lambda n: n != origin)

        sides = [(a, [], [node]) for a in origin_first(upstream_of[node])] + [(a, [node], []) for a in origin_first(downstream_of[node])]
        for anchor, upstream, downstream in sides:
            if anchor in self.layout.cells:
                place_beside(self.layout, anchor, upstream, downstream, widths)
                return True
        return False

    def _node_data(self, node: str, parent: str | None = None, steps: int | None = None) -> dict[str, Any]:
        info = self.nodes[node]
        data = {k: info[k] for k in NODE_KEYS if info.get(k) is not None}
        data["id"] = node
        data["badge"] = labels.badge(info)
        data["label"] = self.title(node)
        expandable = self.can_expand(node)
        data["expandable"] = expandable
        data["expanded"] = node in self.expanded
        data["focus"] = node in self.focus
        detail = None
        if steps is not None:
            data["compound"] = True
        elif node in self.drawing.collapsed:
            hidden = self.drawing.collapsed[node]
            data["collapsed"] = True
            data["steps"] = len(hidden)
            detail = labels.step_count(len(hidden), self.nodes[hidden[0]].get("type")) + " hidden"
        elif node in self.drawing.alone:
            workload = self.drawing.alone[node]
            data["workload"] = workload
            detail, data["label"] = data["label"], self.title(workload)
        if parent is not None:
            data["parent"] = parent
        plus = expandable and info["kind"] != "more"
        is_step = data["badge"] in ("cell", "line") or node in self.drawing.alone or parent is not None
        data["caption"] = labels.caption(data["label"], detail, plus, code=is_step and node not in self.drawing.collapsed)
        if steps is None:
            data["width"] = labels.node_width(data["caption"])
        return data
