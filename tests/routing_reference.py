"""The edge router as it was before it was made faster (lineage_nb/view/routing.py at 4d8e348), kept as the
reference the fast one must agree with, route for route (tests/test_routing.py). Not used by the package."""
from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Iterable, Iterator, Mapping, Sequence

from lineage_nb.view.layout import COLUMN_GAP, NODE_HEIGHT, NODE_WIDTH, ROW_HEIGHT, Layout
from lineage_nb.view.routing import (  # what the faster router left as it was: constants and geometry
    CHANNEL_ROWS,
    CLEARANCE,
    COMPOUND_PADDING,
    CROWDED,
    LADDER,
    NEAR_ROWS,
    REACH,
    TITLE_HEIGHT,
    TRACK_STEP,
    TRACKS,
    Box,
    Edge,
    Point,
    _along_border,
    _clip_x,
    _crosses,
    _gaps,
    _grow,
    _tidy,
    polyline,
)


@dataclass(eq=False)
class _Run:
    """A vertical run in a column gap: the runs of one key share a track."""

    gap: float  # its x
    key: tuple[str, str]
    low: float
    high: float
    from_left: set[int] = field(default_factory=set)  # heights where a horizontal run joins it from the left
    to_right: set[int] = field(default_factory=set)  # and to the right

    def __hash__(self) -> int:
        return hash((self.gap, self.key))

    def left_of(self, other: _Run) -> bool:
        """Whether this run must be left of `other`: a run joined from the left at the height where `other` turns
        right would otherwise lie on `other`'s horizontal run."""
        return not self.from_left.isdisjoint(other.to_right)


@dataclass
class _Space:
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

    def __post_init__(self) -> None:
        self.at = {cell: node for node, cell in self.layout.cells.items() if self.only is None or node in self.only}
        taken = [row for _, row in self.layout.cells.values()] or [0]
        row_slots: dict[int, list[int]] = defaultdict(list)
        for slot, row in self.layout.cells.values():
            row_slots[row].append(slot)
        self.row_slots = {row: sorted(slots) for row, slots in row_slots.items()}
        self.rows = (min(taken), max(taken))
        self.slots = sorted(self.layout.slot_x)
        self.slot_xs = [self.layout.slot_x[s] for s in self.slots]
        self.widest = max(self.layout.slot_width.values(), default=NODE_WIDTH)
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

    # ---- geometry ------------------------------------------------------------------------------
    def centre(self, node: str) -> Point:
        p = self.layout.position(node)
        return p["x"], p["y"]

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
    def leaves_crossed(self, p: Point, q: Point, ends: set[str]) -> bool:
        """Whether p-q crosses a node box (not one of `ends`), looking only at the cells it passes."""
        if p[1] == q[1] and p[1] % ROW_HEIGHT == ROW_HEIGHT / 2:
            return False  # along a row gap: no node reaches it
        if p[1] == q[1] and p[1] % ROW_HEIGHT == 0:  # along a row's middle: only that row's nodes can be in the way
            row, left, right = int(p[1] // ROW_HEIGHT), min(p[0], q[0]), max(p[0], q[0])
            slots = self.row_slots.get(row, [])
            reach = self.widest / 2 + CLEARANCE
            low = bisect.bisect_left(self.slot_xs, left - reach)
            high = bisect.bisect_right(self.slot_xs, right + reach)
            if low >= high:
                return False
            first, last = bisect.bisect_left(slots, self.slots[low]), bisect.bisect_right(slots, self.slots[high - 1])
            for slot in slots[first:last]:
                node = self.at.get((slot, row))
                if node is not None and node not in ends:
                    box = _grow(self.box(node), CLEARANCE)
                    if box[0] < right and left < box[2]:
                        return True
            return False
        left, right = min(p[0], q[0]), max(p[0], q[0])
        first = max(0, bisect.bisect_left(self.slot_xs, left - NODE_WIDTH * 2) - 1)
        for slot in self.slots[first:]:
            middle, half = self.layout.slot_x[slot], self.layout.slot_width[slot] / 2 + CLEARANCE
            if middle - half > right:
                break
            span = _clip_x(p, q, middle - half, middle + half)
            if span is None:
                continue
            low, high = span
            reach = NODE_HEIGHT / 2 + CLEARANCE
            for row in range(math.floor((low - reach) / ROW_HEIGHT), math.ceil((high + reach) / ROW_HEIGHT) + 1):
                node = self.at.get((slot, row))
                if node is not None and node not in ends and _crosses(p, q, _grow(self.box(node), CLEARANCE)):
                    return True
        return False

    def blocked(self, p: Point, q: Point, source: str, target: str, bent: bool) -> bool:
        """Whether segment p-q of a route from `source` to `target` crosses what it must not."""
        if self.leaves_crossed(p, q, {source, target}):
            return True
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
        left, right = min(p[0], q[0]), max(p[0], q[0])
        for x1, x2, s, t in self.lines[round(p[1])]:
            if s != source and t != target and min(x2, right) - max(x1, left) > REACH:
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
        for p, q in zip(points, points[1:]):
            if p[1] == q[1]:
                self.lines[round(p[1])].append((min(p[0], q[0]), max(p[0], q[0]), source, target))


def route_edges(layout: Layout, edges: Iterable[Edge], widths: Mapping[str, float] | None = None,
                groups: Mapping[str, Sequence[str]] | None = None, titles: Mapping[str, float] | None = None,
                previous: Mapping[Edge, list[Point] | None] | None = None, placed: Iterable[str] = ()) -> dict[Edge, list[Point]]:
    """Waypoints for each edge that cannot be drawn straight; straight edges and back edges are left out.

    `groups` maps a compound to its steps, `titles` a compound to its title's width. A view that grew
    without moving anything gives the routes it had (`previous`, None for straight) and the nodes it
    `placed`: an edge in `previous` keeps its route unless that now runs through a placed node.
    """
    space = _Space(layout, widths or {}, groups or {}, titles or {})
    todo = [e for e in dict.fromkeys(edges) if e not in layout.back_edges and e[0] in layout.cells and e[1] in layout.cells and e[0] != e[1]]
    outs = Counter(s for s, _ in todo)
    ins = Counter(t for _, t in todo)
    kept = _still_clear(layout, todo, previous, placed, widths or {}) if previous is not None else {}
    for edge, route in kept.items():
        space.take(polyline(layout, edge, route), *edge)
    todo = [e for e in todo if e not in kept]
    blocked = [e for e in todo if space.blocked(space.centre(e[0]), space.centre(e[1]), *e, bent=False)]
    for edge in set(todo) - set(blocked):
        space.take(polyline(layout, edge, None), *edge)
    space.crowded = len(blocked) > CROWDED
    bent: dict[Edge, list[Point]] = {}
    for source, target in sorted(blocked, key=lambda e: abs(space.slot_of(e[1]) - space.slot_of(e[0]))):
        ps, pt = space.centre(source), space.centre(target)
        route = _bend(space, source, target)
        space.take([ps, *route, pt], source, target)
        bent[(source, target)] = route
    return {**{e: r for e, r in kept.items() if r}, **_on_tracks(space, bent, outs, ins)}


def _bend(space: _Space, source: str, target: str) -> list[Point]:
    """The first route that works, avoiding titles, compounds and other edges' lanes for as long as one can;
    when it cannot avoid compounds, the route through the fewest."""
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


def _fewest_compounds(space: _Space, source: str, target: str, routes: Iterable[list[Point]]) -> list[Point] | None:
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


def _still_clear(layout: Layout, edges: list[Edge], previous: Mapping[Edge, list[Point] | None], placed: Iterable[str],
                 widths: Mapping[str, float]) -> dict[Edge, list[Point] | None]:
    """The edges of `previous` whose drawn line runs through none of the nodes just `placed`."""
    new = _Space(layout, widths, {}, {}, only=set(placed))
    kept = {}
    for edge in edges:
        if edge in previous:
            line = polyline(layout, edge, previous[edge])
            if not any(new.leaves_crossed(p, q, set(edge)) for p, q in zip(line, line[1:])):
                kept[edge] = previous[edge]
    return kept


def _usable(space: _Space, points: Sequence[Point], source: str, target: str) -> bool:
    seen = space.visible(points, source, target)
    if any(space.clashes(p, q, source, target) for p, q in zip(seen, seen[1:])):
        return False
    return not any(space.blocked(p, q, source, target, bent=True) for p, q in zip(points, points[1:]))


def _taxis(space: _Space, source: str, target: str) -> Iterator[list[Point]]:
    """Out along the source's row, turning in a gap (nearest the target first) to the target's row, in."""
    (xs, ys), (xt, yt) = space.centre(source), space.centre(target)
    if ys == yt or xs >= xt:
        return
    slot, row = space.layout.cells[source]
    for gap in _gaps(space, source, target):
        if space.row_free(row, slot + 1, gap):
            x = space.gap_x(gap)
            yield [(x, ys), (x, yt)]


def _channels(space: _Space, source: str, target: str, anywhere: bool = False) -> Iterator[list[Point]]:
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
    candidates.sort(key=lambda y: (abs(y - ys) + abs(y - yt), y))
    first, last = space.slot_of(source) + 1, space.slot_of(target) - 1
    for y in candidates:
        if y % ROW_HEIGHT == 0 and not space.row_free(int(y // ROW_HEIGHT), first, last):
            continue
        yield _tidy([(out_x, ys), (out_x, y), (in_x, y), (in_x, yt)])


# ---- tracks ------------------------------------------------------------------------------------------
def _on_tracks(space: _Space, bent: dict[Edge, list[Point]], outs: Counter, ins: Counter) -> dict[Edge, list[Point]]:
    """Move each vertical run to a track of its gap: runs sharing a source (or a target) share a track;
    runs of different keys whose spans overlap get different tracks."""
    runs: dict[tuple[float, tuple[str, str]], _Run] = {}
    which: dict[tuple[Edge, int], tuple[float, tuple[str, str]]] = {}
    for (source, target), route in bent.items():
        line = [space.centre(source), *route, space.centre(target)]
        verticals = [i for i, (p, q) in enumerate(zip(route, route[1:])) if p[0] == q[0]]
        for index in verticals:
            p, q = route[index], route[index + 1]
            gap = round(p[0], 1)
            if len(verticals) == 1:
                key = ("from", source) if outs[source] >= ins[target] else ("to", target)
            else:
                key = ("from", source) if index == verticals[0] else ("to", target)
            run = runs.setdefault((gap, key), _Run(gap, key, min(p[1], q[1]), max(p[1], q[1])))
            run.low, run.high = min(run.low, p[1], q[1]), max(run.high, p[1], q[1])
            for end, other in ((p, line[index]), (q, line[index + 3])):
                (run.from_left if other[0] < end[0] else run.to_right).add(round(end[1]))
            which[((source, target), index)] = (gap, key)
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
        for index in range(len(route) - 1):
            slot_key = which.get((edge, index))
            if slot_key is not None and track[slot_key]:
                dx = track[slot_key] * TRACK_STEP
                points[index] = (route[index][0] + dx, route[index][1])
                points[index + 1] = (route[index + 1][0] + dx, route[index + 1][1])
        shifted[edge] = [(round(x, 1), round(y, 1)) for x, y in points]
    return shifted


def _assign(runs: list[_Run]) -> dict[_Run, int]:
    """A track for each run of one gap: runs whose spans come near each other get different tracks, in the
    left-to-right order their joins need (see _Run.left_of), the middle track first."""
    margin = ROW_HEIGHT / 2
    chosen: dict[_Run, int] = {}
    active: list[_Run] = []  # runs placed whose spans may still come near the next ones (a sweep down the gap)
    for run in sorted(runs, key=lambda r: (r.low, r.high)):
        active = [o for o in active if o.high + margin >= run.low]
        busy = {chosen[o] for o in active}
        above = max((chosen[o] for o in active if o.left_of(run)), default=-len(TRACKS))
        below = min((chosen[o] for o in active if run.left_of(o)), default=len(TRACKS))
        free = [t for t in TRACKS if t not in busy]
        ordered = [t for t in free if above < t < below]
        chosen[run] = (ordered or free or [TRACKS[len(chosen) % len(TRACKS)]])[0]
        active.append(run)
    return chosen


