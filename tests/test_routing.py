"""Edge routes (lineage_nb/view/routing.py), checked geometrically: no drawn edge passes through a node box other
than its own ends, and an edge whose straight line is clear stays straight."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from widget_data import _node, chain_events, layered_events, notebook_graph

from lineage_nb.view import graph_view
from lineage_nb.view.graph_view import GraphView
from lineage_nb.view.kept_routes import KeptRoutes
from lineage_nb.view.layout import NODE_HEIGHT, NODE_WIDTH, ROW_HEIGHT, layered, place_beside
from lineage_nb.view.routing import CLEARANCE, TITLE_HEIGHT, Space, polyline, route_edges

CELLS_NODES = ["raw.csv", "cell 4", "features.parquet", "cell 5", "scored.csv"]
CELLS_EDGES = [("raw.csv", "cell 4"), ("raw.csv", "cell 5"), ("cell 4", "features.parquet"), ("features.parquet", "cell 5"),
               ("cell 5", "scored.csv")]
CELLS_GROUPS = {"cells.ipynb": ["cell 4", "cell 5"]}


def box(layout, node, widths, grow=0.0):
    p = layout.position(node)
    half = widths.get(node, NODE_WIDTH) / 2 + grow
    return p["x"] - half, p["y"] - NODE_HEIGHT / 2 - grow, p["x"] + half, p["y"] + NODE_HEIGHT / 2 + grow


def crosses(p, q, b, inset=0.5):
    """Whether segment p-q has a point strictly inside box b shrunk by `inset` (the t for which x, then y, is inside)."""
    low, high = 0.0, 1.0
    for start, end, lo, hi in ((p[0], q[0], b[0] + inset, b[2] - inset), (p[1], q[1], b[1] + inset, b[3] - inset)):
        if start == end:
            if not lo < start < hi:
                return False
            continue
        t1, t2 = (lo - start) / (end - start), (hi - start) / (end - start)
        low, high = max(low, min(t1, t2)), min(high, max(t1, t2))
    return low < high


def straight_is_clear(layout, edge, widths):
    """Clear by more than the router's clearance: a line grazing a box would look as if it touched it."""
    line = polyline(layout, edge, None)
    return not any(crosses(line[0], line[1], box(layout, n, widths, CLEARANCE + 1)) for n in layout.cells if n not in edge)


def problems(layout, edges, routes, widths=None, groups=None, walls=()):
    """What a drawing with these routes gets wrong: an edge through a node (or through a compound it is not
    part of, unless that compound is a wall it cannot go round), a clear straight edge bent, a route that is
    not made of horizontal and vertical runs."""
    widths = widths or {}
    found = []
    compound_box = {}
    for group, members in (groups or {}).items():
        boxes = [box(layout, m, widths) for m in members]
        compound_box[group] = (min(b[0] for b in boxes) - 8, min(b[1] for b in boxes) - 8,
                               max(b[2] for b in boxes) + 8, max(b[3] for b in boxes) + 8)
    margin = CLEARANCE + 1
    near_compound = {g: ((b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin), (b[0] - margin, b[1] - TITLE_HEIGHT - margin, b[2] + margin, b[1]))
                     for g, b in compound_box.items()}
    groups = groups or {}
    for edge in edges:
        if edge in layout.back_edges:
            continue
        route = routes.get(edge)
        line = polyline(layout, edge, route)
        for p, q in zip(line, line[1:]):
            for node in layout.cells:
                if node not in edge and crosses(p, q, box(layout, node, widths, 2)):
                    found.append(f"{edge} runs through {node}")
            for group, members in (groups or {}).items():
                if not set(edge) & set(members) and crosses(p, q, compound_box[group]) and (edge, group) not in walls:
                    found.append(f"{edge} runs through compound {group}")
        if route and straight_is_clear(layout, edge, widths) and not any(
                crosses(line[0], line[-1], title) or (not set(edge) & set(groups[g]) and crosses(line[0], line[-1], around))
                for g, (around, title) in near_compound.items()):
            found.append(f"{edge} is bent though its straight line is clear")
        if route:
            inner = line[1:-1]
            if any(p[0] != q[0] and p[1] != q[1] for p, q in zip(inner, inner[1:])):
                found.append(f"{edge} has a slanted run between its waypoints: {route}")
    return found


def test_an_edge_past_a_cell_goes_round_it_not_through_it():
    layout = layered(CELLS_NODES, CELLS_EDGES, CELLS_GROUPS)
    assert layout.cells["raw.csv"][1] == layout.cells["cell 4"][1] == layout.cells["cell 5"][1], "the case: [4] between raw.csv and [5]"
    assert problems(layout, CELLS_EDGES, {}, groups=CELLS_GROUPS), "straight, raw.csv -> [5] runs through [4]: the test can fail"
    routes = route_edges(layout, CELLS_EDGES, groups=CELLS_GROUPS, titles={"cells.ipynb": 80})
    assert problems(layout, CELLS_EDGES, routes, groups=CELLS_GROUPS) == []
    assert set(routes) == {("raw.csv", "cell 5")}, "every other edge is clear, and stays straight"
    route = routes[("raw.csv", "cell 5")]
    ys = {y for _, y in route}
    assert route[0][1] == route[-1][1] == 0 and len(route) == 4, route
    assert all(y < -26 - 8 for y in ys - {0}), f"over the notebook's title row, clear of its border: {route}"


@pytest.mark.parametrize("width", [60, 200])
def test_a_wrapped_fan_out_is_a_comb_whose_trunk_runs_through_the_sub_columns(width):
    nodes = ["ingest", "events", *(f"c{i:02d}" for i in range(width))]
    edges = [("ingest", "events"), *(("events", f"c{i:02d}") for i in range(width))]
    layout = layered(nodes, edges)
    assert layout.wrap_rows, "the fan-out wraps"
    assert problems(layout, edges, {}), "straight, the edges to the later sub-columns cross the first: the test can fail"
    routes = route_edges(layout, edges)
    assert problems(layout, edges, routes) == []
    trunk = layout.cells["events"][1]
    assert all((slot, trunk) not in layout.taken for slot in {layout.cells[n][0] for n in nodes[2:]}), "the trunk's row is kept free"
    for (_, target), route in routes.items():
        assert route[0][1] == layout.position("events")["y"], "leaves the source horizontally, along the trunk"
        assert len(route) == 2 and route[1][1] == layout.position(target)["y"], "one turn down (or up) the gap before its sub-column"
    gaps = {route[0][0] for route in routes.values()}
    assert len(gaps) == len({layout.cells[n][0] for n in nodes[2:]}), "one shared vertical run (a bus) per sub-column"


def test_a_chain_through_a_wrapped_column_wraps_with_it_each_node_beside_the_one_it_reads():
    consumers = [f"c{i:02d}" for i in range(60)]
    nodes = ["raw", "ingest", "events", *consumers, *(f"out{c}" for c in consumers)]
    edges = [("raw", "ingest"), ("ingest", "events"), *(("events", c) for c in consumers), *((c, f"out{c}") for c in consumers)]
    layout = layered(nodes, edges)
    routes = route_edges(layout, edges)
    assert problems(layout, edges, routes) == []
    for c in consumers:
        (slot, row), (out_slot, out_row) = layout.cells[c], layout.cells[f"out{c}"]
        assert (out_slot, out_row) == (slot + 1, row) and (c, f"out{c}") not in routes, "a short straight edge"
    assert all(len(route) == 2 for route in routes.values()), "the fan-out is still a comb"


def test_a_wrapped_fan_in_leaves_the_sinks_row_free():
    nodes = [*(f"s{i:02d}" for i in range(60)), "sink", "out"]
    edges = [*((f"s{i:02d}", "sink") for i in range(60)), ("sink", "out")]
    layout = layered(nodes, edges)
    routes = route_edges(layout, edges)
    assert problems(layout, edges, routes) == []
    assert all(len(r) == 2 for r in routes.values()), "each source turns once, then runs along the sink's free row"


def _nodes_and_edges(count, pairs):
    """Nodes n0..n{count-1}; each pair (a, b) with a < b an edge, once."""
    return [f"n{i}" for i in range(count)], list(dict.fromkeys((f"n{a}", f"n{b}") for a, b in pairs if a < b))


def _dag(case):
    """(nodes, edges, widths) of a drawn DAG case."""
    count, pairs, sizes = case
    nodes, edges = _nodes_and_edges(count, pairs)
    return nodes, edges, dict(zip(nodes, sizes))


def _grouped(case):
    """(nodes, edges, groups) of a drawn case with compounds g1 and g2 (a group of no members left out)."""
    count, pairs, membership = case
    nodes, edges = _nodes_and_edges(count, pairs)
    groups = {f"g{g}": [f"n{i}" for i in range(count) if membership[i] == g] for g in (1, 2)}
    return nodes, edges, {g: members for g, members in groups.items() if members}


dags = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        st.lists(st.sampled_from([84, 120, 170, 230]), min_size=n, max_size=n),
    )
).map(_dag)


@settings(max_examples=80, deadline=None)
@given(dags)
def test_no_edge_of_a_random_dag_runs_through_a_node(dag):
    nodes, edges, widths = dag
    layout = layered(nodes, edges, widths=widths)
    routes = route_edges(layout, edges, widths)
    assert problems(layout, edges, routes, widths) == []


groups_strategy = st.integers(4, 20).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
    )
).map(_grouped)


@settings(max_examples=60, deadline=None)
@given(groups_strategy)
def test_no_edge_runs_through_a_cell_or_a_compound_it_is_not_part_of(case):
    nodes, edges, groups = case
    layout = layered(nodes, edges, groups)
    routes = route_edges(layout, edges, groups=groups)
    assert problems(layout, edges, routes, groups=groups, walls=walls(layout, edges, groups)) == []


def walls(layout, edges, groups):
    """(edge, compound) where the compound's band spans every column from the edge's source to its target and
    the ends are on either side of it: no route can go round it between them."""
    found = set()
    for group, members in groups.items():
        slots = {layout.cells[m][0] for m in members}
        rows = {layout.cells[m][1] for m in members}
        for source, target in edges:
            (s_slot, s_row), (t_slot, t_row) = layout.cells[source], layout.cells[target]
            spans = set(range(s_slot, t_slot + 1)) <= set(range(min(slots), max(slots) + 1))
            if spans and (min(s_row, t_row) < min(rows) - 1 and max(s_row, t_row) > max(rows)):
                found.add(((source, target), group))
    return found


def test_the_view_sends_routes_in_the_edge_data_and_updates_them_when_the_view_changes():
    view = GraphView(None, ["a4"], depth=3)
    elements = {e["data"]["id"]: e for e in view.build(notebook_graph())}
    edges = [(e["data"]["source"], e["data"]["target"]) for e in elements.values() if e["group"] == "edges"]
    routes = {(e["data"]["source"], e["data"]["target"]): [tuple(p) for p in e["data"]["route"]] for e in elements.values() if "route" in e["data"]}
    widths = {k: e["data"]["width"] for k, e in elements.items() if "width" in e["data"]}
    assert problems(view.layout, edges, routes, widths, view.drawing.parents) == []
    delta = view.toggle_steps("w1")
    changed = {d["id"] for d in delta.updated if d["id"].startswith("e|")} | {e["data"]["id"] for e in delta.added if e["group"] == "edges"}
    now = {e["data"]["id"]: e["data"].get("route") for e in view.elements() if e["group"] == "edges"}
    before = {k: e["data"].get("route") for k, e in elements.items() if e["group"] == "edges"}
    assert {k for k in now if k in before and now[k] != before[k]} <= changed, "a route that changed is in the delta"


def test_the_view_draws_a_wrapped_fan_out_with_routes_in_its_edge_data():
    consumers = [_node(f"c{i:02d}", "workload", f"consumer_{i:02d}") for i in range(60)]
    data = {"nodes": [_node("events", "dataset", "/fan/events.parquet", focus=True), *consumers],
            "edges": [{"source": "events", "target": c["id"], "evidence": "direct"} for c in consumers], "truncated": False, "focus": ["events"]}
    view = GraphView(None, ["events"])
    elements = view.build(data)
    edges = [(e["data"]["source"], e["data"]["target"]) for e in elements if e["group"] == "edges"]
    routes = {(e["data"]["source"], e["data"]["target"]): [tuple(p) for p in e["data"]["route"]] for e in elements if "route" in e["data"]}
    widths = {e["data"]["id"]: e["data"]["width"] for e in elements if "width" in e["data"]}
    assert len(routes) > 40, "most edges of a 60-way fan-out need a route"
    assert problems(view.layout, edges, routes, widths) == []
    assert problems(view.layout, edges, {}, widths), "straight, they would not pass"


def test_a_grown_view_reroutes_only_the_edges_its_new_nodes_cut():
    layout = layered(["a", "b", "c", "d"], [("a", "b"), ("c", "d")])
    a_row = layout.cells["a"][1]
    before = route_edges(layout, [("a", "b"), ("c", "d")])
    assert before == {}
    slot_a, slot_b = layout.cells["a"][0], layout.cells["b"][0]
    layout.column(slot_b + 1)
    layout.put("b", (slot_b + 1, a_row))  # b further right; nothing drawn between a and b yet
    layout.put("new", (slot_b, a_row))  # a node placed on the line a -> b
    assert slot_a < slot_b
    edges = [("a", "b"), ("c", "d")]
    after = route_edges(layout, edges, previous={("a", "b"): None, ("c", "d"): None}, placed=["new"])
    assert set(after) == {("a", "b")}, "a -> b goes round the new node; c -> d keeps its straight line"
    assert problems(layout, edges, after) == []
    assert all(y != a_row * ROW_HEIGHT for _, y in after[("a", "b")][1:-1]), "it leaves its row to pass the new node"


def drawn_problems(view):
    edges = [(e["data"]["source"], e["data"]["target"]) for e in view.elements() if e["group"] == "edges"]
    routes = {(e["data"]["source"], e["data"]["target"]): [tuple(p) for p in e["data"]["route"]] for e in view.elements() if "route" in e["data"]}
    widths = {e["data"]["id"]: e["data"]["width"] for e in view.elements() if "position" in e}
    return problems(view.layout, edges, routes, widths)


def test_a_big_view_growing_in_place_keeps_every_edge_clear_of_the_nodes_it_places(tmp_path, monkeypatch):
    """Expand all, page a "+N more" node and collapse, all grown in place (its routes kept between changes and
    checked against the reference after each), every changed route in the delta."""
    import lineage_nb
    from lineage_nb.query import sql as queries
    from lineage_nb.query.local import LocalQueryService

    monkeypatch.setattr(graph_view, "RELAYOUT_LIMIT", 3)
    with lineage_nb.open_store(str(tmp_path / "chain.db"), create=True) as store:
        assert not store.ingest(chain_events()).rejected
        view = GraphView(LocalQueryService(store), [queries.resolve_artifact(store, "/data/features.parquet")["id"]])
        view.build()
        grown: list[int] = []
        monkeypatch.setattr(KeptRoutes, "grow", agreeing_growth(view, grown))
        assert drawn_problems(view) == []

        def more():
            return next(k for k, e in view.drawn.items() if e["data"].get("kind") == "more")

        changes = [view.expand_all, lambda: view.expand(more()), view.expand_all, lambda: view.collapse(sorted(view.expanded)[0])]
        for change in changes:
            drawn = {k: e["data"].get("route") for k, e in view.drawn.items() if e["group"] == "edges"}
            delta = change()
            assert not delta.note and (delta.added or delta.removed)
            assert delta.moved == []
            assert drawn_problems(view) == []
            sent = {d["id"]: d.get("route") for d in delta.updated if d["id"].startswith("e|")}
            sent |= {e["data"]["id"]: e["data"].get("route") for e in delta.added if e["group"] == "edges"}
            now = {k: e["data"].get("route") for k, e in view.drawn.items() if e["group"] == "edges"}
            assert {k: r for k, r in now.items() if drawn.get(k, "new") != r} == {k: r for k, r in sent.items() if drawn.get(k, "new") != r}, \
                "every route that changed is in the delta"
            assert {k for k in delta.removed if k.startswith("e|")} == set(drawn) - set(now), "every edge gone is removed"
        assert len(grown) == len(changes)


# ---- the fast router agrees with the reference (tests/routing_reference.py), route for route -------------------------
def agreeing(calls):
    """A stand-in for route_edges that also asks the reference and checks the two agree exactly (types too: the
    routes go out as JSON); `calls` counts the calls and those with `previous`."""
    import json

    import routing_reference

    def both(*args, **kwargs):
        fast = route_edges(*args, **kwargs)
        slow = routing_reference.route_edges(*args, **kwargs)
        assert fast == slow
        assert json.dumps(sorted(fast.items())) == json.dumps(sorted(slow.items()))
        calls.append(kwargs.get("previous") is not None)
        return fast
    return both


@settings(max_examples=60, deadline=None)
@given(dags)
def test_the_router_agrees_with_the_reference_on_random_dags(dag):
    nodes, edges, widths = dag
    agreeing([])(layered(nodes, edges, widths=widths), edges, widths)


@settings(max_examples=40, deadline=None)
@given(groups_strategy)
def test_the_router_agrees_with_the_reference_with_compounds(case):
    nodes, edges, groups = case
    agreeing([])(layered(nodes, edges, groups), edges, groups=groups, titles={g: 60 + 40 * len(g) for g in groups})


@pytest.mark.parametrize("width", [60, 200])
def test_the_router_agrees_with_the_reference_on_wrapped_fan_outs(width):
    nodes = ["ingest", "events", *(f"c{i:02d}" for i in range(width)), "sink"]
    edges = [("ingest", "events"), *(("events", f"c{i:02d}") for i in range(width)), *((f"c{i:02d}", "sink") for i in range(0, width, 3))]
    agreeing([])(layered(nodes, edges), edges)


def agreeing_growth(view, grown):
    """A stand-in for KeptRoutes.grow that checks the routes it keeps are those the reference gives the grown view
    from scratch (its edges in the view's order, its drawn widths, the routes it had, the nodes it placed)."""
    import routing_reference

    real = KeptRoutes.grow

    def both(kept, placed, removed, added, gone, widths):
        before = dict(view._routes)
        changed = real(kept, placed, removed, added, gone, widths)
        edges = [(e["source"], e["target"]) for e in view.edges.values()]
        drawn_widths = {k: e["data"]["width"] for k, e in view.drawn.items() if e["group"] == "nodes"}
        slow = routing_reference.route_edges(view.layout, edges, drawn_widths, previous=before, placed=placed)
        assert {e: r for e, r in kept.routes.items() if r} == slow
        assert {e for e, r in slow.items() if before.get(e) != r} <= set(changed), "every route that changed is returned"
        grown.append(len(placed))
        return changed
    return both


@pytest.mark.parametrize(("workloads", "cap", "start"), [(100, 200, "/bench/l1/d50"), (300, 600, "/bench/l2/d50")])
def test_the_router_agrees_with_the_reference_on_the_benchmark_views_and_their_expands(tmp_path, monkeypatch, workloads, cap, start):
    """The widget benchmark's layered views (the bigger one crowded, and grown in place on expand, its routes kept
    between expands: view/kept_routes.py)."""
    import lineage_nb

    calls: list[bool] = []
    grown: list[int] = []
    monkeypatch.setattr(graph_view, "route_edges", agreeing(calls))
    with lineage_nb.open_store(str(tmp_path / "layered.db"), create=True) as store:
        store.ingest(layered_events(workloads))
    widget = lineage_nb.graph(start, depth=30, max_nodes=cap, store=str(tmp_path / "layered.db"))
    view = widget.view
    monkeypatch.setattr(KeptRoutes, "grow", agreeing_growth(view, grown))
    for _ in range(4):
        node = next((k for k, e in view.drawn.items() if e["group"] == "nodes" and e["data"].get("expandable")
                     and not e["data"].get("expanded") and e["data"].get("kind") != "more"), None)
        if node is None:
            break
        view.expand(node)
    assert calls[0] is False
    if cap > graph_view.RELAYOUT_LIMIT:
        assert len(grown) == 4 and sum(grown) > 0, "a big view grows in place, keeping its routes"
    else:
        assert len(calls) >= 2 and not grown


@settings(max_examples=60, deadline=None)
@given(dags, st.data())
def test_routes_kept_while_a_view_grows_are_those_the_reference_gives_from_scratch(dag, data):
    """Random DAGs grown three times as a big view grows in place: nodes removed with their edges, new nodes put
    beside a drawn one, an edge added between drawn nodes, a node made narrower (its `+` gone)."""
    import routing_reference

    nodes, edges, widths = dag
    layout = layered(nodes, edges, widths=widths)
    kept = KeptRoutes(layout, edges, widths, route_edges(layout, edges, widths))
    for step in range(3):
        removed = data.draw(st.lists(st.sampled_from(sorted(layout.cells)), max_size=2, unique=True)) if len(layout.cells) > 3 else []
        gone = [e for e in edges if e[0] in removed or e[1] in removed]
        for node in removed:
            layout.remove(node)
        edges = [e for e in edges if e not in gone]
        anchor = data.draw(st.sampled_from(sorted(layout.cells)))
        new = [f"s{step}n{i}" for i in range(data.draw(st.integers(1, 5)))]
        downstream = data.draw(st.booleans())
        changed_widths = {n: data.draw(st.sampled_from([84, 120, 170])) for n in new}
        place_beside(layout, anchor, [] if downstream else new, new if downstream else [], changed_widths)
        added = [(anchor, n) if downstream else (n, anchor) for n in new]
        a, b = data.draw(st.sampled_from(sorted(layout.cells))), data.draw(st.sampled_from(sorted(layout.cells)))
        if layout.cells[a][0] < layout.cells[b][0] and (a, b) not in edges + added:
            added.append((a, b))
        changed_widths[anchor] = min(widths.get(anchor, NODE_WIDTH), data.draw(st.sampled_from([84, 120, 170])))
        previous = {e: kept.routes.get(e) for e in edges}
        edges = edges + added
        widths = {**widths, **changed_widths}
        expected = routing_reference.route_edges(layout, edges, widths, previous=previous, placed=new)
        changed = kept.grow(new, removed, added, gone, changed_widths)
        assert {e: r for e, r in kept.routes.items() if r} == expected
        assert {e for e in edges if kept.routes.get(e) != previous.get(e, "new")} <= set(changed)
        assert kept.edges() == [e for e in edges if e in kept.routes], "ties between routes go by the view's order"
        fresh = Space(layout, widths, {}, {})
        for edge in kept.edges():
            fresh.take(polyline(layout, edge, kept.routes[edge]), *edge)
        assert {y: sorted(runs) for y, runs in kept.space.lines.items() if runs} == {y: sorted(runs) for y, runs in fresh.lines.items()}, \
            "the runs kept are those of the routes as drawn now (widths included)"


# ---- a big first view goes out straight, its routes right after (lineage_nb/notebook/widget.py) ---------------------
def front_end(snapshot, messages):
    """What a front end holds after the snapshot and these messages: edge id -> its data (deltas applied in order)."""
    edges = {e["data"]["id"]: dict(e["data"]) for e in snapshot if e["group"] == "edges"}
    for message in messages:
        if message["type"] == "replace":
            edges = {e["data"]["id"]: dict(e["data"]) for e in message["elements"] if e["group"] == "edges"}
            continue
        for data in message["updated"]:
            if data["id"] in edges:
                edges[data["id"]] = dict(data)
        for key in message["removed"]:
            edges.pop(key, None)
        edges |= {e["data"]["id"]: dict(e["data"]) for e in message["added"] if e["group"] == "edges"}
    return edges


@pytest.fixture
def layered_store(tmp_path):
    import lineage_nb

    path = str(tmp_path / "layered.db")
    with lineage_nb.open_store(path, create=True) as store:
        store.ingest(layered_events(100))
    return path


def test_a_big_first_view_goes_out_straight_and_gets_the_same_routes_right_after_it_is_shown(layered_store):
    import lineage_nb

    widget = lineage_nb.graph("/bench/l1/d50", depth=30, max_nodes=200, store=layered_store)
    view = widget.view
    assert len(view.drawing.edges) > graph_view.ROUTE_LATER
    assert not any("route" in e["data"] for e in widget.snapshot), "the first frame does not wait for the routes"
    at_once = GraphView(widget.service, widget.focus, depth=30, node_cap=200)
    inline = {e["data"]["id"]: e["data"] for e in at_once.build() if e["group"] == "edges"}
    assert sum("route" in d for d in inline.values()) > 50, "the case: many edges need a route"
    sent: list[dict] = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    assert [m["type"] for m in sent] == ["delta"] and sent[0]["routes"] is True and not sent[0]["added"]
    assert front_end(widget.snapshot, sent) == inline, "the routes that follow are those drawn at once"
    assert [e for e in view.elements()] == at_once.elements()
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    assert sent[-1]["type"] == "replace" and front_end(widget.snapshot, sent) == inline, "a second view gets them too"
    widget._on_message(widget, {"type": "ready", "revision": view.revision}, [])
    assert len(sent) == 2, "sent once"


def test_a_view_shown_again_from_the_front_end_sends_its_routes_after_its_snapshot(layered_store):
    import lineage_nb

    widget = lineage_nb.graph("/bench/l1/d50", depth=30, max_nodes=200, store=layered_store)
    sent: list[dict] = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    widget._on_message(widget, {"type": "reset"}, [])  # a new view while a front end is there
    assert sent[-1].get("routes") is True and front_end(widget.snapshot, sent[-1:]) == \
        {e["data"]["id"]: e["data"] for e in widget.view.elements() if e["group"] == "edges"}


@pytest.mark.parametrize("limit", [3, graph_view.RELAYOUT_LIMIT])
def test_an_expand_before_the_routes_went_out_brings_them(layered_store, monkeypatch, limit):
    """(The front end says it is ready before it can send a tap; a view driven from Python may not have a front end.)
    Grown in place (limit 3), the expand's delta carries the routes first; laid out again, its own."""
    import lineage_nb

    monkeypatch.setattr(graph_view, "RELAYOUT_LIMIT", limit)
    widget = lineage_nb.graph("/bench/l1/d50", depth=30, max_nodes=200, store=layered_store)
    sent: list[dict] = []
    widget.send = sent.append
    node = next(k for k, e in widget.view.drawn.items() if e["group"] == "nodes" and e["data"].get("expandable")
                and not e["data"].get("expanded") and e["data"].get("kind") != "more")
    widget._on_message(widget, {"type": "expand", "id": node}, [])
    assert [m["type"] for m in sent] == ["delta"] and not sent[0].get("routes")
    assert widget.view.route_pending().empty, "nothing left to send"
    drawn = {e["data"]["id"]: e["data"] for e in widget.view.elements() if e["group"] == "edges"}
    assert front_end(widget.snapshot, sent) == drawn and sum("route" in d for d in drawn.values()) > 50
    assert drawn_problems(widget.view) == []


def test_a_view_that_will_grow_in_place_keeps_its_routing_ready_once_its_routes_went_out(layered_store, monkeypatch):
    """The routing state an expand needs (view/kept_routes.py) is made while the front end draws the routes, and the
    expands that follow use it instead of making it again."""
    import lineage_nb

    monkeypatch.setattr(graph_view, "RELAYOUT_LIMIT", 3)
    widget = lineage_nb.graph("/bench/l1/d50", depth=30, max_nodes=200, store=layered_store)
    assert widget.view._kept is None, "nothing is made before the first frame"
    widget.send = lambda message: None
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    kept = widget.view._kept
    assert kept is not None and kept.routes == {e: r for e, r in widget.view._routes.items() if e in kept.routes}
    for _ in range(2):
        node = next(k for k, e in widget.view.drawn.items() if e["group"] == "nodes" and e["data"].get("expandable")
                    and not e["data"].get("expanded") and e["data"].get("kind") != "more")
        widget._on_message(widget, {"type": "expand", "id": node}, [])
        assert widget.view._kept is kept
    assert drawn_problems(widget.view) == []
