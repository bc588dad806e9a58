"""The widget in real JupyterLab and Notebook 7, driven by Playwright in Debian's headless Chromium.

The acceptance measurements (`readability_problems`): every node inside the graph area beside the open
panel, zoom at least 0.5, no overlapping nodes, every edge left to right, every caption inside its node;
and after an expand, a page of "+N more" and "Expand all", the new nodes in view. Measured for the
quickstart-like chain (prepare -> features -> train -> model -> score, with 30 reports) and for a DAG
with a 60-way fan-out, in both front ends.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from browser_support import (
    CY,
    chromium,
    click_node,
    edge_problems,
    geometry,
    graph_js,
    jupyter_server,
    node_ids,
    open_notebook,
    readability_problems,
    run_all_cells,
    settle,
    wait_for_graph,
    wait_for_more_nodes,
    write_notebook,
)
from widget_data import XSS_NAME, chain_events, fanout_events

import lineage_nb

pytestmark = pytest.mark.browser
# Screenshots go outside the checkout (tests never modify tracked files); `make screenshot` copies the README's.
ARTIFACTS = Path(os.environ.get("LINEAGE_NB_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "lineage_nb_screenshots")
ARTIFACTS.mkdir(parents=True, exist_ok=True)
TESTS = Path(__file__).resolve().parent
CHAIN = ["%load_ext lineage_nb", "import lineage_nb\nw = lineage_nb.graph('/data/features.parquet')\nw"]
COMPOUND = [
    "%load_ext lineage_nb",
    f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nfrom widget_data import notebook_graph\n"
    "from lineage_nb.notebook.widget import LineageWidget\nfrom lineage_nb.query.service import open_service\n"
    "w = LineageWidget(open_service())\nw.show_graph(['a4'], depth=3, data=notebook_graph())\nw",
]
TABLE = ["%load_ext lineage_nb", "%lineage datasets --project churn"]
TWO = ["%load_ext lineage_nb", "%lineage /data/features.parquet", "%lineage /data/model --depth 2"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    with lineage_nb.open_store(str(root / "lineage.db"), create=True) as store:
        assert not store.ingest(chain_events()).rejected
    with lineage_nb.open_store(str(root / "fan.db"), create=True) as store:
        assert not store.ingest(fanout_events(60)).rejected
    fan = ["%load_ext lineage_nb", f"import lineage_nb\nw = lineage_nb.graph('/fan/events.parquet', store={str(root / 'fan.db')!r})\nw"]
    for name, cells in (("chain", CHAIN), ("fan", fan), ("compound", COMPOUND), ("table", TABLE), ("two", TWO)):
        write_notebook(root / f"{name}.ipynb", cells)
        write_notebook(root / f"{name}7.ipynb", cells)
    with jupyter_server(root, {"LINEAGE_NB_STORE": str(root / "lineage.db")}) as server, chromium(root / "profile") as browser:
        yield server, browser, root


def opened(lab, name: str, ui: str = "lab"):
    server, browser, _root = lab
    page = open_notebook(browser, server, f"{name}{'7' if ui == 'notebook' else ''}.ipynb", ui=ui)
    run_all_cells(page)
    return page


def panel_title(page) -> str:
    return page.locator(".lnb-panel h3").inner_text()


def node_names(page) -> set[str]:
    return set(page.evaluate(f"({CY}).nodes().map(n => n.data('name') || n.data('label'))"))


def assert_readable(page, must_see: set[str] | None = None, shot: str | None = None) -> dict:
    g = geometry(page)
    if shot:
        page.mouse.move(1, 1)  # no hover highlight in the picture
        page.locator(".lnb-root").first.screenshot(path=ARTIFACTS / shot)
    problems = readability_problems(g, must_see)
    assert problems == [], problems[:10]
    return g


def wait_for_panel(page, text: str) -> None:
    page.wait_for_function(f"document.querySelector('.lnb-panel h3')?.textContent.includes({json.dumps(text)})")
    # the view makes room beside a panel that opened, once a double click could be over
    page.wait_for_function("!document.querySelector('.lnb-graph[data-pending]')")


def overlapping_labels(page) -> list[str]:
    """Labels in the panel's field list whose text reaches into their value."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.lnb-panel .lnb-facts dt')].filter((dt) => {
            const text = document.createRange();
            text.selectNodeContents(dt);
            return text.getBoundingClientRect().right > dt.nextElementSibling.getBoundingClientRect().left;
        }).map((dt) => dt.textContent)"""
    )


def expand_and_check(page, action, shot: str, panel: str | None = None) -> dict:
    """Run `action` (a click that adds nodes, and opens the `panel` of that title); the new nodes must
    be in view at a readable zoom. Returns the figures: nodes before and after, zoom, and whether the
    whole graph is in view."""
    before = node_ids(page)
    action()
    wait_for_more_nodes(page, len(before))
    if panel:
        wait_for_panel(page, panel)
    settle(page)
    new = node_ids(page) - before
    g = assert_readable(page, must_see=new, shot=shot)
    whole = readability_problems(g) == []
    return {"before": len(before), "after": len(g["nodes"]), "zoom": round(g["zoom"], 2), "all_in_view": whole}


# ---- acceptance: the chain and the 60-way fan-out, in JupyterLab and Notebook 7 ---------------------------
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_the_chain_stays_readable_through_expand_paging_and_expand_all(lab, ui):
    page = opened(lab, "chain", ui)
    wait_for_graph(page)
    assert_readable(page, shot=f"{ui}-chain-01-first.png")
    # a `+` node: a click expands it, and its panel opens
    figures = {"expand": expand_and_check(page, lambda: click_node(page, "train"), f"{ui}-chain-02-expanded.png", panel="train")}
    assert "/data/model" in node_names(page)
    assert_readable(page, shot=f"{ui}-chain-02-panel.png")  # everything, beside the open panel
    figures["page"] = expand_and_check(page, lambda: click_node(page, "+7 more"), f"{ui}-chain-03-paged.png")
    assert "+7 more" not in node_names(page) and sum(n.startswith("report_") for n in node_names(page)) == 30
    assert_readable(page)
    figures["expand_all"] = expand_and_check(page, lambda: page.locator(".lnb-expand-all").click(), f"{ui}-chain-04-expand-all.png")
    print(f"chain in {ui}: {figures}")
    page.close()


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_a_60_way_fan_out_wraps_pages_and_stays_readable(lab, ui):
    page = opened(lab, "fan", ui)
    wait_for_graph(page)
    g = assert_readable(page, shot=f"{ui}-fan-01-first.png")
    assert sum(1 for n in g["nodes"] if n["name"].startswith("/fan/")) == 1
    figures = {"page_1": expand_and_check(page, lambda: click_node(page, "+35 more"), f"{ui}-fan-02-paged.png")}
    figures["page_2"] = expand_and_check(page, lambda: click_node(page, "+10 more"), f"{ui}-fan-03-all-60.png")
    assert not any(n.endswith(" more") for n in node_names(page))
    g = assert_readable(page)  # all 60 consumers, every node in view
    assert sum(1 for n in g["nodes"] if n["name"].startswith("consumer_")) == 60
    assert edge_problems(g) == [], "the edges to the later sub-columns go round the first, not through it"
    figures["expand_all"] = expand_and_check(page, lambda: page.locator(".lnb-expand-all").click(), f"{ui}-fan-04-expand-all.png")
    assert edge_problems(geometry(page)) == []
    print(f"fan-out in {ui}: {figures}")
    page.close()


# ---- JupyterLab: panels, navigation, controls that never lie -------------------------------------------
def test_graph_renders_expands_shows_panels_and_navigates_in_jupyterlab(lab):
    dialogs = []
    page = opened(lab, "chain")
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    wait_for_graph(page)
    assert {"prepare", "train", "/data/features.parquet"} <= node_names(page)
    assert page.evaluate(f"({CY}).nodes('[kind = \"more\"]').length") == 1, "32 consumers: a '+N more' node"

    start = len(node_ids(page))
    click_node(page, "train")
    wait_for_more_nodes(page, start)
    wait_for_panel(page, "train")
    assert "Related artifacts" in page.locator(".lnb-panel").inner_text()
    assert overlapping_labels(page) == [], "JupyterLab's output styles must not squeeze the panel's labels"
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "02-expanded-workload-panel.png")

    click_node(page, "/data/features.parquet")
    wait_for_panel(page, "features")
    related = page.locator(".lnb-related-up").inner_text()
    assert "prepare" in related and "Downstream consumers" in page.locator(".lnb-panel").inner_text()
    assert "ds.write_parquet" in page.locator(".lnb-cell").inner_text()
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "03-artifact-panel.png")

    click_node(page, "prepare")  # its inputs include a dataset named like an HTML tag
    page.wait_for_function(f"({CY}).nodes().some(n => (n.data('name') || '').includes('onerror'))")
    click_node(page, f"/data/{XSS_NAME}")
    wait_for_panel(page, "onerror")
    assert XSS_NAME in panel_title(page)
    assert page.locator(".lnb-root img").count() == 0 and dialogs == []

    click_node(page, "train")
    wait_for_panel(page, "train")
    page.locator(".lnb-related summary", has_text="Downstream").click()
    page.locator(".lnb-related .lnb-link", has_text="/data/model").click()
    page.wait_for_function(f"({CY}).nodes('[?focus]').map(n => n.data('name')).includes('/data/model')")
    wait_for_panel(page, "Model")
    assert "score" in node_names(page)
    assert_readable(page, shot="04-navigated-to-model.png")
    page.close()


def test_the_widgets_of_a_page_share_one_copy_of_the_bundle(lab):
    """The loader anywidget is given (lineage_nb/notebook/loader.py) imports the bundle once per page: the second
    graph is drawn by the module the first one imported."""
    page = opened(lab, "two")
    wait_for_graph(page, index=0)
    wait_for_graph(page, index=1)
    keys = page.evaluate("Object.getOwnPropertySymbols(globalThis).map(String).filter(k => k.includes('lineage_nb.widget.'))")
    assert len(keys) == 1, keys
    assert page.evaluate("document.querySelectorAll('.lnb-root').length") == 2
    assert "/data/model" in set(page.evaluate("document.querySelectorAll('.lnb-graph')[1]._cyreg.cy.nodes().map(n => n.data('name'))"))
    page.close()


def test_collapse_and_expand_again_in_jupyterlab(lab):
    page = opened(lab, "chain")
    start = wait_for_graph(page)
    click_node(page, "train")
    page.wait_for_function(f"({CY}).nodes().length === {start + 1}")
    page.locator(".lnb-collapse").click()
    page.wait_for_function(f"({CY}).nodes().length === {start}")
    click_node(page, "train")
    page.wait_for_function(f"({CY}).nodes().length === {start + 1}")
    assert "/data/model" in node_names(page)
    page.close()


def test_controls_tell_the_truth(lab):
    page = opened(lab, "chain")
    wait_for_graph(page)
    message = page.locator(".lnb-message")
    click_node(page, "score")  # score reads the model, not shown: it expands
    wait_for_panel(page, "score")
    # Looking upstream now: score (downstream of the focus) is no longer drawn, so its panel closes.
    page.locator(".lnb-toolbar select").nth(1).select_option("up")
    page.wait_for_function(f"!({CY}).nodes().some(n => n.data('name') === 'score')")
    page.wait_for_function("document.querySelector('.lnb-panel').childElementCount === 0")
    captions = dict(page.evaluate(f"({CY}).nodes().map(n => [n.data('name'), n.data('caption')])"))
    assert captions["/data/features.parquet"] == "features.parquet", "no `+`: nothing more upstream of the focus"
    assert captions["prepare"].startswith("+ ")
    click_node(page, "/data/features.parquet")
    wait_for_panel(page, "features")
    assert message.inner_text() == ""
    page.locator(".lnb-expand-all").click()
    page.wait_for_function(f"({CY}).nodes().some(n => n.data('name') === '/data/raw.csv')")
    page.locator(".lnb-expand-all").click()
    page.wait_for_function("document.querySelector('.lnb-message').textContent.includes('nothing left to expand upstream')")

    page.locator(".lnb-search").fill("raw")
    page.locator(".lnb-find").click()
    page.wait_for_function(f"({CY}).nodes('.lnb-found').length === 1")
    found, focus = page.evaluate(
        f"""(() => {{ const cy = {CY}; const f = cy.nodes('.lnb-found').first(); const o = cy.nodes('[?focus]').first();
        return [[f.style('underlay-color'), f.style('underlay-opacity'), f.style('border-color')],
                [o.style('underlay-color'), o.style('underlay-opacity'), o.style('border-color')]]; }})()"""
    )
    assert found != focus and float(found[1]) > 0 and float(focus[1]) == 0, (found, focus)
    assert "1 found" in message.inner_text()
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "05-search-and-focus.png")

    box = page.evaluate(f"(() => {{ const cy = {CY}; const p = cy.nodes().filter(n => n.data('name') === 'prepare').renderedPosition(); const b = cy.container().getBoundingClientRect(); return {{x: b.left + p.x, y: b.top + p.y}}; }})()")
    page.mouse.move(box["x"], box["y"])
    page.wait_for_function(f"({CY}).edges('.lnb-path').length >= 2")
    page.locator(".lnb-legend summary").click()
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "06-hover-path-and-legend.png")
    page.close()


def test_compound_workloads_collapse_without_false_paths_in_jupyterlab(lab):
    page = opened(lab, "compound")
    wait_for_graph(page)
    g = assert_readable(page, shot="07-compound-notebook.png")
    compound = next(n for n in g["nodes"] if n["compound"])
    assert {n["name"] for n in g["nodes"] if n["parent"] == compound["id"]} == {
        "/q/notebooks/quickstart.ipynb#2", "/q/notebooks/quickstart.ipynb#3", "/q/notebooks/quickstart.ipynb#4"}
    styles = dict(page.evaluate(f"({CY}).edges().map(e => [e.data('evidence'), e.style('line-style')])"))
    assert styles == {"direct": "solid", "inferred": "dashed", "column_lineage": "dashed"}
    start = len(g["nodes"])
    corner = page.evaluate(  # a double click on the compound's own border area, not on a step inside it
        f"""(() => {{ const cy = {CY}; const b = cy.getElementById('w1').renderedBoundingBox({{includeLabels: false}});
        const c = cy.container().getBoundingClientRect(); return {{x: c.left + b.x1 + 4, y: c.top + b.y1 + 4}}; }})()"""
    )
    page.mouse.dblclick(corner["x"], corner["y"])
    page.wait_for_function(f"({CY}).nodes().length === {start - 3}")
    g = assert_readable(page, shot="08-compound-collapsed.png")
    edges = {(e["source"], e["target"]) for e in g["edges"]}
    assert ("a1", "w1") in edges and ("a2", "w1") not in edges and ("a3", "w1") not in edges
    page.close()


def test_a_table_sorts_and_its_graph_links_back(lab):
    page = opened(lab, "table")
    page.wait_for_selector(".lnb-table tr td")
    names = lambda: page.locator(".lnb-table tr td:first-child").all_inner_texts()  # noqa: E731
    assert sorted(names()) == ["/data/features.parquet", "/data/scores.parquet"]
    page.get_by_role("columnheader", name="name", exact=True).click()
    first = names()
    page.get_by_role("columnheader", name="name ▲", exact=True).click()
    assert names() == list(reversed(first))
    created = page.locator(".lnb-table tr td").nth(4)
    assert re.search(r"ago$", created.inner_text()) and created.get_attribute("title").startswith("2025-01-01")
    page.locator(".lnb-table .lnb-link").first.click()
    wait_for_graph(page)
    page.locator(".lnb-back").click()
    page.wait_for_selector(".lnb-table tr td")
    page.close()


# ---- the offline HTML export is the same widget over a snapshot -------------------------------------------
def test_the_html_export_expands_pages_and_resets_offline(lab, tmp_path):
    _server, browser, root = lab
    out = tmp_path / "graph.html"
    from lineage_nb.cli.main import main

    assert main(["--store", str(root / "lineage.db"), "graph", "/data/model", "--depth", "3", "--html", str(out)]) == 0
    page = browser.new_page()
    page.goto(out.as_uri())
    full = wait_for_graph(page)
    assert page.locator(".lnb-toolbar select").first.input_value() == "3", "the depth it was exported with"
    page.locator(".lnb-toolbar select").first.select_option("1")
    page.wait_for_function(f"({graph_js()}).nodes().length < {full}")
    fewer = len(node_ids(page))
    click_node(page, "score")
    wait_for_more_nodes(page, fewer)
    wait_for_panel(page, "score")
    assert_readable(page, shot="09-export-expanded.png")
    page.locator(".lnb-reset").click()
    page.wait_for_function(f"({graph_js()}).nodes().length === {full}")
    page.close()
