"""Edge routes that pass through no node: straight where the line is clear, else orthogonal runs in the gaps.

Works on a finished `Layout` (view/layout.py). An edge whose straight line crosses no node box other
than its ends (nor a compound it is not part of) stays straight. Otherwise it leaves its source
horizontally, turns in a column gap and enters its target horizontally (a "taxi"), turning as late as
the free rows allow; failing that it runs along a free row or row gap ("a channel") between the gap
after its source and the gap before its target. Edges from one source (or into one target) share
their vertical runs, like a bus; other vertical runs in the same gap get tracks of their own. A
horizontal run does not lie on another edge's run unless the two share a source or a target, so a
drawn path does not suggest a dependency that is not there; what a route gives up when it cannot have
everything is in LADDER (a compound's title, then the compound, then a lane of its own), and a view
with over CROWDED edges to bend shares lanes from the start. Back edges (view/layout.py) are not routed.

A route is its waypoints, in the layout's coordinates, without the two node centres.
"""
from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Iterable, Iterator, Mapping, Sequence

from lineage_nb.view.layout import COLUMN_GAP, NODE_HEIGHT, NODE_WIDTH, ROW_HEIGHT, Layout

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x1, y1, x2, y2
Edge = tuple[str, str]

CLEARANCE = 4  # a route keeps this far from a node box
COMPOUND_PADDING = 8  # cytoscape's padding round a compound's steps (js/src/style.js)
TITLE_HEIGHT = 18  # a compound's title, drawn above its box
BORDER_CLEARANCE = 5  # a run this close to a compound's border would look like part of it
TRACK_STEP = 5  # px between parallel vertical runs in one gap
TRACKS = (0, -1, 1, -2, 2)  # in TRACK_STEPs from the gap's middle
REACH = 1  # horizontal runs of unrelated edges may meet end to end in a gap (their tracks keep them apart), not overlap
CHANNEL_ROWS = 3  # rows beyond the drawing's top and bottom that channels may use
CROWDED = 300  # edges to bend beyond which lanes are shared from the start (a search for free ones costs seconds)
NEAR_ROWS = 4  # rows beyond an edge's ends that its channel is looked for in, before looking further
# (avoid titles, avoid compounds, own lanes): each step down the ladder gives one up, when no route can keep it
LADDER = ((True, True, True), (False, True, True), (False, False, True), (False, False, False))


@dataclass(eq=False)
class _Run:
    """A vertical run in a column gap: the runs of one key share a track."""

    gap: float  # its x
    key: tuple[str, str]
    low: float
    high: float
    from_left: set[int] = field(default_factory=set)  # heights where a horizontal run joins it from the left
    to_right: set[int] = field(default_factory=set)  # and to the right

    def left_of(self, other: _Run) -> bool:
        """Whether this run must be left of `other`: a run joined from the left at the height where `other` turns
        right would otherwise lie on `other`'s horizontal run."""
        return not self.from_left.isdisjoint(other.to_right)


@dataclass
class Space:
    """Where the nodes are, and what runs are taken."""

    layout: Layout
    widths: Mapping[str, float]
    groups: Mapping[str, Sequence[str]]
    titles: Mapping[str, float]
    at: dict[tuple[int, int], str] = field(default_factory=dict)
    slots: list[int] = field(default_factory=list)
    slot_xs: list[float] = field(default_factory=list)
    widest: float = NODE_WIDTH
    compound_box: dict[str, Box] = field(default_factory=dict)
    title_box: dict[str, Box] = field(default_factory=dict)
    member_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lines: dict[int, list[tuple[float, float, str, str]]] = field(default_factory=lambda: defaultdict(list))
    avoid_titles: bool = True  # a compound's title is avoided when a route can, crossed when it must
    avoid_compounds: bool = True  # and so is a compound (a band of steps can be a wall across its columns)
    own_lanes: bool = True  # a horizontal run lies on no unrelated edge's run, unless no route can do without
    only: set[str] | None = None  # the nodes to look at (None: all)
    rows: tuple[int, int] = (0, 0)  # the top and bottom rows taken
    row_slots: dict[int, list[int]] = field(default_factory=dict)  # row -> the columns with a node in it, in order
    crowded: bool = False  # too many edges to bend for lanes of their own: go straight to the last step of LADDER
    centres: dict[str, Point] = field(default_factory=dict)  # every node's centre (the layout does not change while routing)
    slot_rows: dict[int, list[int]] = field(default_factory=dict)  # column -> the rows of its nodes in `at`, in order
    grown: dict[str, Box] = field(default_factory=dict)  # a node's box grown by CLEARANCE, when first needed
    taken: dict[Edge, list[tuple[int, tuple[float, float, str, str]]]] = field(default_factory=dict)  # an edge's runs in `lines`

    def __post_init__(self) -> None:
        cells = self.layout.cells
        if self.only is None:
            self.at = {cell: node for node, cell in cells.items()}
        else:  # a few nodes: what costs the whole layout is shared (centres) or not needed
            self.at = {cells[node]: node for node in self.only if node in cells}
        if not self.centres:
            slot_x = self.layout.slot_x
            self.centres = {node: (slot_x[slot], row * ROW_HEIGHT) for node, (slot, row) in cells.items()}
        slot_rows: dict[int, list[int]] = defaultdict(list)
        row_slots: dict[int, list[int]] = defaultdict(list)
        for slot, row in self.at:
            slot_rows[slot].append(row)
            row_slots[row].append(slot)
        self.slot_rows = {slot: sorted(rows) for slot, rows in slot_rows.items()}
        self.row_slots = {row: sorted(slots) for row, slots in row_slots.items()}
        self._measure_rows()
        self.columns_changed()
        for group, members in self.groups.items():
            boxes = [self.box(m) for m in members if m in self.layout.cells]
            if not boxes:
                continue
            x1, y1 = min(b[0] for b in boxes) - COMPOUND_PADDING, min(b[1] for b in boxes) - COMPOUND_PADDING
            x2, y2 = max(b[2] for b in boxes) + COMPOUND_PADDING, max(b[3] for b in boxes) + COMPOUND_PADDING
            self.compound_box[group] = (x1, y1, x2, y2)
            half = min(x2 - x1, self.titles.get(group, x2 - x1)) / 2
            middle = (x1 + x2) / 2
            self.title_box[group] = (middle - half, y1 - TITLE_HEIGHT, middle + half, y1)
            for member in members:
                self.member_of[member].add(group)

    def _measure_rows(self) -> None:
        taken = list(self.row_slots) or [0]
        self.rows = (min(taken), max(taken))

    def columns_changed(self) -> None:
        """Take in the layout's columns (a view that grows in place may add some; none moves)."""
        self.slots = sorted(self.layout.slot_x)
        self.slot_xs = [self.layout.slot_x[s] for s in self.slots]
        self.widest = max(self.layout.slot_width.values(), default=NODE_WIDTH)

    # ---- a view that grows in place (view/kept_routes.py) ------------------------------------------
    def add_node(self, node: str) -> None:
        """A node just put in the layout (its column known: see `columns_changed`)."""
        slot, row = cell = self.layout.cells[node]
        self.at[cell] = node
        self.centres[node] = (self.layout.slot_x[slot], row * ROW_HEIGHT)
        self.grown.pop(node, None)
        bisect.insort(self.slot_rows.setdefault(slot, []), row)
        if row not in self.row_slots:
            self.row_slots[row] = []
            self._measure_rows()
        bisect.insort(self.row_slots[row], slot)

    def remove_node(self, node: str, cell: tuple[int, int]) -> None:
        """A node taken out of the layout, from the cell it had."""
        slot, row = cell
        del self.at[cell]
        self.centres.pop(node, None)
        self.grown.pop(node, None)
        self.slot_rows[slot].remove(row)
        if not self.slot_rows[slot]:
            del self.slot_rows[slot]
        self.row_slots[row].remove(slot)
        if not self.row_slots[row]:
            del self.row_slots[row]
            self._measure_rows()

    def set_width(self, node: str, width: float) -> None:
        self.widths[node] = width  # type: ignore[index]  # (a grown view's own dict)
        self.grown.pop(node, None)

    # ---- geometry ------------------------------------------------------------------------------
    def centre(self, node: str) -> Point:
        return self.centres[node]

    def grown_box(self, node: str) -> Box:
        box = self.grown.get(node)
        if box is None:
            box = self.grown[node] = _grow(self.box(node), CLEARANCE)
        return box

    def box(self, node: str) -> Box:
        x, y = self.centre(node)
        half = self.widths.get(node, NODE_WIDTH) / 2
        return x - half, y - NODE_HEIGHT / 2, x + half, y + NODE_HEIGHT / 2

    def gap_x(self, slot: int) -> float:
        """The middle of the gap right of column `slot`."""
        return self.layout.slot_x[slot] + self.layout.slot_width[slot] / 2 + COLUMN_GAP / 2

    def gap_before(self, slot: int) -> float:
        """The middle of the gap left of column `slot`."""
        return self.layout.slot_x[slot] - self.layout.slot_width[slot] / 2 - COLUMN_GAP / 2

    def row_free(self, row: int, first: int, last: int) -> bool:
        """Whether no node of `row` sits in columns `first` to `last` (a run along the row's middle crosses none)."""
        slots = self.row_slots.get(row, [])
        index = bisect.bisect_left(slots, first)
        return index == len(slots) or slots[index] > last

    def slot_of(self, node: str) -> int:
        return self.layout.cells[node][0]

    # ---- what a segment crosses ------------------------------------------------------------------
    def leaves_crossed(self, p: Point, q: Point, ends: set[str] | tuple[str, ...]) -> bool:
        """Whether p-q crosses a node box (not one of `ends`), looking only at the cells it passes: the columns
        its x-span reaches, and in each only the rows with a node (bisected) within its y-span there."""
        (x1, y1), (x2, y2) = p, q
        if y1 == y2:
            rest = y1 % ROW_HEIGHT
            if rest == ROW_HEIGHT / 2:
                return False  # along a row gap: no node reaches it
            if rest == 0:  # along a row's middle: only that row's nodes can be in the way
                return self._row_crossed(int(y1 // ROW_HEIGHT), min(x1, x2), max(x1, x2), ends)
        left, right = (x1, x2) if x1 <= x2 else (x2, x1)
        slots, slot_xs, slot_x, slot_width, slot_rows, at = self.slots, self.slot_xs, self.layout.slot_x, self.layout.slot_width, self.slot_rows, self.at
        reach = NODE_HEIGHT / 2 + CLEARANCE
        # Only columns whose middle is within half the widest column of the span can reach it (and those
        # right of it cannot, nor any after them).
        wide = self.widest / 2 + CLEARANCE
        first = max(0, bisect.bisect_left(slot_xs, left - NODE_WIDTH * 2) - 1, bisect.bisect_left(slot_xs, left - wide))
        for index in range(first, bisect.bisect_right(slot_xs, right + wide)):
            slot = slots[index]
            middle, half = slot_x[slot], slot_width[slot] / 2 + CLEARANCE
            box_left = middle - half
            if box_left > right:
                break
            box_right = middle + half
            if right < box_left or left > box_right:
                continue  # _clip_x: the segment does not get there
            rows = slot_rows.get(slot)
            if not rows:
                continue
            if x1 == x2:
                low, high = (y1, y2) if y1 <= y2 else (y2, y1)
            else:
                ya = y1 + (y2 - y1) * (max(box_left, left) - x1) / (x2 - x1)
                yb = y1 + (y2 - y1) * (min(box_right, right) - x1) / (x2 - x1)
                low, high = (ya, yb) if ya <= yb else (yb, ya)
            first = bisect.bisect_left(rows, math.floor((low - reach) / ROW_HEIGHT))
            last = bisect.bisect_right(rows, math.ceil((high + reach) / ROW_HEIGHT))
            for row in rows[first:last]:
                node = at[(slot, row)]
                if node not in ends and _crosses(p, q, self.grown_box(node)):
                    return True
        return False

    def _row_crossed(self, row: int, left: float, right: float, ends: set[str] | tuple[str, ...]) -> bool:
        """Whether a run along the middle of `row` from `left` to `right` crosses one of its nodes (not `ends`)."""
        slots = self.row_slots.get(row)
        if not slots:
            return False
        reach = self.widest / 2 + CLEARANCE
        low = bisect.bisect_left(self.slot_xs, left - reach)
        high = bisect.bisect_right(self.slot_xs, right + reach)
        if low >= high:
            return False
        first, last = bisect.bisect_left(slots, self.slots[low]), bisect.bisect_right(slots, self.slots[high - 1])
        at = self.at
        for slot in slots[first:last]:
            node = at.get((slot, row))
            if node is not None and node not in ends:
                box = self.grown_box(node)
                if box[0] < right and left < box[2]:
                    return True
        return False

    def blocked(self, p: Point, q: Point, source: str, target: str, bent: bool) -> bool:
        """Whether segment p-q of a route from `source` to `target` crosses what it must not."""
        if self.leaves_crossed(p, q, (source, target)):
            return True
        if not self.compound_box:
            return False
        own = self.member_of.get(source, set()) | self.member_of.get(target, set())
        for group, box in self.compound_box.items():
            if group not in own and (self.avoid_compounds or not bent) and _crosses(p, q, _grow(box, CLEARANCE)):
                return True
            if self.avoid_titles and _crosses(p, q, self.title_box[group]):
                return True
            if bent and group in own and _along_border(p, q, box):
                return True
        return False

    # ---- horizontal runs taken -----------------------------------------------------------------
    def clashes(self, p: Point, q: Point, source: str, target: str) -> bool:
        """Whether a horizontal run would lie on (or seem to run into) another edge's run that shares neither end."""
        if p[1] != q[1] or not self.own_lanes:
            return False
        left, right = (p[0], q[0]) if p[0] <= q[0] else (q[0], p[0])
        if right - left <= REACH:
            return False  # no overlap is longer than the run
        for x1, x2, s, t in self.lines.get(round(p[1]), ()):
            # (x2 > left and x1 < right: the two overlap at all, which a longer overlap needs)
            if x2 > left and x1 < right and s != source and t != target and min(x2, right) - max(x1, left) > REACH:
                return True
        return False

    def visible(self, points: Sequence[Point], source: str, target: str) -> list[Point]:
        """The line from centre to centre without the parts inside its end nodes (for horizontal ends)."""
        out = list(points)
        for end, near, node in ((0, 1, source), (-1, -2, target)):
            if out[end][1] == out[near][1]:
                half = self.widths.get(node, NODE_WIDTH) / 2
                toward = 1 if out[near][0] > out[end][0] else -1
                out[end] = (out[end][0] + toward * half, out[end][1])
        return out

    def take(self, points: Sequence[Point], source: str, target: str) -> None:
        points = self.visible(points, source, target)
        lines, mine = self.lines, None
        p = points[0]
        for q in points[1:]:
            if p[1] == q[1]:
                run = (p[0], q[0], source, target) if p[0] <= q[0] else (q[0], p[0], source, target)
                height = round(p[1])
                lines[height].append(run)
                if mine is None:
                    mine = self.taken.setdefault((source, target), [])
                mine.append((height, run))
            p = q

    def untake(self, edge: Edge) -> None:
        """Give back the runs an edge took (its route is about to change, or it is gone)."""
        for height, run in self.taken.pop(edge, ()):
            self.lines[height].remove(run)


def route_edges(layout: Layout, edges: Iterable[Edge], widths: Mapping[str, float] | None = None,
                groups: Mapping[str, Sequence[str]] | None = None, titles: Mapping[str, float] | None = None,
                previous: Mapping[Edge, list[Point] | None] | None = None, placed: Iterable[str] = ()) -> dict[Edge, list[Point]]:
    """Waypoints for each edge that cannot be drawn straight; straight edges and back edges are left out.

    `groups` maps a compound to its steps, `titles` a compound to its title's width. A view that grew
    without moving anything gives the routes it had (`previous`, None for straight) and the nodes it
    `placed`: an edge in `previous` keeps its route unless that now runs through a placed node.
    """
    space = Space(layout, widths or {}, groups or {}, titles or {})
    cells, back = layout.cells, layout.back_edges
    todo = [e for e in dict.fromkeys(edges) if e[0] != e[1] and e[0] in cells and e[1] in cells and e not in back]
    kept: dict[Edge, list[Point] | None] = {}
    if previous is not None:
        crossed = cut(space, placed, ((e, previous[e]) for e in todo if e in previous))
        kept = {e: previous[e] for e in todo if e in previous and e not in crossed}
    rest = [e for e in todo if e not in kept] if kept else todo
    centres = space.centres
    blocked = [e for e in rest if space.blocked(centres[e[0]], centres[e[1]], *e, bent=False)]
    if not blocked:  # (a view that grew: usually) nothing to bend, so nothing else to look at
        return {e: r for e, r in kept.items() if r}
    # The runs taken matter only to routes that keep lanes of their own, which a crowded view does not look for.
    space.crowded = len(blocked) > CROWDED
    if not space.crowded:
        for edge, route in kept.items():
            space.take([centres[edge[0]], *(route or ()), centres[edge[1]]], *edge)
        for edge in set(rest) - set(blocked):
            space.take([centres[edge[0]], centres[edge[1]]], *edge)
    outs = Counter(s for s, _ in todo)
    ins = Counter(t for _, t in todo)
    return {**{e: r for e, r in kept.items() if r}, **bend_all(space, blocked, outs, ins)}


def bend_all(space: Space, blocked: list[Edge], outs: Mapping[str, int], ins: Mapping[str, int]) -> dict[Edge, list[Point]]:
    """Routes round the nodes for the `blocked` edges, the shortest first (ties in the order given), each on
    its tracks; each takes its runs in `space` as it is bent (unless the view is crowded). `outs` and `ins`
    count every routed edge of each source and target (edges of a busier end share its track)."""
    centres = space.centres
    bent: dict[Edge, list[Point]] = {}
    for source, target in sorted(blocked, key=lambda e: abs(space.slot_of(e[1]) - space.slot_of(e[0]))):
        route = _bend(space, source, target)
        if not space.crowded:
            space.take([centres[source], *route, centres[target]], source, target)
        bent[(source, target)] = route
    return _on_tracks(space, bent, outs, ins)


def _bend(space: Space, source: str, target: str) -> list[Point]:
    """The first route that works, avoiding titles, compounds and other edges' lanes for as long as one can;
    when it cannot avoid compounds, the route through the fewest."""
    if not space.compound_box:
        return _bend_plain(space, source, target)
    route = None
    for step in LADDER[-1:] if space.crowded else LADDER:
        space.avoid_titles, space.avoid_compounds, space.own_lanes = step
        candidates = chain(_taxis(space, source, target), _channels(space, source, target))
        if not space.avoid_compounds:
            candidates = chain(candidates, _channels(space, source, target, anywhere=True))
        usable = (r for r in candidates if _usable(space, [space.centre(source), *r, space.centre(target)], source, target))
        if space.avoid_compounds:
            route = next(usable, None)
        else:
            route = _fewest_compounds(space, source, target, usable)
        if route is not None:
            break
    space.avoid_titles, space.avoid_compounds, space.own_lanes = LADDER[0]
    return route or []


def _bend_plain(space: Space, source: str, target: str) -> list[Point]:
    """_bend in a view without compounds, where the steps of LADDER differ only in keeping lanes of their own
    (titles and compounds are not there to avoid): the first route that crosses no node and lies on no other
    edge's lane, among the routes near the ends, then among those anywhere; else the first that crosses no
    node. Each route is generated and looked at once (LADDER would look at the near ones three times)."""
    ps, pt = space.centres[source], space.centres[target]
    ends = (source, target)

    def crosses(route: list[Point]) -> bool:
        line = [ps, *route, pt]
        return any(space.leaves_crossed(p, q, ends) for p, q in zip(line, line[1:]))

    if space.crowded:  # LADDER's last step only
        return next((r for r in chain(_taxis(space, source, target), _channels(space, source, target),
                                      _channels(space, source, target, anywhere=True)) if not crosses(r)), [])
    seen: list[tuple[list[Point], bool | None]] = []  # each route looked at, and whether it crosses a node (None: not known)
    for route in chain(_taxis(space, source, target), _channels(space, source, target), _channels(space, source, target, anywhere=True)):
        shown = space.visible([ps, *route, pt], source, target)
        if any(space.clashes(p, q, source, target) for p, q in zip(shown, shown[1:])):
            seen.append((route, None))
            continue
        if not crosses(route):
            return route
        seen.append((route, True))
    return next((route for route, crossing in seen if crossing is None and not crosses(route)), [])


def _fewest_compounds(space: Space, source: str, target: str, routes: Iterable[list[Point]]) -> list[Point] | None:
    if not space.compound_box:
        return next(iter(routes), None)  # the first crosses none
    best, fewest = None, math.inf
    own = space.member_of.get(source, set()) | space.member_of.get(target, set())
    for route in routes:
        line = [space.centre(source), *route, space.centre(target)]
        crossed = sum(1 for group, box in space.compound_box.items()
                      if group not in own and any(_crosses(p, q, box) for p, q in zip(line, line[1:])))
        if crossed < fewest:
            best, fewest = route, crossed
            if not crossed:
                break
    return best


def cut(space: Space, placed: Iterable[str], routes: Iterable[tuple[Edge, list[Point] | None]]) -> set[Edge]:
    """The edges among `routes` (edge, its route or None for straight) whose drawn line runs through one of the
    nodes just `placed`.

    Only a segment whose bounding box meets a placed node's box (grown by CLEARANCE) can cross it, so
    the others are passed over with a few comparisons."""
    new = Space(space.layout, space.widths, {}, {}, only=set(placed), centres=space.centres)
    boxes = [new.grown_box(node) for node in new.at.values()]
    centres = space.centres
    if not boxes:
        return set()
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    found = set()
    for edge, route in routes:
        line = (centres[edge[0]], *route, centres[edge[1]]) if route else (centres[edge[0]], centres[edge[1]])
        px, py = line[0]
        for q in line[1:]:
            qx, qy = q
            x1, x2 = (px, qx) if px <= qx else (qx, px)
            y1, y2 = (py, qy) if py <= qy else (qy, py)
            if x1 <= right and left <= x2 and y1 <= bottom and top <= y2 and \
                    any(b[0] <= x2 and x1 <= b[2] and b[1] <= y2 and y1 <= b[3] for b in boxes) and new.leaves_crossed((px, py), q, edge):
                found.add(edge)
                break
            px, py = qx, qy
    return found


def _usable(space: Space, points: Sequence[Point], source: str, target: str) -> bool:
    if space.own_lanes:  # else nothing clashes
        seen = space.visible(points, source, target)
        if any(space.clashes(p, q, source, target) for p, q in zip(seen, seen[1:])):
            return False
    return not any(space.blocked(p, q, source, target, bent=True) for p, q in zip(points, points[1:]))


def _gaps(space: Space, source: str, target: str) -> list[int]:
    """Gaps a route may turn in: right of the source's column up to left of the target's, nearest the target first."""
    first, last = space.slot_of(source), space.slot_of(target) - 1
    return [g for g in range(last, first - 1, -1) if g in space.layout.slot_x]


def _taxis(space: Space, source: str, target: str) -> Iterator[list[Point]]:
    """Out along the source's row, turning in a gap (nearest the target first) to the target's row, in."""
    (xs, ys), (xt, yt) = space.centre(source), space.centre(target)
    if ys == yt or xs >= xt:
        return
    slot, row = space.layout.cells[source]
    slot_x = space.layout.slot_x
    for gap in range(space.slot_of(target) - 1, slot - 1, -1):  # _gaps, one at a time
        if gap in slot_x and space.row_free(row, slot + 1, gap):
            x = space.gap_x(gap)
            yield [(x, ys), (x, yt)]


def _channels(space: Space, source: str, target: str, anywhere: bool = False) -> Iterator[list[Point]]:
    """Out to the gap after the source, along a free row or row gap, down the gap before the target, in.
    Rows within NEAR_ROWS of the ends are tried, nearest first (`anywhere`: the rest of the drawing, and a
    few rows beyond)."""
    (_, ys), (_, yt) = space.centre(source), space.centre(target)
    out_x, in_x = space.gap_x(space.slot_of(source)), space.gap_before(space.slot_of(target))
    top, bottom = space.rows
    low, high = top - CHANNEL_ROWS, bottom + CHANNEL_ROWS
    near_low = max(low, math.floor(min(ys, yt) / ROW_HEIGHT) - NEAR_ROWS)
    near_high = min(high, math.ceil(max(ys, yt) / ROW_HEIGHT) + NEAR_ROWS)
    halves = range(2 * low, 2 * high + 1) if anywhere else range(2 * near_low, 2 * near_high + 1)
    candidates = [h * ROW_HEIGHT / 2 for h in halves if not (anywhere and 2 * near_low <= h <= 2 * near_high)]
    first, last = space.slot_of(source) + 1, space.slot_of(target) - 1
    for y in _nearest_first(candidates, ys, yt):
        if y % ROW_HEIGHT == 0 and not space.row_free(int(y // ROW_HEIGHT), first, last):
            continue
        yield _tidy([(out_x, ys), (out_x, y), (in_x, y), (in_x, yt)])


def _nearest_first(heights: list[float], ys: float, yt: float) -> Iterator[float]:
    """`heights` (ascending) in the order of (abs(y - ys) + abs(y - yt), y), one at a time (most routes take the
    first): those between the two ends cost alike, top down; then outward, the nearer end's side first on a tie."""
    a, b = min(ys, yt), max(ys, yt)
    below, above = bisect.bisect_left(heights, a), bisect.bisect_right(heights, b)
    yield from heights[below:above]
    below -= 1
    while below >= 0 or above < len(heights):
        if above >= len(heights) or (below >= 0 and a - heights[below] <= heights[above] - b):
            yield heights[below]
            below -= 1
        else:
            yield heights[above]
            above += 1


def _tidy(points: list[Point]) -> list[Point]:
    """Without repeated points or points in the middle of a straight run."""
    out: list[Point] = []
    for point in points:
        if out and out[-1] == point:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == point[0] or out[-2][1] == out[-1][1] == point[1]):
            out[-1] = point
            continue
        out.append(point)
    return out


# ---- tracks ------------------------------------------------------------------------------------------
def _on_tracks(space: Space, bent: dict[Edge, list[Point]], outs: Counter, ins: Counter) -> dict[Edge, list[Point]]:
    """Move each vertical run to a track of its gap: runs sharing a source (or a target) share a track;
    runs of different keys whose spans overlap get different tracks."""
    runs: dict[tuple[float, tuple[str, str]], _Run] = {}
    which: dict[Edge, list[tuple[int, tuple[float, tuple[str, str]]]]] = {}  # an edge's vertical runs: (index, run)
    centres = space.centres
    for edge, route in bent.items():
        source, target = edge
        verticals = [i for i in range(len(route) - 1) if route[i][0] == route[i + 1][0]]
        if not verticals:
            continue
        line = [centres[source], *route, centres[target]]
        mine = which[edge] = []
        for index in verticals:
            p, q = route[index], route[index + 1]
            gap = round(p[0], 1)
            if len(verticals) == 1:
                key = ("from", source) if outs[source] >= ins[target] else ("to", target)
            else:
                key = ("from", source) if index == verticals[0] else ("to", target)
            low, high = (p[1], q[1]) if p[1] <= q[1] else (q[1], p[1])
            run = runs.get((gap, key))
            if run is None:
                run = runs[(gap, key)] = _Run(gap, key, low, high)
            else:
                run.low, run.high = min(run.low, low), max(run.high, high)
            for end, other in ((p, line[index]), (q, line[index + 3])):
                (run.from_left if other[0] < end[0] else run.to_right).add(round(end[1]))
            mine.append((index, (gap, key)))
    track: dict[tuple[float, tuple[str, str]], int] = {}
    by_gap: dict[float, list[_Run]] = defaultdict(list)
    for run in runs.values():
        by_gap[run.gap].append(run)
    for gap_runs in by_gap.values():
        for run, choice in _assign(gap_runs).items():
            track[(run.gap, run.key)] = choice
    shifted: dict[Edge, list[Point]] = {}
    for edge, route in bent.items():
        points = list(route)
        for index, slot_key in which.get(edge, ()):
            if track[slot_key]:
                dx = track[slot_key] * TRACK_STEP
                points[index] = (route[index][0] + dx, route[index][1])
                points[index + 1] = (route[index + 1][0] + dx, route[index + 1][1])
        shifted[edge] = [(round(x, 1), round(y, 1)) for x, y in points]
    return shifted


def _assign(runs: list[_Run]) -> dict[_Run, int]:
    """A track for each run of one gap: runs whose spans come near each other get different tracks, in the
    left-to-right order their joins need (see _Run.left_of), the middle track first.

    A sweep down the gap: the runs placed whose spans may still come near the next ones are kept by the
    heights they are joined at, so a run finds those it must be right (or left) of without looking at all."""
    margin = ROW_HEIGHT / 2
    chosen: dict[_Run, int] = {}
    ending: list[tuple[float, int, _Run]] = []  # (high, order, run) of the runs in the sweep
    using: Counter = Counter()  # tracks taken by the runs in the sweep
    joined_left: dict[int, set[_Run]] = defaultdict(set)  # height -> runs in the sweep joined from the left there
    turning_right: dict[int, set[_Run]] = defaultdict(set)
    for order, run in enumerate(sorted(runs, key=lambda r: (r.low, r.high))):
        while ending and ending[0][0] + margin < run.low:  # lows only grow: a run that ended stays ended
            _, _, done = heapq.heappop(ending)
            using[chosen[done]] -= 1
            for height in done.from_left:
                joined_left[height].discard(done)
            for height in done.to_right:
                turning_right[height].discard(done)
        busy = {t for t, n in using.items() if n}
        # above: runs that must be left of this one (o.left_of(run)); below: runs it must be left of (run.left_of(o))
        above = max((chosen[o] for h in run.to_right if h in joined_left for o in joined_left[h]), default=-len(TRACKS))
        below = min((chosen[o] for h in run.from_left if h in turning_right for o in turning_right[h]), default=len(TRACKS))
        free = [t for t in TRACKS if t not in busy]
        ordered = [t for t in free if above < t < below]
        chosen[run] = (ordered or free or [TRACKS[len(chosen) % len(TRACKS)]])[0]
        heapq.heappush(ending, (run.high, order, run))
        using[chosen[run]] += 1
        for height in run.from_left:
            joined_left[height].add(run)
        for height in run.to_right:
            turning_right[height].add(run)
    return chosen


# ---- segments and boxes ---------------------------------------------------------------------------------
def _grow(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def _clip_x(p: Point, q: Point, left: float, right: float) -> tuple[float, float] | None:
    """The y-span of segment p-q between x = left and x = right, if it gets there."""
    (x1, y1), (x2, y2) = p, q
    if max(x1, x2) < left or min(x1, x2) > right:
        return None
    if x1 == x2:
        return min(y1, y2), max(y1, y2)
    ya = y1 + (y2 - y1) * (max(left, min(x1, x2)) - x1) / (x2 - x1)
    yb = y1 + (y2 - y1) * (min(right, max(x1, x2)) - x1) / (x2 - x1)
    return min(ya, yb), max(ya, yb)


def _crosses(p: Point, q: Point, box: Box) -> bool:
    """Whether segment p-q enters the open box (Liang-Barsky)."""
    (x1, y1), (x2, y2) = p, q
    dx, dy = x2 - x1, y2 - y1
    low, high = 0.0, 1.0
    for step, room in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if step == 0:
            if room <= 0:
                return False
            continue
        t = room / step
        if step < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def _along_border(p: Point, q: Point, box: Box) -> bool:
    """Whether an axis-parallel segment runs along one of the box's sides."""
    x1, y1, x2, y2 = box
    if p[1] == q[1]:
        overlap = min(max(p[0], q[0]), x2) - max(min(p[0], q[0]), x1)
        return overlap > 0 and min(abs(p[1] - y1), abs(p[1] - y2)) < BORDER_CLEARANCE
    if p[0] == q[0]:
        overlap = min(max(p[1], q[1]), y2) - max(min(p[1], q[1]), y1)
        return overlap > 0 and min(abs(p[0] - x1), abs(p[0] - x2)) < BORDER_CLEARANCE
    return False


def polyline(layout: Layout, edge: Edge, route: Sequence[Point] | None) -> list[Point]:
    """The drawn line of an edge: its source's centre, its waypoints, its target's centre."""
    def centre(node: str) -> Point:
        p = layout.position(node)
        return p["x"], p["y"]

    return [centre(edge[0]), *(route or ()), centre(edge[1])]


__all__ = ["route_edges", "bend_all", "cut", "polyline", "Space", "Point", "Box", "Edge"]
