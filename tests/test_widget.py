"""The graph widget's kernel side: layout, deltas, panels, the HTML export and the committed bundle."""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from widget_data import XSS_NAME, chain_events, fanout_events, notebook_graph

from lineage_nb.notebook.graph import graph_widget
from lineage_nb.notebook.widget import BUNDLE, LineageWidget
from lineage_nb.query import sql as queries
from lineage_nb.view import graph_view, labels
from lineage_nb.view.drawing import draw
from lineage_nb.view.export import export_html
from lineage_nb.view.graph_view import GraphView
from lineage_nb.view.layout import COLUMN_WIDTH, NODE_HEIGHT, NODE_WIDTH, ROW_HEIGHT, VIEW_HEIGHT, VIEW_WIDTH, layered

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"


def source_hash() -> str:
    files = sorted(["package.json", "widget.js", *(f"src/{p.name}" for p in (JS / "src").iterdir())])
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (JS / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_committed_bundle_is_built_from_the_current_js_sources():
    header = BUNDLE.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(source_hash()), "lineage_nb/view/static/widget.js is stale: run `make js` and commit it"


def test_bundle_is_lean_cytoscape_only():
    text = BUNDLE.read_text(encoding="utf-8")
    assert len(text) < 600_000
    assert "dagre" not in text
    for source in [JS / "widget.js", *(JS / "src").glob("*.js")]:
        assert "innerHTML" not in source.read_text()


def test_front_end_unit_tests_pass():
    """js/test/*.test.mjs: the protocol, deltas, viewport, tables and the export's snapshot model, in Node
    (jsdom and headless cytoscape, against a fake anywidget model)."""
    node = shutil.which("node")
    assert node, "Node.js runs the widget's JS tests: install nodejs (`make js` needs it too)"
    if not (JS / "node_modules" / "jsdom").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True, timeout=600)
    done = subprocess.run(["npm", "test", "--silent"], cwd=JS, capture_output=True, text=True, timeout=300)  # js/package.json
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", done.stdout, re.M) and re.search(r"^# fail 0$", done.stdout, re.M)


@pytest.fixture
def chain_store(store_path):
    import lineage_nb

    with lineage_nb.open_store(str(store_path), create=True) as store:
        report = store.ingest(chain_events())
        assert not report.rejected
        yield store


@pytest.fixture
def chain(chain_store):
    """The same store, as the QueryService the widget speaks to."""
    from lineage_nb.query.local import LocalQueryService

    return LocalQueryService(chain_store)


def node_of(view: GraphView, name: str) -> str:
    return next(n for n, v in view.nodes.items() if v.get("name") == name)


# ---- layout ----------------------------------------------------------------------------------------
dags = st.integers(2, 40).flatmap(
    lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n).map(
        lambda pairs: (n, [(f"n{a}", f"n{b}") for a, b in pairs if a < b])
    )
)


def assert_drawable(layout, nodes, edges, widths=None):
    """Every node placed, no two overlapping, every edge but the marked back edges pointing right."""
    widths = widths or {}
    position = {n: layout.position(n) for n in nodes}
    assert set(layout.cells) >= set(nodes)
    boxes = sorted((p["x"] - widths.get(n, NODE_WIDTH) / 2, p["x"] + widths.get(n, NODE_WIDTH) / 2, p["y"], n) for n, p in position.items())
    for i, (_left, right, y, node) in enumerate(boxes):
        for other_left, _, other_y, other in boxes[i + 1 :]:
            if other_left >= right:
                break
            assert abs(other_y - y) >= NODE_HEIGHT, f"{node} overlaps {other}"
    for s, t in edges:
        if (s, t) not in layout.back_edges:
            assert position[s]["x"] < position[t]["x"], (s, t)


@settings(max_examples=60, deadline=None)
@given(dags)
def test_every_edge_of_a_dag_points_right_and_no_nodes_overlap(dag):
    count, edges = dag
    nodes = [f"n{i}" for i in range(count)]
    layout = layered(nodes, edges)
    assert layout.back_edges == set()
    assert_drawable(layout, nodes, edges)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), min_size=1, max_size=60))
def test_cycles_are_broken_by_back_edges_only(count, pairs):
    nodes = [f"n{i}" for i in range(count)]
    edges = [(f"n{a % count}", f"n{b % count}") for a, b in pairs if a % count != b % count]
    layout = layered(nodes, edges)
    assert_drawable(layout, nodes, edges)
    assert layout.back_edges <= set(edges)


def test_a_cycle_is_drawn_with_one_back_edge():
    layout = layered(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert len(layout.back_edges) == 1


def crossings(grid, edges):
    count = 0
    for i, (s1, t1) in enumerate(edges):
        for s2, t2 in edges[i + 1 :]:
            a, b = grid.cells[s1][1] - grid.cells[s2][1], grid.cells[t1][1] - grid.cells[t2][1]
            count += a * b < 0
    return count


def test_crossing_reduction_untangles_a_twisted_bipartite_graph():
    edges = [(f"s{i}", f"t{9 - i}") for i in range(10)]
    nodes = [f"s{i}" for i in range(10)] + [f"t{i}" for i in range(10)]
    assert crossings(layered(nodes, edges), edges) == 0


def test_a_source_sits_next_to_the_node_it_feeds():
    edges = [("raw", "a"), ("a", "b"), ("b", "c"), ("model", "c")]
    layout = layered(["raw", "a", "b", "c", "model"], edges)
    assert layout.position("model")["x"] == layout.position("b")["x"], "not far left, four columns away from its reader"


@pytest.mark.parametrize("width", [60, 500])
def test_a_wide_fan_out_wraps_into_columns_that_fit_the_view_at_a_readable_zoom(width):
    nodes = ["source", "hub", *(f"c{i}" for i in range(width))]
    edges = [("source", "hub"), *(("hub", f"c{i}") for i in range(width))]
    layout = layered(nodes, edges)
    assert_drawable(layout, nodes, edges)
    xs = [layout.position(n)["x"] for n in nodes]
    ys = [layout.position(n)["y"] for n in nodes]
    zoom = min(VIEW_WIDTH / (max(xs) - min(xs) + NODE_WIDTH), VIEW_HEIGHT / (max(ys) - min(ys) + NODE_HEIGHT))
    assert COLUMN_WIDTH > NODE_WIDTH
    if width == 60:
        assert zoom >= 0.5, f"60 nodes fit the view at zoom {zoom:.2f}"
    else:
        assert layout.wrap_rows < width and zoom > 0.2
    rows_per_column = {}
    for n in nodes:
        rows_per_column[layout.cells[n][0]] = rows_per_column.get(layout.cells[n][0], 0) + 1
    assert max(rows_per_column.values()) <= layout.wrap_rows


groups_strategy = st.integers(4, 24).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),  # which compound a node is in (0 = none)
    )
)


@settings(max_examples=60, deadline=None)
@given(groups_strategy)
def test_compound_steps_share_a_band_that_holds_nothing_else(case):
    count, pairs, membership = case
    nodes = [f"n{i}" for i in range(count)]
    edges = [(f"n{a}", f"n{b}") for a, b in pairs if a < b]
    groups = {f"g{g}": [f"n{i}" for i in range(count) if membership[i] == g] for g in (1, 2)}
    groups = {g: members for g, members in groups.items() if members}
    layout = layered(nodes, edges, groups)
    assert_drawable(layout, nodes, edges)
    for members in groups.values():
        xs = [layout.position(m)["x"] for m in members]
        ys = [layout.position(m)["y"] for m in members]
        # the compound's box (cytoscape draws it round its steps, with padding and a title row above)
        left, right = min(xs) - NODE_WIDTH / 2, max(xs) + NODE_WIDTH / 2
        top, bottom = min(ys) - ROW_HEIGHT, max(ys) + NODE_HEIGHT / 2
        for other in set(nodes) - set(members):
            p = layout.position(other)
            inside_x = left < p["x"] + NODE_WIDTH / 2 and p["x"] - NODE_WIDTH / 2 < right
            inside_y = top < p["y"] + NODE_HEIGHT / 2 and p["y"] - NODE_HEIGHT / 2 < bottom
            assert not (inside_x and inside_y), f"{other} is drawn inside the box of {members}"


# ---- drawing compounds ------------------------------------------------------------------------------
def test_a_workload_with_several_steps_in_view_is_a_compound_and_one_step_stands_alone():
    view = GraphView(None, ["a4"], depth=3)
    elements = {e["data"]["id"]: e for e in view.build(notebook_graph())}
    assert elements["w1"]["data"]["compound"] and "position" not in elements["w1"]
    assert {i for i, e in elements.items() if e["data"].get("parent") == "w1"} == {"s2", "s3", "s4"}
    assert "w2" not in elements, "a workload with one step in view is drawn as that step"
    assert elements["l42"]["data"]["caption"] == "report.py\nreport.py:42"
    assert elements["s2"]["data"]["caption"].startswith("[2] features.write_par")
    evidence = {i: e["data"]["evidence"] for i, e in elements.items() if e["group"] == "edges"}
    assert evidence["e|a3|s4"] == "inferred" and evidence["e|l42|a5"] == "column_lineage" and evidence["e|a1|s2"] == "direct"
    assert_drawable(view.layout, drawn_nodes(view), drawn_edges(view), drawn_widths(view))


def test_a_collapsed_compound_keeps_outputs_and_only_the_inputs_that_reach_all_of_them():
    view = GraphView(None, ["a4"], depth=3)
    view.build(notebook_graph())
    delta = view.toggle_steps("w1")
    edges = {(e["data"]["source"], e["data"]["target"]) for e in view.elements() if e["group"] == "edges"}
    assert {("w1", "a2"), ("w1", "a3"), ("w1", "a4")} <= edges, "every output stays"
    assert ("a1", "w1") in edges, "raw.csv reaches features, the model and the predictions through the cells"
    assert ("a2", "w1") not in edges and ("a3", "w1") not in edges, "features -> notebook -> features would be a false path"
    assert {"s2", "s3", "s4"} <= set(delta.removed) and delta.reveal == ["w1"]
    w1 = next(d for d in delta.updated if d["id"] == "w1")
    assert w1["collapsed"] and w1["caption"] == "quickstart.ipynb\n3 cells hidden"
    assert any(m["id"] == "w1" for m in delta.moved), "a collapsed compound gets a place of its own"
    again = view.toggle_steps("w1")
    assert {e["data"]["id"] for e in again.added if e["group"] == "nodes"} == {"s2", "s3", "s4"}
    assert set(again.reveal) == {"s2", "s3", "s4"}


def test_drawing_merges_parallel_edges_keeping_the_strongest_evidence():
    nodes = {"a": {"kind": "dataset"}, "w": {"kind": "workload", "compound": True}, "s1": {"kind": "workload", "parent": "w"},
             "s2": {"kind": "workload", "parent": "w"}, "b": {"kind": "dataset"}}
    edges = [{"source": "s1", "target": "b", "evidence": "inferred"}, {"source": "s2", "target": "b", "evidence": "direct"},
             {"source": "a", "target": "s1", "evidence": "direct"}, {"source": "a", "target": "s2", "evidence": "direct"}]
    drawing = draw(nodes, edges, collapsed={"w"})
    assert drawing.edges == {("w", "b"): "direct", ("a", "w"): "direct"}


# ---- view deltas ----------------------------------------------------------------------------------
def drawn_edges(view):
    return [(e["data"]["source"], e["data"]["target"]) for e in view.elements() if e["group"] == "edges"]


def drawn_nodes(view):
    return [e["data"]["id"] for e in view.elements() if "position" in e]


def drawn_widths(view):
    return {e["data"]["id"]: e["data"]["width"] for e in view.elements() if "position" in e}


def test_default_view_is_the_artifact_with_its_producers_and_consumers(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    kinds = {v["name"]: v["kind"] for v in view.nodes.values()}
    assert kinds["prepare"] == kinds["train"] == "workload"
    assert any(v["kind"] == "more" for v in view.nodes.values()), "30 consumers > fan-out: a '+N more' node"
    x = {n: view.layout.position(n)["x"] for n in view.nodes}
    assert x[node_of(view, "prepare")] < x[focus] < x[node_of(view, "train")], "edges point the way data flows"
    assert_drawable(view.layout, drawn_nodes(view), drawn_edges(view), drawn_widths(view))


def test_expanding_a_small_view_lays_it_out_again_with_every_edge_pointing_right(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    train = node_of(view, "train")
    assert view.nodes[train]["expandable"]
    assert next(e for e in view.elements() if e["data"]["id"] == train)["data"]["caption"] == "+ train"
    delta = view.expand(train)
    added = [e["data"]["id"] for e in delta.added if e["group"] == "nodes"]
    assert [view.nodes[n]["name"] for n in added] == ["/data/model"]
    assert delta.reveal == [train, added[0]], "the front end brings the new node (and its anchor) into view"
    assert view.layout.position(added[0])["x"] > view.layout.position(train)["x"]
    updated = next(d for d in delta.updated if d["id"] == train)
    assert updated["expanded"] and updated["caption"] == "train", "an expanded node loses its +"
    assert_drawable(view.layout, drawn_nodes(view), drawn_edges(view), drawn_widths(view))


def test_a_big_view_grows_in_place_and_moves_nothing(chain_store, chain, monkeypatch):
    monkeypatch.setattr(graph_view, "RELAYOUT_LIMIT", 3)
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    before = {n: view.layout.position(n) for n in drawn_nodes(view)}
    train = node_of(view, "train")
    delta = view.expand(train)
    assert delta.moved == [] and {n: view.layout.position(n) for n in before} == before
    model = node_of(view, "/data/model")
    assert view.layout.position(model)["x"] > view.layout.position(train)["x"]
    assert_drawable(view.layout, drawn_nodes(view), [], drawn_widths(view))


def assert_drawn_is_current(view):
    """What the front end has is what the view would derive now: no stale caption, `+` or edge."""
    for node, element in view.drawn.items():
        if element["group"] == "nodes" and "position" in element:
            assert element["data"] == view._node_data(node), node
    assert {k for k, e in view.drawn.items() if e["group"] == "edges"} == set(view.edges)


def test_a_big_view_redescribes_every_node_a_change_touched(chain_store, chain, monkeypatch):
    monkeypatch.setattr(graph_view, "RELAYOUT_LIMIT", 3)
    model = queries.resolve_artifact(chain_store, "/data/model")["id"]
    view = GraphView(chain, [model])
    view.build()
    steps = [
        lambda: view.expand(node_of(view, "score")),
        lambda: view.expand(node_of(view, "/data/features.parquet")),  # draws features -> train: train loses its +
        lambda: view.expand(next(n for n, v in view.nodes.items() if v["kind"] == "more")),
        lambda: view.collapse(node_of(view, "/data/features.parquet")),
        lambda: view.expand_all(),
    ]
    for step in steps:
        delta = step()
        assert delta.moved == []
        assert_drawn_is_current(view)
    assert_drawable(view.layout, drawn_nodes(view), [], drawn_widths(view))


def test_collapse_removes_what_expanding_brought_and_expanding_again_works(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    train = node_of(view, "train")
    first = view.expand(train)
    model = node_of(view, "/data/model")
    view.expand(model)  # brings in "score"'s other input and output
    collapsed = view.collapse(train)
    assert model in collapsed.removed and node_of_absent(view, "/data/model")
    assert not next(d for d in collapsed.updated if d["id"] == train)["expanded"]
    again = view.expand(train)
    assert {e["data"]["id"] for e in again.added} == {e["data"]["id"] for e in first.added}


def node_of_absent(view, name):
    return all(v.get("name") != name for v in view.nodes.values())


def test_paging_a_more_node_replaces_it_with_the_next_page_and_reveals_it(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    more = next(n for n, v in view.nodes.items() if v["kind"] == "more")
    shown = sum(1 for v in view.nodes.values() if v.get("name", "").startswith("report_"))
    delta = view.expand(more)
    assert more in delta.removed
    now = sum(1 for v in view.nodes.values() if v.get("name", "").startswith("report_"))
    assert now == 30 and shown < 30
    assert len(delta.reveal) == 1 + 30 - shown, "the parent and every node of the page"


def test_a_small_remainder_is_shown_at_once_instead_of_a_plus_one_more_node(store_path):
    import lineage_nb
    from lineage_nb.query.local import LocalQueryService

    with lineage_nb.open_store(str(store_path), create=True) as store:
        store.ingest(fanout_events(27))  # 25 on the first page, 2 left over
        view = GraphView(LocalQueryService(store), [queries.resolve_artifact(store, "/fan/events.parquet")["id"]])
        view.build()
        assert not any(v["kind"] == "more" for v in view.nodes.values())
        assert sum(1 for v in view.nodes.values() if v["name"].startswith("consumer_")) == 27


def test_plus_is_only_where_the_current_direction_has_more(chain_store, chain):
    features = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    up = GraphView(chain, [features], direction="up")
    up.build()
    caption = {v["data"]["id"]: v["data"]["caption"] for v in up.elements() if v["group"] == "nodes"}
    assert caption[features] == "features.parquet", "32 consumers downstream, but this view looks upstream"
    assert caption[node_of(up, "prepare")] == "+ prepare", "prepare read raw.csv, not shown yet"
    assert not up.can_expand(features)
    assert up.expand(features).note == "nothing more upstream of features.parquet"


def test_a_plus_goes_once_another_expansion_showed_what_it_promised(chain_store, chain):
    model = queries.resolve_artifact(chain_store, "/data/model")["id"]
    view = GraphView(chain, [model])
    view.build()
    train, score = node_of(view, "train"), node_of(view, "score")
    assert view.can_expand(train), "train read features, not shown yet"
    view.expand(score)  # brings features in, but not the features -> train edge
    assert view.can_expand(train)
    delta = view.expand(node_of(view, "/data/features.parquet"))  # now the edge features -> train is drawn
    assert not view.can_expand(train)
    assert next(d for d in delta.updated if d["id"] == train)["caption"] == "train"
    assert view.expand(train).note.startswith("nothing more")


def test_expand_all_expands_every_plus_once_and_says_when_nothing_is_left(chain_store, chain):
    scores = queries.resolve_artifact(chain_store, "/data/scores.parquet")["id"]
    view = GraphView(chain, [scores], direction="up")
    view.build()
    delta = view.expand_all()
    assert {view.nodes[n]["name"] for n in delta.reveal} >= {"/data/model", "/data/features.parquet"}
    assert_drawable(view.layout, drawn_nodes(view), drawn_edges(view), drawn_widths(view))
    for _ in range(6):
        last = view.expand_all()
    assert last.empty and last.note == "nothing left to expand upstream"


def test_models_are_labelled_by_registered_name_or_run_and_flavour():
    assert labels.model_name({"registeredModelName": "churn", "registeredModelVersion": "3", "flavors": ["sklearn"]}) == "churn v3"
    assert labels.model_name({"runId": "1a2b3c4d5e6f", "flavors": ["python_function", "sklearn"]}) == "sklearn · run 1a2b3c4d"
    assert labels.model_name({"runName": "bold-fox-7", "flavors": ["pytorch"]}) == "pytorch · bold-fox-7"
    assert labels.shorten("/a/very/long/path/to/the/final_dataset.parquet") == "/a/very/l…aset.parquet"


# ---- the anywidget model --------------------------------------------------------------------------
def test_widget_answers_intents_with_deltas_and_panels(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain)
    sent = []
    widget.send = sent.append  # observe what goes to the front end
    start = widget.node_count
    train = next(e["data"]["id"] for e in widget.snapshot if e["data"].get("name") == "train")
    widget._on_message(widget, {"type": "expand", "id": train}, [])
    assert sent[-1]["type"] == "delta" and widget.node_count == start + 1
    assert all("position" in e for e in sent[-1]["added"] if e["group"] == "nodes")
    widget._on_message(widget, {"type": "select", "id": train}, [])
    assert widget.panel["kind"] == "workload" and widget.panel["data"]["downstream_count"] == 1
    features = widget.focus[0]
    widget._on_message(widget, {"type": "select", "id": features}, [])
    data = widget.panel["data"]
    assert data["written_by"]["cell_source"] == "ds.write_parquet('/data/features.parquet')"
    assert [w["name"] for w in data["upstream"]] == ["prepare"]
    trainer = next(w["id"] for w in data["downstream"] if w["name"] == "train")
    widget._on_message(widget, {"type": "navigate", "id": trainer}, [])
    assert widget.focus == [trainer] and widget.panel["kind"] == "workload"
    widget._on_message(widget, {"type": "navigate", "id": "a999"}, [])  # unknown ids are ignored
    assert widget.focus == [trainer]
    widget._on_message(widget, {"type": "reset"}, [])
    assert widget.focus == [features]
    widget._on_message(widget, {"type": "options", "depth": 11, "direction": "both"}, [])
    assert "depth" in widget.message


def test_ready_from_a_second_view_after_deltas_gets_the_current_elements(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain)
    sent = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "expand_all"}, [])
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    assert sent[-1]["type"] == "replace" and len([e for e in sent[-1]["elements"] if "position" in e]) == widget.node_count


def id_named(widget, name):
    return next(n for n, v in widget.view.nodes.items() if v.get("name") == name)


def test_the_panel_closes_when_its_node_leaves_the_view(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain)
    widget.send = lambda _msg: None
    train = id_named(widget, "train")
    widget._on_message(widget, {"type": "expand", "id": train}, [])
    model = id_named(widget, "/data/model")
    widget._on_message(widget, {"type": "select", "id": model}, [])
    assert widget.selected == model and widget.panel["kind"] == "artifact"
    widget._on_message(widget, {"type": "collapse", "id": train}, [])
    assert widget.selected == "" and widget.panel == {}, "the model left the view with its panel"
    widget._on_message(widget, {"type": "select", "id": train}, [])
    widget._on_message(widget, {"type": "options", "depth": 1, "direction": "up"}, [])
    assert widget.selected == "" and widget.panel == {}, "train is downstream: not drawn when looking upstream"
    prepare = id_named(widget, "prepare")
    widget._on_message(widget, {"type": "select", "id": prepare}, [])
    widget._on_message(widget, {"type": "select", "id": ""}, [])
    assert widget.panel == {}, "the panel's close button"


def test_every_click_that_changes_nothing_says_why(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain, direction="up")
    sent = []
    widget.send = sent.append
    features = widget.focus[0]
    widget._on_message(widget, {"type": "expand", "id": features}, [])
    assert widget.message == "nothing more upstream of features.parquet" and sent == []
    widget._on_message(widget, {"type": "collapse", "id": features}, [])
    assert "nothing expanded" in widget.message
    widget._on_message(widget, {"type": "expand_all"}, [])
    widget._on_message(widget, {"type": "expand_all"}, [])
    assert widget.message == "nothing left to expand upstream"
    widget._on_message(widget, {"type": "search", "text": "no-such-thing"}, [])
    assert "nothing named like 'no-such-thing'" in widget.message
    widget._on_message(widget, {"type": "search", "text": "report_07"}, [])
    assert widget.view.nodes[widget.focus[0]]["name"] == "/data/report_07.csv" and "its own graph" in widget.message


def test_a_graph_opened_from_a_table_links_back_to_it(chain_store, chain):
    widget = LineageWidget(chain)
    widget.show_table("Datasets", queries.list_artifacts(chain_store, "dataset"), ["name"], {"kind": "dataset"})
    row = widget.table["rows"][0]
    widget._on_message(widget, {"type": "navigate", "id": row["id"]}, [])
    assert widget.mode == "graph" and widget.back == "Datasets"
    widget._on_message(widget, {"type": "back"}, [])
    assert widget.mode == "table" and widget.back == ""


def test_table_filter_requeries_the_store(chain_store, chain):
    widget = LineageWidget(chain)
    widget.show_table("Datasets", queries.list_artifacts(chain_store, "dataset"), ["name"], {"kind": "dataset"})
    widget._on_message(widget, {"type": "filter", "search": "report_0", "created_by": ""}, [])
    assert {r["name"] for r in widget.table["rows"]} == {f"/data/report_0{i}.csv" for i in range(10)}
    widget._on_message(widget, {"type": "filter", "search": "", "project": "churn"}, [])
    assert {r["name"] for r in widget.table["rows"]} == {"/data/features.parquet", "/data/scores.parquet"}


@pytest.mark.parametrize("store_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_lists_filter_by_project_and_workloads_tell_owner_project_and_io(store_url):
    import lineage_nb

    with lineage_nb.open_store(store_url, create=True) as store:
        assert not store.ingest(chain_events()).rejected
        churn = queries.list_workloads(store, project="churn")
        assert [w["name"] for w in churn] == ["score", "train", "prepare"]
        assert {k: churn[0][k] for k in ("kind", "owner", "project", "reads", "writes")} == {
            "kind": "workload", "owner": "churn-team@example.com", "project": "churn", "reads": 2, "writes": 1}
        assert len(queries.list_workloads(store, project="reporting", limit=100)) == 30
        assert queries.list_workloads(store, project="nope") == []
        models = queries.list_artifacts(store, "model", project="churn")
        assert [m["name"] for m in models] == ["/data/model"] and models[0]["properties"] == {}
        assert len(queries.list_artifacts(store, "dataset", project="reporting", limit=100)) == 30


def test_widget_state_stays_small_after_many_expansions(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain)
    widget.send = lambda _msg: None
    size = len(json.dumps(widget.get_state(), default=str))
    for _ in range(50):
        train = next(n for n, v in widget.view.nodes.items() if v.get("name") == "train")
        widget._on_message(widget, {"type": "expand", "id": train}, [])
        widget._on_message(widget, {"type": "collapse", "id": train}, [])
    assert len(json.dumps(widget.get_state(), default=str)) <= size + 200


# ---- HTML export ----------------------------------------------------------------------------------
def test_export_is_self_contained_and_escapes_data(chain_store, tmp_path):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    prepare = queries.graph(chain_store, [focus], depth=2)
    out = export_html(prepare, tmp_path / "graph.html")
    page = out.read_text(encoding="utf-8")
    assert XSS_NAME not in page and "<img" not in page
    assert "http://" not in page.split('const bundle = "')[0] and "src=\"http" not in page
    state = json.loads(re.search(r'<script type="application/json" id="lineage-state">(.*?)</script>', page, re.S).group(1))
    names = {e["data"].get("name") for e in state["snapshot"]}
    assert f"/data/{XSS_NAME}" in names
    assert html.escape("Lineage of /data/features.parquet") in page


def exported_state(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="lineage-state">(.*?)</script>', page, re.S).group(1))


def test_export_carries_every_panel_and_the_depth_and_direction_it_was_made_with(chain_store, chain, tmp_path):
    focus = queries.resolve_artifact(chain_store, "/data/scores.parquet")["id"]
    data = chain.graph([focus], depth=3, direction="up")
    state = exported_state(export_html(data, tmp_path / "graph.html", depth=3, direction="up", service=chain).read_text(encoding="utf-8"))
    assert state["depth"] == 3 and state["direction"] == "up" and state["exported"] == {"depth": 3, "direction": "up"}
    drawn = {e["data"]["id"]: e["data"] for e in state["snapshot"] if "position" in e}
    assert set(state["panels"]) == set(drawn), "every node's panel works offline"
    prepare = next(i for i, d in drawn.items() if d["name"] == "prepare")
    assert state["panels"][prepare]["kind"] == "workload" and state["panels"][prepare]["data"]["downstream_count"] == 1
    assert state["panels"][focus]["data"]["upstream"][0]["name"] == "score"
