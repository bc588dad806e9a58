"""Which nodes and edges are drawn for the graph a view knows, and how compound workloads look.

A workload with two or more steps in view (notebook cells, script lines, child jobs) is drawn as a
compound holding them; with one step, the step is drawn alone in its workload's place. A collapsed
compound is one node: it keeps its output edges, and an input edge only when that input reaches
every output drawn, through its steps, so collapsing never draws a path the data did not take.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

Edge = tuple[str, str]
# Stronger evidence wins when several edges are drawn as one.
EVIDENCE_STRENGTH = {"direct": 2, "column_lineage": 1, "inferred": 0}


@dataclass
class Drawing:
    leaves: list[str] = field(default_factory=list)  # drawn as ordinary nodes
    parents: dict[str, list[str]] = field(default_factory=dict)  # compound -> its steps drawn inside it
    collapsed: dict[str, list[str]] = field(default_factory=dict)  # compound drawn as one node -> its hidden steps
    alone: dict[str, str] = field(default_factory=dict)  # step drawn in its workload's place -> the workload
    edges: dict[Edge, str] = field(default_factory=dict)  # (source, target) drawn -> evidence
    shown_as: dict[str, str] = field(default_factory=dict)  # every known node -> the drawn node standing for it


def steps_by_workload(nodes: Mapping[str, dict[str, Any]]) -> dict[str, list[str]]:
    steps: dict[str, list[str]] = defaultdict(list)
    for node, info in nodes.items():
        parent = info.get("parent")
        if info.get("kind") != "more" and parent in nodes and nodes[parent].get("compound"):
            steps[parent].append(node)
    return dict(steps)


def draw(nodes: Mapping[str, dict[str, Any]], edges: Iterable[dict[str, Any]], collapsed: set[str]) -> Drawing:
    edge_list = [(e["source"], e["target"], e.get("evidence") or "direct") for e in edges]
    drawing = Drawing()
    shown_as = {node: node for node in nodes}
    for workload, steps in steps_by_workload(nodes).items():
        if len(steps) == 1:
            drawing.alone[steps[0]] = workload
            shown_as[workload] = steps[0]
        elif workload in collapsed:
            drawing.collapsed[workload] = steps
            shown_as.update(dict.fromkeys(steps, workload))
        else:
            drawing.parents[workload] = steps
    drawing.shown_as = shown_as
    drawing.leaves = [n for n in nodes if shown_as[n] == n and n not in drawing.parents]
    hidden_inputs = _inputs_that_would_draw_false_paths(drawing.collapsed, edge_list)
    for source, target, evidence in edge_list:
        if (source, target) in hidden_inputs:
            continue
        ends = (shown_as.get(source), shown_as.get(target))
        if None in ends or ends[0] == ends[1]:
            continue
        key = (ends[0], ends[1])
        known = drawing.edges.get(key)
        if known is None or EVIDENCE_STRENGTH.get(evidence, 0) > EVIDENCE_STRENGTH.get(known, 0):
            drawing.edges[key] = evidence
    return drawing


def _inputs_that_would_draw_false_paths(collapsed: Mapping[str, list[str]], edges: list[tuple[str, str, str]]) -> set[Edge]:
    """Input edges of collapsed compounds whose input does not reach every output the compound draws."""
    dropped: set[Edge] = set()
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target, _ in edges:
        successors[source].append(target)
    for steps in collapsed.values():
        inside = set(steps)
        outputs = {t for s, t, _ in edges if s in inside and t not in inside}
        for source, target, _ in edges:
            if target in inside and source not in inside and not outputs <= _reached_through(source, inside, successors):
                dropped.add((source, target))
    return dropped


def _reached_through(start: str, steps: set[str], successors: Mapping[str, list[str]]) -> set[str]:
    """What `start` reaches by paths that enter a step, leave it, and enter a step again only from there."""
    reached: set[str] = set()
    frontier = [start]
    seen = {start}
    while frontier:
        node = frontier.pop()
        for nxt in successors.get(node, ()):
            inside = nxt in steps
            if not inside and node not in steps:
                continue  # outside the compound, a path goes on only through its steps
            if not inside:
                reached.add(nxt)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return reached
