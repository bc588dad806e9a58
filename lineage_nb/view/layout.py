"""Layered left-to-right layout of a lineage view, computed in Python (the front end only draws it).

Columns are ranks (sources on the left, every edge pointing right); an edge that closes a cycle is
returned as a back edge, to be drawn differently. Rows within a column are ordered to cut crossings.
A column too tall for the view wraps into several sub-columns, so a fan-out of hundreds stays
readable: the sub-columns keep the row of the node they fan out from (or into) free, for its edges to
run through (view/routing.py draws them as a comb), and a chain continuing one to one from a wrapped
column wraps with it, each node just right of the one it reads. A compound workload's steps sit in one horizontal band spanning their columns, with a
row above for its title, and nothing else inside the band.

Whole views are laid out at once; `place_beside` adds nodes to a big view without moving any.
"""
from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

NODE_WIDTH = 170  # the widest node; narrower ones make narrower columns
NODE_HEIGHT = 36
COLUMN_GAP = 40
COLUMN_WIDTH = NODE_WIDTH + COLUMN_GAP
ROW_HEIGHT = 52
# The graph area a layout is shaped for, in pixels at zoom 1 (the widget's area beside its panel).
VIEW_WIDTH, VIEW_HEIGHT = 1000, 560
MIN_WRAP_ROWS = 6
SWEEPS = 4
MAX_TRUNKS = 2  # rows a wrapped column keeps free for the edges that fan out from (or into) it

Cell = tuple[int, int]  # (slot, row): slots are columns left to right, as wide as their widest node; y = row * ROW_HEIGHT
Edge = tuple[str, str]


@dataclass
class Layout:
    """Which node sits in which cell, where each column is, and which edges run against the flow."""

    cells: dict[str, Cell] = field(default_factory=dict)
    taken: set[Cell] = field(default_factory=set)
    back_edges: set[Edge] = field(default_factory=set)
    wrap_rows: int = 0  # rows per sub-column of a wrapped column; 0 when nothing wrapped
    slot_x: dict[int, float] = field(default_factory=dict)  # a column's centre
    slot_width: dict[int, float] = field(default_factory=dict)  # a column's widest node

    def put(self, node: str, cell: Cell) -> None:
        self.remove(node)
        self.cells[node] = cell
        self.taken.add(cell)

    def remove(self, node: str) -> None:
        cell = self.cells.pop(node, None)
        if cell is not None:
            self.taken.discard(cell)

    def position(self, node: str) -> dict[str, float]:
        slot, row = self.cells[node]
        return {"x": self.slot_x[slot], "y": row * ROW_HEIGHT}

    def size_columns(self, widths: Mapping[str, float]) -> None:
        """Each column as wide as its widest node, COLUMN_GAP apart, left to right."""
        for node, (slot, _) in self.cells.items():
            self.slot_width[slot] = max(self.slot_width.get(slot, 0), widths.get(node, NODE_WIDTH))
        right = 0.0
        for slot in sorted(self.slot_width):
            self.slot_x[slot] = right + self.slot_width[slot] / 2
            right += self.slot_width[slot] + COLUMN_GAP

    def column(self, slot: int) -> float:
        """The width of column `slot`, making a full-width column beyond either end if needed."""
        if slot not in self.slot_width:
            known = sorted(self.slot_width) or [slot]
            step = 1 if slot > known[-1] else -1
            nearest = known[-1] if step == 1 else known[0]
            for new in range(nearest + step, slot + step, step):
                before = self.slot_x.get(new - step, -step * (NODE_WIDTH + COLUMN_GAP) / 2)
                gap = self.slot_width.get(new - step, 0) / 2 + COLUMN_GAP + NODE_WIDTH / 2
                self.slot_width[new], self.slot_x[new] = NODE_WIDTH, before + step * gap
        return self.slot_width[slot]


# ---- ranks -----------------------------------------------------------------------------------------
def ranks(nodes: Iterable[str], edges: Iterable[Edge]) -> dict[str, int]:
    """Longest-path rank from the sources; a cycle is broken at its node with the fewest open inputs.

    A source feeding only later columns moves right, next to the first node it feeds, so a model
    loaded late in a pipeline sits beside its reader rather than at the far left.
    """
    order = list(dict.fromkeys(nodes))
    known = set(order)
    successors: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(order, 0)
    for source, target in edges:
        if source in known and target in known and source != target:
            successors[source].append(target)
            indegree[target] += 1
    rank = dict.fromkeys(order, 0)
    queue = deque(n for n in order if indegree[n] == 0)
    done: set[str] = set()
    forward: dict[str, list[str]] = defaultdict(list)
    while len(done) < len(order):
        if not queue:
            queue.append(min((n for n in order if n not in done), key=lambda n: indegree[n]))
        node = queue.popleft()
        if node in done:
            continue
        done.add(node)
        for target in successors[node]:
            if target in done:
                continue
            forward[node].append(target)
            rank[target] = max(rank[target], rank[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                queue.append(target)
    fed = {t for targets in forward.values() for t in targets}
    for node in order:
        if node not in fed and forward[node]:
            rank[node] = min(rank[t] for t in forward[node]) - 1
    return rank


def back_edges(rank: Mapping[str, int], edges: Iterable[Edge]) -> set[Edge]:
    """Edges that do not point right under `rank`: the ones that close a cycle."""
    return {(s, t) for s, t in edges if s in rank and t in rank and rank[s] >= rank[t]}


# ---- order within columns --------------------------------------------------------------------------
def _barycentre_sweeps(layers: list[list[str]], before: Mapping[str, list[str]], after: Mapping[str, list[str]],
                       group_of: Mapping[str, str]) -> None:
    """Reorder each layer by the mean row of its neighbours in the layer before (down) or after (up).

    Members of one compound stay next to each other, at their mean place.
    """
    row = {n: i for layer in layers for i, n in enumerate(layer)}
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        linked = before if downward else after
        for index in indices:
            layer = layers[index]
            own = {}
            for node in layer:
                others = linked.get(node)
                own[node] = sum(row[o] for o in others) / len(others) if others else row[node]
            grouped: dict[str, list[float]] = defaultdict(list)
            for node in layer:
                if node in group_of:
                    grouped[group_of[node]].append(own[node])
            group_key = {g: sum(v) / len(v) for g, v in grouped.items()}
            layer.sort(key=lambda n: (group_key.get(group_of.get(n, ""), own[n]), group_of.get(n, ""), own[n]))
            for i, node in enumerate(layer):
                row[node] = i


# ---- rows ------------------------------------------------------------------------------------------
@dataclass
class _Band:
    """A compound's rows: a title row, then its steps, across the ranks it spans."""

    first: int
    last: int
    height: int  # title row + the most steps in one rank
    top: int = 0

    def blocks(self, rank: int, row: int) -> bool:
        return self.first <= rank <= self.last and self.top <= row < self.top + self.height


def _place_bands(bands: list[_Band]) -> None:
    """Each band at the free rows nearest the middle, clear of bands that share a column."""
    placed: list[_Band] = []
    for band in sorted(bands, key=lambda b: (b.first, -b.height)):
        for offset in _outward():
            band.top = offset - band.height // 2
            clash = any(
                other.first <= band.last and band.first <= other.last
                and other.top < band.top + band.height and band.top < other.top + other.height
                for other in placed
            )
            if not clash:
                break
        placed.append(band)


def _outward() -> Iterable[int]:
    """0, 1, -1, 2, -2, ...: rows nearest the middle first, below before above."""
    yield 0
    step = 1
    while True:
        yield step
        yield -step
        step += 1


def _free_rows(count: int, blocked: Sequence[_Band], rank: int, skip: set[int] | frozenset[int] = frozenset()) -> list[int]:
    rows: list[int] = []
    for row in _outward():
        if len(rows) == count:
            return sorted(rows)
        if row not in skip and not any(b.blocks(rank, row) for b in blocked):
            rows.append(row)
    return rows  # unreachable: _outward never ends


def _followers(layers: Sequence[Sequence[str]], loose: Sequence[Sequence[str]], before: Mapping[str, list[str]], index: int,
               bands: Sequence[_Band]) -> int:
    """How many layers after a wrapped one continue its nodes one to one (each node reads from exactly one
    node of the layer before, no two from the same one, no compound in the way): those wrap with it, each
    node just right of the one it reads from, so a chain through a wrapped column is drawn as short edges
    rather than as edges that must cross the other sub-columns."""
    count = 0
    while index + count + 1 < len(layers):
        rank = index + count + 1
        nodes = layers[rank]
        previous = set(loose[rank - 1])
        sources = [before.get(n, []) for n in nodes]
        one_to_one = all(len(s) == 1 and s[0] in previous for s in sources) and len({s[0] for s in sources if s}) == len(nodes)
        if not nodes or not one_to_one or any(b.first <= rank <= b.last for b in bands):
            break
        count += 1
    return count


def _trunk_rows(layout: Layout, nodes: Sequence[str], before: Mapping[str, list[str]], tail: Sequence[Sequence[str]],
                rows: int, bands: Mapping[str, _Band], last: int) -> set[int]:
    """Rows a wrapped column leaves free, so the edges of the node it fans out from (or into) run straight
    through its sub-columns, like a comb: the rows of the few nodes before it that feed it, else of the
    few nodes after it (and its followers, `tail`, the last of them at rank `last`) that it feeds, where
    those will be put if their column does not wrap."""
    feeding = {s for n in nodes for s in before.get(n, ()) if s in layout.cells}
    if feeding:
        found = {layout.cells[s][1] for s in feeding}
    else:
        here = set(tail[0])
        following = tail[1] if len(tail) > 1 else []
        if not following or len(following) > rows:
            return set()
        will_be = dict(zip(following, _free_rows(len(following), list(bands.values()), last + 1)))
        found = {will_be[n] for n in following if any(s in here for s in before.get(n, ()))}
    return found if len(found) <= MAX_TRUNKS else set()


def wrap_rows(counts: Sequence[int], fixed_rows: int = 0) -> int:
    """Rows per sub-column that make the whole layout fit the view at the largest zoom.

    `counts` are the nodes of each column that may wrap; `fixed_rows` are rows bands take anyway.
    """
    tallest = max(counts, default=0)
    if tallest <= MIN_WRAP_ROWS:
        return max(tallest, 1)

    def zoom_out(rows: int) -> float:
        width = sum(max(1, math.ceil(c / rows)) for c in counts) * COLUMN_WIDTH
        height = (min(rows, tallest) + fixed_rows) * ROW_HEIGHT
        return max(width / VIEW_WIDTH, height / VIEW_HEIGHT)

    return min(range(MIN_WRAP_ROWS, tallest + 1), key=lambda r: (zoom_out(r), -r))


def layered(nodes: Iterable[str], edges: Iterable[Edge], groups: Mapping[str, Sequence[str]] | None = None,
            widths: Mapping[str, float] | None = None) -> Layout:
    """Lay out a whole view. `groups` maps a compound to its member nodes (which are in `nodes`);
    `widths` are the nodes' widths (default NODE_WIDTH)."""
    order = list(dict.fromkeys(nodes))
    edge_list = [(s, t) for s, t in edges if s != t]
    rank = ranks(order, edge_list)
    layout = Layout(back_edges=back_edges(rank, edge_list))
    if not order:
        return layout
    low = min(rank.values())
    layers: list[list[str]] = [[] for _ in range(max(rank.values()) - low + 1)]
    for node in order:
        rank[node] -= low
        layers[rank[node]].append(node)
    before: dict[str, list[str]] = defaultdict(list)
    after: dict[str, list[str]] = defaultdict(list)
    for source, target in edge_list:
        if source in rank and target in rank and rank[source] < rank[target]:
            before[target].append(source)
            after[source].append(target)
    known = set(order)
    group_of = {m: g for g, members in (groups or {}).items() for m in members if m in known}
    _barycentre_sweeps(layers, before, after, group_of)

    bands: dict[str, _Band] = {}
    for group in dict.fromkeys(group_of.values()):
        member_ranks = [rank[m] for m, g in group_of.items() if g == group]
        tallest = max(member_ranks.count(r) for r in set(member_ranks))
        bands[group] = _Band(min(member_ranks), max(member_ranks), 1 + tallest)
    _place_bands(list(bands.values()))
    loose = [[n for n in layer if n not in group_of] for layer in layers]
    rows = wrap_rows([len(layer) for layer in loose], sum(b.height for b in bands.values()))
    layout.wrap_rows = rows if any(len(layer) > rows for layer in loose) else 0

    slot, follow = 0, 0
    for index, layer in enumerate(layers):
        if follow:  # each node just right of the one node it reads from (see _followers)
            for node in loose[index]:
                source_slot, source_row = layout.cells[before[node][0]]
                layout.put(node, (source_slot + 1, source_row))
            follow -= 1
            continue
        seen: dict[str, int] = defaultdict(int)
        for node in layer:
            group = group_of.get(node)
            if group is not None:
                band = bands[group]
                layout.put(node, (slot, band.top + 1 + seen[group]))
                seen[group] += 1
        nodes_here = loose[index]
        sub_columns = max(1, math.ceil(len(nodes_here) / rows))
        per_column = math.ceil(len(nodes_here) / sub_columns) if nodes_here else 0
        follow = _followers(layers, loose, before, index, list(bands.values())) if sub_columns > 1 else 0
        trunks = _trunk_rows(layout, nodes_here, before, loose[index + follow:], rows, bands, index + follow) if sub_columns > 1 else set()
        free = _free_rows(per_column, list(bands.values()), index, skip=trunks)
        for i, node in enumerate(nodes_here):
            column, position = divmod(i, per_column)
            layout.put(node, (slot + column * (1 + follow), free[position]))
        slot += sub_columns * (1 + follow)
    used = {s: i for i, s in enumerate(sorted({s for s, _ in layout.cells.values()}))}  # a sub-column nothing followed
    layout.cells = {node: (used[old], row) for node, (old, row) in layout.cells.items()}
    layout.taken = set(layout.cells.values())
    layout.size_columns(widths or {})
    return layout


# ---- growing a big view without moving anything -----------------------------------------------------
def place_beside(layout: Layout, anchor: str, upstream: Sequence[str], downstream: Sequence[str],
                 widths: Mapping[str, float] | None = None) -> None:
    """Put new nodes in the free cells nearest the anchor: upstream ones left of it, downstream right.

    A side fills at most a wrapped column's rows around the anchor's row, in columns wide enough for
    the node, then the next column out.
    """
    slot, row = layout.cells[anchor]
    height = max(layout.wrap_rows, MIN_WRAP_ROWS * 2)
    for side, new_nodes in ((-1, upstream), (1, downstream)):
        for node in new_nodes:
            column = slot + side
            while True:
                if layout.column(column) >= (widths or {}).get(node, NODE_WIDTH):
                    free = [r for r in _rows_near(row, height) if (column, r) not in layout.taken]
                    if free:
                        layout.put(node, (column, free[0]))
                        break
                column += side


def _rows_near(row: int, count: int) -> list[int]:
    found = []
    for offset in _outward():
        found.append(row + offset)
        if len(found) == count:
            return found
    return found  # unreachable: _outward never ends
