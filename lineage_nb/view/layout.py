"""Layered layout for lineage DAGs on a grid: columns by topological rank, rows ordered to cut crossings.

The whole graph is laid out only when a view is (re)built. Expansion places new nodes in free grid
cells beside the node that brought them in, so nothing already shown moves.
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Iterable

COLUMN_WIDTH = 230
ROW_HEIGHT = 64
SWEEPS = 4

Cell = tuple[int, int]


@dataclass
class Grid:
    """Which node sits in which (column, row) cell; the Python side's record of positions."""

    cells: dict[str, Cell] = field(default_factory=dict)
    taken: set[Cell] = field(default_factory=set)

    def put(self, node: str, cell: Cell) -> None:
        self.cells[node] = cell
        self.taken.add(cell)

    def remove(self, node: str) -> None:
        cell = self.cells.pop(node, None)
        if cell is not None:
            self.taken.discard(cell)

    def position(self, node: str) -> dict[str, int]:
        column, row = self.cells[node]
        return {"x": column * COLUMN_WIDTH, "y": row * ROW_HEIGHT}

    def free_rows_near(self, column: int, row: int, count: int) -> list[int]:
        """The `count` free rows of a column closest to `row`, alternating below and above."""
        found: list[int] = []
        offset = 0
        while len(found) < count:
            for candidate in ((row,) if offset == 0 else (row + offset, row - offset)):
                if (column, candidate) not in self.taken and len(found) < count:
                    found.append(candidate)
            offset += 1
        return sorted(found)


def ranks(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Longest-path rank from the sources; a cycle is broken at its node with the fewest open inputs."""
    order = list(nodes)
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
            rank[target] = max(rank[target], rank[node] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                queue.append(target)
    return rank


def _barycentre_sweeps(layers: list[list[str]], neighbours_before: dict[str, list[str]], neighbours_after: dict[str, list[str]]) -> None:
    """Reorder each layer by the mean row of its neighbours in the layer before (down) or after (up)."""
    row = {n: i for layer in layers for i, n in enumerate(layer)}
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        linked = neighbours_before if downward else neighbours_after
        for index in indices:
            layer = layers[index]

            def key(node: str, linked: dict[str, list[str]] = linked) -> float:
                others = linked.get(node)
                return sum(row[o] for o in others) / len(others) if others else row[node]

            layer.sort(key=key)
            for i, node in enumerate(layer):
                row[node] = i


def layered(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> Grid:
    """Lay out a whole view: columns by rank (data flows left to right), rows centred on row 0."""
    edge_list = list(edges)
    rank = ranks(nodes, edge_list)
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for node, r in rank.items():
        layers[r].append(node)
    before: dict[str, list[str]] = defaultdict(list)
    after: dict[str, list[str]] = defaultdict(list)
    for source, target in edge_list:
        if source in rank and target in rank and rank[source] < rank[target]:
            before[target].append(source)
            after[source].append(target)
    _barycentre_sweeps(layers, before, after)
    grid = Grid()
    for column, layer in enumerate(layers):
        top = -(len(layer) // 2)
        for i, node in enumerate(layer):
            grid.put(node, (column, top + i))
    return grid


def place_beside(grid: Grid, anchor: str, upstream: list[str], downstream: list[str]) -> None:
    """Put new nodes in the free cells nearest the anchor: upstream ones left of it, downstream right."""
    column, row = grid.cells[anchor]
    for side, new_nodes in ((-1, upstream), (1, downstream)):
        if not new_nodes:
            continue
        rows = grid.free_rows_near(column + side, row, len(new_nodes))
        for node, free_row in zip(new_nodes, rows):
            grid.put(node, (column + side, free_row))
