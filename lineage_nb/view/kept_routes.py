"""The routes of a big view that grows in place, kept between its changes so that a change costs what it touched.

`route_edges(layout, edges, previous=..., placed=...)` (view/routing.py) gives a grown view's routes from
scratch: it looks at every node and every drawn edge. `KeptRoutes` gives the same routes, but keeps what
that call would rebuild (where the nodes are, the runs each route takes, how many edges each end has) and
looks for the routes a placed node may cut only among those whose extent (the box round the whole drawn
line) meets the box round what was placed: an expand looks closely only at the edges near what it
placed and at the edges it added.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable, Mapping, Sequence

from lineage_nb.view.layout import Layout
from lineage_nb.view.routing import CROWDED, Box, Edge, Point, Space, bend_all, cut

Route = list[Point] | None  # None: straight


class KeptRoutes:
    """Every routed edge's route in a layout that only grows (nothing drawn moves), and what routing needs kept."""

    def __init__(self, layout: Layout, edges: Iterable[Edge], widths: Mapping[str, float], routes: Mapping[Edge, Route]) -> None:
        """`edges` in the view's order, `routes` as drawn (None or absent: straight)."""
        self.layout = layout
        self.space = Space(layout, dict(widths), {}, {})
        self.cells = dict(layout.cells)  # where each node was put (a removed node's cell is gone from the layout)
        self.routes: dict[Edge, Route] = {}
        self.order: dict[Edge, int] = {}  # an edge's place in the view's order (ties between routes go by it)
        self.outs: Counter = Counter()
        self.ins: Counter = Counter()
        self.adjacent: dict[str, set[Edge]] = defaultdict(set)
        self.extent: dict[Edge, Box] = {}  # the box round an edge's drawn line
        self._next = 0
        for edge in edges:
            self._add(edge, routes.get(edge) or None)

    def edges(self) -> list[Edge]:
        """The routed edges, in the view's order."""
        return sorted(self.order, key=self.order.__getitem__)

    def grow(self, placed: Sequence[str], removed: Iterable[str], added: Iterable[Edge], gone: Iterable[Edge],
             widths: Mapping[str, float]) -> dict[Edge, Route]:
        """Take in a change: nodes `placed` in the layout and `removed` from it, edges `added` (in the view's
        order) and `gone`, and new `widths` of nodes. Returns the routes that changed or are new (None: straight).

        The routes are those `route_edges(layout, edges, widths, previous=<routes before>, placed=placed)` gives."""
        space = self.space
        for edge in gone:
            self._drop(edge)
        for node in removed:
            for edge in list(self.adjacent.get(node, ())):
                self._drop(edge)
            cell = self.cells.pop(node, None)
            if cell is not None:
                space.remove_node(node, cell)
        space.columns_changed()
        for node, width in widths.items():
            if space.widths.get(node) != width:
                space.set_width(node, width)
                for edge in self.adjacent.get(node, ()):
                    self._take(edge)  # its visible ends moved
        for node in placed:
            self.cells[node] = self.layout.cells[node]
            space.add_node(node)
        rest = sorted(cut(space, placed, ((e, self.routes[e]) for e in self._near(placed))), key=self.order.__getitem__)
        for edge in rest:
            self.routes[edge] = None  # until routed again below
        rest += [edge for edge in added if edge not in self.order and self._add(edge, None, take=False)]
        for edge in rest:
            space.untake(edge)
        centres = space.centres
        blocked = [e for e in rest if space.blocked(centres[e[0]], centres[e[1]], *e, bent=False)]
        straight = set(rest) - set(blocked)
        for edge in straight:
            self._set(edge, None)
        changed: dict[Edge, Route] = dict.fromkeys(rest)
        if blocked:
            space.crowded = len(blocked) > CROWDED
            for edge, route in bend_all(space, blocked, self.outs, self.ins).items():
                self._set(edge, route)
                changed[edge] = route
        return changed

    def _near(self, placed: Sequence[str]) -> list[Edge]:
        """The edges whose extent meets the box round the `placed` nodes (grown by the clearance)."""
        boxes = [self.space.grown_box(node) for node in placed]
        if not boxes:
            return []
        left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
        return [edge for edge, (x1, y1, x2, y2) in self.extent.items() if x1 <= right and left <= x2 and y1 <= bottom and top <= y2]

    # ---- bookkeeping ----------------------------------------------------------------------------
    def _add(self, edge: Edge, route: Route, take: bool = True) -> bool:
        """Keep a routed edge (and take its runs, unless it is about to be routed); False for an edge that is not
        routed (a loop, a back edge, an end not drawn)."""
        source, target = edge
        if source == target or source not in self.cells or target not in self.cells or edge in self.layout.back_edges:
            return False
        self.order[edge] = self._next
        self._next += 1
        self.outs[source] += 1
        self.ins[target] += 1
        self.adjacent[source].add(edge)
        self.adjacent[target].add(edge)
        if take:
            self._set(edge, route)
        else:
            self.routes[edge] = route
        return True

    def _drop(self, edge: Edge) -> None:
        if edge not in self.order:
            return
        source, target = edge
        del self.order[edge]
        self.outs[source] -= 1
        self.ins[target] -= 1
        self.adjacent[source].discard(edge)
        self.adjacent[target].discard(edge)
        self.space.untake(edge)
        self.extent.pop(edge, None)
        del self.routes[edge]

    def _set(self, edge: Edge, route: Route) -> None:
        self.routes[edge] = route
        line = self._take(edge)
        xs, ys = [p[0] for p in line], [p[1] for p in line]
        self.extent[edge] = (min(xs), min(ys), max(xs), max(ys))

    def _take(self, edge: Edge) -> list[Point]:
        """The edge's horizontal runs, as other routes must see them (view/routing.py `Space.take`); returns its
        drawn line, centre to centre."""
        space = self.space
        space.untake(edge)
        line = [space.centres[edge[0]], *(self.routes[edge] or ()), space.centres[edge[1]]]
        space.take(line, *edge)
        return line
