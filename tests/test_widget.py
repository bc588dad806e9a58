"""The graph widget's kernel side: layout, deltas, panels, the HTML export and the committed bundle."""
from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from widget_data import XSS_NAME, chain_events

from lineage_nb.notebook.graph import graph_widget
from lineage_nb.notebook.widget import BUNDLE, LineageWidget
from lineage_nb.query import sql as queries
from lineage_nb.view.export import export_html
from lineage_nb.view.graph_view import GraphView
from lineage_nb.view.layout import layered, ranks

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


# ---- layout ---------------------------------------------------------------------------------------
dags = st.integers(2, 40).flatmap(
    lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n).map(
        lambda pairs: (n, [(f"n{a}", f"n{b}") for a, b in pairs if a < b])
    )
)


@settings(max_examples=60, deadline=None)
@given(dags)
def test_layers_follow_data_flow_and_never_share_a_cell(dag):
    count, edges = dag
    nodes = [f"n{i}" for i in range(count)]
    rank = ranks(nodes, edges)
    assert all(rank[s] < rank[t] for s, t in edges)
    grid = layered(nodes, edges)
    assert len(set(grid.cells.values())) == count
    assert all(grid.cells[n][0] == rank[n] for n in nodes)


def test_cycles_are_laid_out_without_hanging():
    rank = ranks(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert sorted(rank.values()) == [0, 1, 2]


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


# ---- view deltas ----------------------------------------------------------------------------------
def test_default_view_is_the_artifact_with_its_producers_and_consumers(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    kinds = {v["name"]: v["kind"] for v in view.nodes.values()}
    assert kinds["prepare"] == kinds["train"] == "workload"
    assert any(v["kind"] == "more" for v in view.nodes.values()), "30 consumers > fan-out: a '+N more' node"
    x = {n: view.grid.position(n)["x"] for n in view.nodes}
    assert x[node_of(view, "prepare")] < x[focus] < x[node_of(view, "train")], "edges point the way data flows"


def test_expand_places_new_nodes_beside_the_anchor_and_moves_nothing(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    before = {n: view.grid.position(n) for n in view.nodes}
    train = node_of(view, "train")
    assert view.nodes[train]["expandable"]
    assert view.elements()[list(view.nodes).index(train)]["data"]["caption"] == "+ train"
    delta = view.expand(train)
    added = [e["data"]["id"] for e in delta.added if e["group"] == "nodes"]
    assert [view.nodes[n]["name"] for n in added] == ["/data/model"]
    assert {n: view.grid.position(n) for n in before} == before
    assert view.grid.cells[added[0]][0] == view.grid.cells[train][0] + 1
    assert delta.updated[0]["id"] == train and delta.updated[0]["expanded"]
    assert delta.updated[0]["caption"] == "train", "an expanded node loses its +"
    assert len(set(view.grid.cells.values())) == len(view.nodes)


def test_collapse_removes_what_expanding_brought_and_expanding_again_works(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    train = node_of(view, "train")
    first = view.expand(train)
    model = node_of(view, "/data/model")
    view.expand(model)  # brings in "score"
    collapsed = view.collapse(train)
    assert model in collapsed.removed and node_of_absent(view, "/data/model")
    assert not collapsed.updated[0]["expanded"]
    again = view.expand(train)
    assert [e["data"]["id"] for e in again.added] == [e["data"]["id"] for e in first.added]


def node_of_absent(view, name):
    return all(v.get("name") != name for v in view.nodes.values())


def test_paging_a_more_node_replaces_it_with_the_next_page(chain_store, chain):
    focus = queries.resolve_artifact(chain_store, "/data/features.parquet")["id"]
    view = GraphView(chain, [focus])
    view.build()
    more = next(n for n, v in view.nodes.items() if v["kind"] == "more")
    shown = sum(1 for v in view.nodes.values() if v.get("name", "").startswith("report_"))
    delta = view.expand(more)
    assert more in delta.removed
    now = sum(1 for v in view.nodes.values() if v.get("name", "").startswith("report_"))
    assert now == 30 and shown < 30


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
    widget._on_message(widget, {"type": "options", "depth": 9, "direction": "both"}, [])
    assert "depth" in widget.message


def test_ready_from_a_second_view_after_deltas_gets_the_current_elements(chain_store, chain):
    widget = graph_widget("/data/features.parquet", store=chain)
    sent = []
    widget.send = sent.append
    widget._on_message(widget, {"type": "expand_all"}, [])
    widget._on_message(widget, {"type": "ready", "revision": widget.revision}, [])
    assert sent[-1]["type"] == "replace" and len([e for e in sent[-1]["elements"] if e["group"] == "nodes"]) == widget.node_count


def test_table_filter_requeries_the_store(chain_store, chain):
    widget = LineageWidget(chain)
    widget.show_table("Datasets", queries.list_artifacts(chain_store, "dataset"), ["name"], {"kind": "dataset"})
    widget._on_message(widget, {"type": "filter", "search": "report_0", "created_by": ""}, [])
    assert {r["name"] for r in widget.table["rows"]} == {f"/data/report_0{i}.csv" for i in range(10)}


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
