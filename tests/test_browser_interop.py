"""A dataset's panel in real JupyterLab shows what other producers said about it: its tests (a red or
green summary, each test) and its column lineage, every value as text."""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from browser_support import chromium, click_node, jupyter_server, open_notebook, run_all_cells, wait_for_graph, write_notebook

import lineage_nb

pytestmark = pytest.mark.browser
ARTIFACTS = Path(os.environ.get("LINEAGE_NB_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "lineage_nb_screenshots")
ARTIFACTS.mkdir(parents=True, exist_ok=True)
DB = "duckdb:///srv/dbt/jaffle.duckdb"
XSS_COLUMN = "<img src=x onerror=alert(1)>"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/dbt"


def _dbt_shaped_events():
    """A dbt model built from a staging model and a seed its inputs leave out, then tested (one test fails)."""
    def field(source, column):
        return {"namespace": DB, "name": source, "field": column, "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}

    lineage = {"fields": {"order_id": {"inputFields": [field("jaffle.main.stg_orders", "order_id")]},
                          "status": {"inputFields": [field("jaffle.main.stg_orders", "status")]},
                          "amount": {"inputFields": [field("jaffle.main.raw_payments", "amount")]},
                          XSS_COLUMN: {"inputFields": [field("jaffle.main.raw_payments", XSS_COLUMN)]}}}
    orders = {"namespace": DB, "name": "jaffle.main.orders", "facets": {"columnLineage": lineage, "dataSource": {"name": DB, "uri": DB}}}
    tests = [{"assertion": "unique", "column": "order_id", "success": True, "name": "unique_orders_order_id"},
             {"assertion": "not_null", "column": "order_id", "success": True, "name": "not_null_orders_order_id"},
             {"assertion": "accepted_values", "column": "status", "success": False, "name": "accepted_values_orders_status"}]
    parent = {"job": {"namespace": "dbt", "name": "dbt-run-jaffle_shop"}, "run": {"runId": str(uuid.uuid4())}}

    def event(job, inputs, outputs, minute):
        return {"eventType": "COMPLETE", "eventTime": f"2024-05-01T10:{minute:02d}:00Z", "producer": PRODUCER,
                "run": {"runId": str(uuid.uuid4()), "facets": {"parent": parent}},
                "job": {"namespace": "dbt", "name": job, "facets": {"sql": {"query": "select * from stg_orders", "dialect": "duckdb"}}},
                "inputs": inputs, "outputs": outputs}

    return [
        event("jaffle.main.jaffle_shop.orders", [{"namespace": DB, "name": "jaffle.main.stg_orders"}], [orders], 1),
        event("jaffle.main.jaffle_shop.orders.test",
              [{"namespace": DB, "name": "jaffle.main.orders", "inputFacets": {"dataQualityAssertions": {"assertions": tests}}}], [], 2),
    ]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-interop")
    with lineage_nb.open_store(str(root / "lineage.db"), create=True) as store:
        assert not store.ingest(_dbt_shaped_events()).rejected
    write_notebook(root / "dbt.ipynb", ["%load_ext lineage_nb", f"import lineage_nb\nlineage_nb.graph('{DB}/jaffle.main.orders')"])
    with jupyter_server(root, {"LINEAGE_NB_STORE": str(root / "lineage.db")}) as server, chromium(root / "profile") as browser:
        yield server, browser


def test_a_datasets_panel_shows_its_tests_and_column_lineage(lab):
    server, browser = lab
    dialogs = []
    page = open_notebook(browser, server, "dbt.ipynb")
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    run_all_cells(page)
    wait_for_graph(page)
    click_node(page, "jaffle.main.orders")
    page.wait_for_selector(".lnb-panel .lnb-tests-summary", timeout=30_000)
    summary = page.locator(".lnb-tests-summary")
    assert summary.inner_text() == "1 of 3 tests failed"
    assert "lnb-tests-failed" in summary.get_attribute("class")
    assert summary.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(207, 34, 46)"  # red
    assert page.locator(".lnb-test-fail").all_inner_texts() == ["✗ accepted_values_orders_status (status)"]
    assert len(page.locator(".lnb-test-pass").all()) == 2
    rows = page.locator(".lnb-column-lineage tr").all_inner_texts()[1:]
    assert [[cell.strip() for cell in row.split("\t")] for row in rows] == [
        [XSS_COLUMN, f"raw_payments.{XSS_COLUMN}"], ["amount", "raw_payments.amount"],
        ["order_id", "stg_orders.order_id"], ["status", "stg_orders.status"]]
    assert page.locator(".lnb-panel img").count() == 0 and dialogs == []  # a column named like a tag stays text
    assert f"Data source\n{DB}" in page.locator(".lnb-panel").inner_text()
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "interop-01-dataset-tests-and-column-lineage.png")
    # The seed its inputs left out is in the graph, through the column lineage.
    click_node(page, "jaffle.main.jaffle_shop.orders", double=True)
    page.wait_for_function("document.querySelector('.lnb-graph')._cyreg.cy.nodes().some(n => n.data('name') === 'jaffle.main.raw_payments')",
                           timeout=30_000)
    page.locator(".lnb-root").screenshot(path=ARTIFACTS / "interop-02-seed-through-column-lineage.png")
