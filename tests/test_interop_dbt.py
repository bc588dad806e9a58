"""Other producers' lineage, exactly: real dbt-ol events answered as dbt itself would answer.

dbt-ol runs `build` on a jaffle-shop-like project (seeds -> staging -> marts, with passing and one
failing test) in both of its modes: the default one, written to a file and imported, and
`--consume-structured-logs`, posted over HTTP to `lineage-nb serve`. dbt's own lineage, the
manifest's parent_map and child_map, is the answer key for every model and seed.
"""
from __future__ import annotations

import duckdb
import pytest
from dbt_support import DbtRun, run_dbt_ol
from test_server import Running

from lineage_nb.capture.ray_sql import connection_url
from lineage_nb.capture.sql_names import sql_table_facts
from lineage_nb.commands.render import render_text
from lineage_nb.commands.run import build_parser, run
from lineage_nb.http import server
from lineage_nb.store import open_store
from lineage_nb.store.importer import import_file

TOKEN = "dbt-test-token"
MODES = ["default", "structured"]
AUDIT_SCHEMA = "_dbt_test__audit."  # dbt-ol's tables of test failures: outputs of test jobs, never models


@pytest.fixture(scope="module")
def dbt_runs(tmp_path_factory) -> dict[str, tuple[DbtRun, str]]:
    runs = {}
    root = tmp_path_factory.mktemp("dbt-default")
    events = root / "openlineage.log"  # the file transport writes one event per line, whatever the name
    file_transport = {"OPENLINEAGE__TRANSPORT__TYPE": "file", "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH": str(events),
                      "OPENLINEAGE__TRANSPORT__APPEND": "true"}
    dbt = run_dbt_ol(root, ["build"], file_transport)
    with open_store(root / "lineage.db", create=True) as store:
        report = import_file(store, events)
    assert report.errors == [] and report.accepted > 10, report
    runs["default"] = (dbt, str(root / "lineage.db"))

    root = tmp_path_factory.mktemp("dbt-structured")
    with open_store(root / "lineage.db", create=True) as store, Running(server.create_app(store, TOKEN)) as endpoint:
        dbt = run_dbt_ol(root, ["build", "--consume-structured-logs"], {"OPENLINEAGE_URL": endpoint.url, "OPENLINEAGE_API_KEY": TOKEN})
        assert store.counts()["events"] > 50, dbt.output[-2000:]
    runs["structured"] = (dbt, str(root / "lineage.db"))
    return runs


def _cli(store: str, *argv: str):
    result = run(build_parser().parse_args(["--store", store, *argv, "--json"]))
    return result.exit_code, result.data


def _names(entries, dbt: DbtRun) -> set[str]:
    return {e["name"] for e in entries if e["namespace"] == dbt.namespace and AUDIT_SCHEMA not in e["name"]}


@pytest.mark.parametrize("mode", MODES)
def test_provenance_and_impact_of_every_model_and_seed_are_dbts_own(dbt_runs, mode):
    dbt, store = dbt_runs[mode]
    datasets = dbt.datasets()
    assert len(datasets) == 8  # 3 seeds, 3 staging models, 2 marts
    for name, unique_id in sorted(datasets.items()):
        uri = f"{dbt.namespace}/{name}"
        code, provenance = _cli(store, "provenance", uri)
        assert code == 0, (mode, name, provenance)
        assert _names(provenance["artifacts"], dbt) == dbt.related(unique_id, "parent_map"), (mode, name)
        code, impact = _cli(store, "impact", uri)
        assert _names(impact["artifacts"], dbt) == dbt.related(unique_id, "child_map"), (mode, name)


def test_seeds_named_only_by_column_lineage_are_inputs_with_that_evidence(dbt_runs):
    dbt, store = dbt_runs["default"]
    code, graph = _cli(store, "graph", f"{dbt.namespace}/jaffle.main.stg_orders", "--direction", "up", "--depth", "2")
    names = {n["id"]: n["name"] for n in graph["nodes"]}
    edges = {(names[e["source"]], names[e["target"]]): e["evidence"] for e in graph["edges"]}
    assert edges[("jaffle.main.raw_orders", "jaffle.main.jaffle_shop.stg_orders.build.run")] == "column_lineage"
    code, shown = _cli(store, "show", f"{dbt.namespace}/jaffle.main.stg_orders")
    lineage = {c["column"]: c["inputs"] for c in shown["column_lineage"]}
    assert [(i["name"], i["column"]) for i in lineage["order_id"]] == [("jaffle.main.raw_orders", "id")]
    assert [(i["name"], i["column"]) for i in lineage["customer_id"]] == [("jaffle.main.raw_orders", "user_id")]


@pytest.mark.parametrize("mode", MODES)
def test_a_dataset_is_found_by_its_own_uri_and_its_database_is_its_data_source(dbt_runs, mode):
    dbt, store = dbt_runs[mode]
    code, orders = _cli(store, "show", f"{dbt.namespace}/jaffle.main.orders")
    assert code == 0 and (orders["namespace"], orders["name"]) == (dbt.namespace, "jaffle.main.orders")
    assert orders["uri"] == f"{dbt.namespace}/jaffle.main.orders"
    assert orders["data_source"]["uri"] == dbt.namespace
    code, answer = _cli(store, "show", dbt.namespace)  # the database is not a dataset here
    assert code == 2, answer


@pytest.mark.parametrize("mode", MODES)
def test_tests_are_the_datasets_quality_and_the_sql_its_producers(dbt_runs, mode):
    dbt, store = dbt_runs[mode]
    _, customers = _cli(store, "show", f"{dbt.namespace}/jaffle.main.customers")
    quality = customers["quality"]
    assert (quality["passed"], quality["failed"]) == (2, 1)
    failed = quality["assertions"][0]
    assert (failed["success"], failed["assertion"], failed["column"]) == (False, "accepted_values", "number_of_orders")
    _, orders = _cli(store, "show", f"{dbt.namespace}/jaffle.main.orders")
    assert (orders["quality"]["passed"], orders["quality"]["failed"]) == (3, 0)
    assert {(a["assertion"], a["column"]) for a in orders["quality"]["assertions"]} == {
        ("unique", "order_id"), ("not_null", "order_id"), ("accepted_values", "status")}
    assert orders["sql"]["dialect"] == "duckdb" and "stg_payments" in orders["sql"]["query"]
    assert (orders["write_status"], orders["only_failed_writes"]) == ("complete", False)


def test_the_dbt_run_holds_its_models_as_children(dbt_runs):
    dbt, store = dbt_runs["structured"]
    _, run_job = _cli(store, "workload", "dbt-run-jaffle_shop")
    children = {c["name"]: c for c in run_job["children"]}
    assert run_job["parent"] is None and run_job["child_count"] == len(children) == 14  # 3 seeds, 5 models, 6 tests
    orders = children["model.jaffle_shop.orders"]
    assert (orders["input_count"], orders["output_count"], orders["run_count"]) == (2, 1, 1)
    assert orders["child_count"] >= 2  # its SQL statements, `.sql.N` child jobs without inputs or outputs
    _, model = _cli(store, "workload", "model.jaffle_shop.orders")
    assert model["parent"] == run_job["id"] and model["parent_workload"]["name"] == "dbt-run-jaffle_shop"
    assert all(c["name"].startswith("model.jaffle_shop.orders.sql.") for c in model["children"])
    _, graph = _cli(store, "graph", "--workload", "dbt-run-jaffle_shop", "--depth", "1")
    steps = [n for n in graph["nodes"] if n.get("parent") == run_job["id"]]
    assert {n["name"] for n in steps} >= {"model.jaffle_shop.orders", "seed.jaffle_shop.raw_orders"}


def _text(store: str, *argv: str) -> str:
    return render_text(run(build_parser().parse_args(["--store", store, *argv])))


def test_the_text_answers_show_tests_column_lineage_sql_and_a_runs_models(dbt_runs):
    """Without --json, `show` and `workload` say what --json says: a dbt user reads them in a terminal."""
    dbt, store = dbt_runs["default"]
    customers = _text(store, "show", f"{dbt.namespace}/jaffle.main.customers")
    assert f"  data source: {dbt.namespace}\n" in customers
    assert "  tests:      2 passed, 1 failed\n    FAIL accepted_values_customers_number_of_orders" in customers, "failed tests first"
    assert "    customer_id <- jaffle.main.stg_customers.customer_id\n" in customers
    assert "    lifetime_value <- jaffle.main.orders.amount\n" in customers
    assert "  sql:\n    select c.customer_id" in customers
    dbt, store = dbt_runs["structured"]
    run_job = _text(store, "workload", "dbt-run-jaffle_shop")
    assert "steps and child jobs (14):" in run_job and "model.jaffle_shop.orders " in run_job
    assert "  part of:    dbt-run-jaffle_shop\n" in _text(store, "workload", "model.jaffle_shop.orders")


def test_a_notebooks_read_sql_of_the_dbt_database_names_dbts_own_tables(dbt_runs):
    """Ray's read_sql names tables by its connection (capture/ray_plan.py) and openlineage-sql: a CTE is
    not a table, a join reads both, and a DuckDB file's tables are the very datasets dbt-ol wrote."""
    dbt, _ = dbt_runs["default"]
    database = str(dbt.database)
    url = connection_url(lambda: duckdb.connect(database, read_only=True))
    query = ("WITH recent AS (SELECT * FROM orders WHERE order_date > DATE '2018-01-01') "
             "SELECT r.order_id, c.first_name FROM recent AS r JOIN main.customers AS c ON r.customer_id = c.customer_id")
    found = [(a.namespace, a.name) for a in sql_table_facts(query, url)]
    assert found == [(dbt.namespace, "jaffle.main.orders"), (dbt.namespace, "jaffle.main.customers")]
    assert [(a.namespace, a.name) for a in sql_table_facts("INSERT INTO jaffle.main.scores VALUES (?, ?)", url)] == [
        (dbt.namespace, "jaffle.main.scores")]
