"""The embedded store: idempotent ingest, answers on real producers' events, clear errors, nothing lost."""
import json
import multiprocessing
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from conftest import FIXTURES

from lineage_nb.query import sql as queries
from lineage_nb.store import StoreError, open_store
from lineage_nb.store.importer import import_file
from lineage_nb.store.schema import SCHEMA_VERSION

FOOD = FIXTURES / "marquez-food-delivery.json"


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "s" / "lineage.db", create=True) as opened:
        yield opened


def _names(entries):
    return sorted(e["name"] for e in entries)


def test_impact_and_provenance_follow_the_chain(store):
    import_file(store, FOOD)
    orders = queries.resolve_artifact(store, "public.orders")
    impact = queries.transitive(store, orders["id"], "down")
    assert {"public.orders_7_days", "public.delivery_7_days"} <= {a["name"] for a in impact["artifacts"]}
    assert "public.orders" not in {a["name"] for a in impact["artifacts"]}
    delivery = queries.resolve_artifact(store, "public.delivery_7_days")
    provenance = queries.transitive(store, delivery["id"], "up")
    assert {"public.orders", "public.menus", "public.orders_7_days", "public.drivers"} <= {a["name"] for a in provenance["artifacts"]}
    assert {"etl_orders_7_days", "etl_delivery_7_days"} <= {w["name"] for w in provenance["workloads"]}


def test_ingest_is_idempotent(store):
    events = json.loads(FOOD.read_text())
    store.ingest(events)
    before = store.counts()
    graph_before = queries.graph(store, [queries.resolve_artifact(store, "public.orders_7_days")["id"]], depth=3)
    again = store.ingest(events + events[:5])
    assert again.accepted == 0 and again.duplicates == 31
    assert store.counts() == before
    assert queries.graph(store, [queries.resolve_artifact(store, "public.orders_7_days")["id"]], depth=3) == graph_before


def test_run_state_is_terminal_whatever_the_order(store):
    events = json.loads(FOOD.read_text())
    store.ingest(list(reversed(events)))
    with store.read() as conn:
        states = {row[0] for row in conn.exec_driver_sql("SELECT state FROM runs")}
    assert states == {"COMPLETE"}


def test_every_marquez_fixture_is_ingested_or_reported(store):
    for path in sorted(FIXTURES.glob("marquez-*.json")):
        report = import_file(store, path)
        assert report.errors == [], path.name
    assert queries.resolve_artifact(store, namespace="my-dataset-namespace", name="my-dataset-name")["name"] == "my-dataset-name"


def test_graph_is_cycle_safe_and_marks_expandable_nodes(store):
    def event(run, job, inputs, outputs, state="COMPLETE"):
        return {
            "eventType": state, "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.com/p",
            "run": {"runId": run}, "job": {"namespace": "ns", "name": job},
            "inputs": [{"namespace": "ns", "name": n} for n in inputs], "outputs": [{"namespace": "ns", "name": n} for n in outputs],
        }

    store.ingest([
        event(str(uuid.uuid4()), "refresh", ["table"], ["table"]),
        event(str(uuid.uuid4()), "producer", ["raw"], ["table"]),
        event(str(uuid.uuid4()), "consumer", ["table"], ["report"]),
    ])
    table = queries.resolve_artifact(store, "table")["id"]
    one = queries.graph(store, [table], depth=1)
    names = {n["name"]: n for n in one["nodes"]}
    assert set(names) == {"table", "refresh", "producer", "consumer"}
    assert names["producer"]["expandable"] and names["consumer"]["expandable"]
    assert not names["refresh"]["expandable"] and not names["table"]["expandable"]
    deep = queries.graph(store, [table], depth=10)
    assert {n["name"] for n in deep["nodes"]} == {"table", "refresh", "producer", "consumer", "raw", "report"}
    assert not any(n["expandable"] for n in deep["nodes"])
    assert {"source": names["producer"]["id"], "target": table, "evidence": "direct"} in deep["edges"]


def test_node_cap_and_fanout_are_honoured(store):
    events = [
        {"eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.com/p",
         "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "ns", "name": f"reader-{i}"},
         "inputs": [{"namespace": "ns", "name": "raw"}]}
        for i in range(60)
    ]
    store.ingest(events)
    raw = queries.resolve_artifact(store, "raw")["id"]
    paged = queries.graph(store, [raw], depth=1, fanout=25)
    more = [n for n in paged["nodes"] if n["kind"] == "more"]
    assert len([n for n in paged["nodes"] if n["kind"] == "workload"]) == 25
    assert more and more[0]["count"] == 35
    page = queries.page_neighbours(store, raw, "down", more[0]["offset"], fanout=25)
    assert len([n for n in page["nodes"] if n["kind"] == "workload"]) == 25
    assert [n["count"] for n in page["nodes"] if n["kind"] == "more"] == [10]
    capped = queries.graph(store, [raw], depth=1, fanout=None, node_cap=10)
    assert capped["truncated"] and len(capped["nodes"]) == 10


def test_listing_filters_and_pages(store):
    import_file(store, FOOD)
    created = queries.list_artifacts(store, "dataset", created_by="etl_orders_7_days")
    assert _names(created) == ["public.orders_7_days"]
    found = queries.list_artifacts(store, "dataset", search="7_days")
    assert _names(found) == ["public.delivery_7_days", "public.orders_7_days"]
    assert queries.list_artifacts(store, "dataset", search="%") == []
    first, second = queries.list_artifacts(store, "dataset", limit=5), queries.list_artifacts(store, "dataset", limit=5, offset=5)
    assert len(first) == 5 and not {r["id"] for r in first} & {r["id"] for r in second}


def test_failed_import_leaves_the_store_as_it_was(store, tmp_path):
    import_file(store, FOOD)
    before = store.counts()
    bad = tmp_path / "bad.jsonl"
    good = json.loads(FOOD.read_text())[0] | {"run": {"runId": str(uuid.uuid4())}}
    bad.write_text(json.dumps(good) + "\n{not json\n")
    report = import_file(store, bad, strict=True)
    assert report.skipped_file and report.errors == [f"{bad}:2: malformed JSON: Expecting property name enclosed in double quotes at column 2"]
    assert store.counts() == before
    lenient = import_file(store, bad)
    assert lenient.accepted == 1 and len(lenient.errors) == 1


def test_invalid_events_name_the_field(store, tmp_path):
    path = tmp_path / "e.jsonl"
    rows = [
        {"eventTime": "yesterday", "producer": "p", "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n", "name": "j"}},
        {"eventTime": "2024-01-01T00:00:00Z", "producer": "p", "run": {"runId": "nope"}, "job": {"namespace": "n", "name": "j"}},
        {"eventTime": "2024-01-01T00:00:00Z", "producer": "p", "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "n"}},
        [1, 2],
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    errors = import_file(store, path).errors
    assert [e.split(": ", 1)[1] for e in errors] == [
        "eventTime 'yesterday' is not an ISO-8601 date-time",
        "run.runId 'nope' is not a UUID",
        "job.name must be a non-empty string",
        "an event must be a JSON object, not list",
    ]


def test_corrupt_newer_and_missing_stores_get_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="no lineage store at"):
        open_store(tmp_path / "missing.db")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreError, match="not a readable lineage store") as corrupt:
        open_store(garbage)
    assert "\n" not in str(corrupt.value)
    newer = tmp_path / "newer.db"
    open_store(newer, create=True).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE lineage_meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer than this lineage_nb"):
        open_store(newer)


def test_store_file_is_private(tmp_path):
    path = tmp_path / "private" / "lineage.db"
    open_store(path, create=True).close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def _write_events(path, worker, count):
    with open_store(path, create=True) as target:
        for start in range(0, count, 50):
            target.ingest([
                {"eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.com/p",
                 "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "ns", "name": f"writer-{worker}"},
                 "outputs": [{"namespace": "ns", "name": f"out-{worker}-{i}"}]}
                for i in range(start, start + 50)
            ])


def test_several_writer_processes_at_once(tmp_path):
    path = tmp_path / "shared.db"
    open_store(path, create=True).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_events, args=(path, w, 300)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with open_store(path) as store:
        assert store.counts()["events"] == 1200
        assert store.counts()["artifacts"] == 1200


def test_a_store_written_by_schema_3_is_migrated(tmp_path):
    """tests/fixtures/make_store_v3.py says what version 3 got wrong; version 4 answers it from the raw events."""
    path = tmp_path / "v3.db"
    shutil.copy(Path(__file__).parent / "fixtures" / "store-v3.db", path)
    db = "duckdb:///srv/dbt/jaffle.duckdb"
    with open_store(path) as store:
        with store.read() as conn:
            assert conn.exec_driver_sql("SELECT value FROM lineage_meta WHERE key = 'schema_version'").scalar() == str(SCHEMA_VERSION)

        def show(name):
            return queries.artifact_overview(store, queries.resolve_artifact(store, f"{db}/jaffle.main.{name}"))

        stg, orders, broken = show("stg_orders"), show("orders"), show("broken")
        assert (stg["uri"], stg["data_source"]) == (f"{db}/jaffle.main.stg_orders", {"name": db, "uri": db})
        assert (stg["created_at"], stg["created_by"]) == ("2024-05-01T10:02:00.000000+00:00", "jaffle.main.jaffle_shop.stg_orders")
        assert orders["created_at"] == "2024-05-01T10:06:00.000000+00:00"  # not the failed run's
        assert (broken["created_at"], broken["created_by"], broken["write_status"], broken["only_failed_writes"]) == (None, None, "failed", True)
        assert (orders["quality"]["passed"], orders["quality"]["failed"]) == (1, 1)
        assert [c["column"] for c in orders["column_lineage"]] == ["order_id", "status"]
        provenance = queries.transitive(store, queries.resolve_artifact(store, f"{db}/jaffle.main.orders")["id"], "up")
        assert {a["name"] for a in provenance["artifacts"]} == {"jaffle.main.stg_orders", "jaffle.main.raw_orders"}
        with pytest.raises(queries.NotFound):
            queries.resolve_artifact(store, db)  # the database is no longer every table's URI


def test_a_jobs_sql_and_a_datasets_statistics_and_metrics_are_shown(store):
    run = str(uuid.uuid4())
    stats = {"rowCount": 12, "size": 4096}
    store.ingest([{
        "eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": "https://example.com/spark",
        "run": {"runId": run}, "job": {"namespace": "spark", "name": "etl", "facets": {"sql": {"query": "INSERT INTO out SELECT * FROM raw", "dialect": "spark"}}},
        "inputs": [{"namespace": "s3://lake", "name": "raw", "inputFacets": {
            "inputStatistics": stats, "dataQualityMetrics": {"rowCount": 12, "columnMetrics": {"id": {"nullCount": 0}}}}}],
        "outputs": [{"namespace": "s3://lake", "name": "out", "outputFacets": {"outputStatistics": stats}}],
    }])
    raw = queries.artifact_overview(store, queries.resolve_artifact(store, "s3://lake/raw"))
    out = queries.artifact_overview(store, queries.resolve_artifact(store, "s3://lake/out"))
    assert raw["input_statistics"] == stats and raw["quality"]["metrics"]["columnMetrics"] == {"id": {"nullCount": 0}}
    assert out["output_statistics"] == stats and raw["sql"] is None
    assert out["sql"] == {"query": "INSERT INTO out SELECT * FROM raw", "dialect": "spark", "statements": 1, "workload": {"namespace": "spark", "name": "etl"}}
