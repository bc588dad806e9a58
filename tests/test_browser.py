"""The widget in real JupyterLab and Notebook 7, driven by Playwright in Debian's headless Chromium."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from browser_support import CY, chromium, click_node, jupyter_server, open_notebook, run_all_cells, wait_for_graph, write_notebook
from widget_data import XSS_NAME, chain_events

import lineage_nb

pytestmark = pytest.mark.browser
# Screenshots go outside the checkout (tests never modify tracked files); `make screenshot` copies the README's.
ARTIFACTS = Path(os.environ.get("LINEAGE_NB_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "lineage_nb_screenshots")
ARTIFACTS.mkdir(parents=True, exist_ok=True)
CELLS = [
    "%load_ext lineage_nb",
    "import lineage_nb\nw = lineage_nb.graph('/data/features.parquet')\nw",
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    with lineage_nb.open_store(str(root / "lineage.db"), create=True) as store:
        assert not store.ingest(chain_events()).rejected
    write_notebook(root / "widget.ipynb", CELLS)
    write_notebook(root / "widget7.ipynb", CELLS)
    with jupyter_server(root, {"LINEAGE_NB_STORE": str(root / "lineage.db")}) as server, chromium(root / "profile") as browser:
        yield server, browser


def panel_title(page) -> str:
    return page.locator(".lnb-panel h3").inner_text()


def node_names(page) -> set[str]:
    return set(page.evaluate(f"({CY}).nodes().map(n => n.data('name') || n.data('label'))"))


def overlapping_labels(page) -> list[str]:
    """Labels in the panel's field list whose text reaches into their value."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.lnb-panel .lnb-facts dt')].filter((dt) => {
            const text = document.createRange();
            text.selectNodeContents(dt);
            return text.getBoundingClientRect().right > dt.nextElementSibling.getBoundingClientRect().left;
        }).map((dt) => dt.textContent)"""
    )


def test_graph_renders_expands_shows_panels_and_navigates_in_jupyterlab(lab):
    server, browser = lab
    dialogs = []
    page = open_notebook(browser, server, "widget.ipynb")
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    run_all_cells(page)
    start = wait_for_graph(page)
    assert {"prepare", "train", "/data/features.parquet"} <= node_names(page)
    assert page.evaluate(f"({CY}).nodes('[kind = \"more\"]').length") == 1, "30 consumers: a '+N more' node"
    page.locator(".lnb-graph").screenshot(path=ARTIFACTS / "01-graph-with-plus-nodes.png")

    click_node(page, "train")  # a `+` node: selects it and expands it in place
    page.wait_for_function(f"({CY}).nodes().length > {start}")
    assert "/data/model" in node_names(page)
    page.wait_for_function("document.querySelector('.lnb-panel h3')?.textContent.includes('train')")
    assert "Related artifacts" in page.locator(".lnb-panel").inner_text()
    assert overlapping_labels(page) == [], "JupyterLab's output styles must not squeeze the panel's labels"
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "02-expanded-workload-panel.png")

    click_node(page, "/data/features.parquet")
    page.wait_for_function("document.querySelector('.lnb-panel h3')?.textContent.includes('features')")
    related = page.locator(".lnb-related-up").inner_text()
    assert "prepare" in related and "Downstream consumers" in page.locator(".lnb-panel").inner_text()
    assert "ds.write_parquet" in page.locator(".lnb-cell").inner_text()
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "03-artifact-panel.png")

    click_node(page, "prepare")  # its inputs include a dataset named like an HTML tag
    page.wait_for_function(f"({CY}).nodes().some(n => (n.data('name') || '').includes('onerror'))")
    click_node(page, f"/data/{XSS_NAME}")
    page.wait_for_function("document.querySelector('.lnb-panel h3')?.textContent.includes('onerror')")
    assert XSS_NAME in panel_title(page)
    assert page.locator(".lnb-root img").count() == 0 and dialogs == []

    click_node(page, "train")
    page.wait_for_function("document.querySelector('.lnb-panel h3')?.textContent.includes('train')")
    page.locator(".lnb-related summary", has_text="Downstream").click()
    page.locator(".lnb-related .lnb-link", has_text="/data/model").click()
    page.wait_for_function(f"({CY}).nodes('[?focus]').map(n => n.data('name')).includes('/data/model')")
    page.wait_for_function("document.querySelector('.lnb-panel h3')?.textContent.startsWith('Model')")
    assert "score" in node_names(page)
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "04-navigated-to-model.png")

    click_node(page, "train")
    page.locator(".lnb-collapse").click() if page.locator(".lnb-collapse").count() else None
    page.close()


def test_collapse_and_expand_again_in_jupyterlab(lab):
    server, browser = lab
    page = open_notebook(browser, server, "widget.ipynb")
    run_all_cells(page)
    start = wait_for_graph(page)
    click_node(page, "train")
    page.wait_for_function(f"({CY}).nodes().length === {start + 1}")
    page.locator(".lnb-collapse").click()
    page.wait_for_function(f"({CY}).nodes().length === {start}")
    click_node(page, "train")
    page.wait_for_function(f"({CY}).nodes().length === {start + 1}")
    assert "/data/model" in node_names(page)
    page.close()


def test_graph_renders_in_notebook_7(lab):
    server, browser = lab
    page = open_notebook(browser, server, "widget7.ipynb", ui="notebook")
    run_all_cells(page)
    assert wait_for_graph(page) >= 5
    page.screenshot(path=ARTIFACTS / "05-notebook7.png")
    page.close()
