"""`import` reads any producer's file, told by its content: one event, a JSON list, or one event per line,
whatever the name (.json, .log, none). And Airflow- and Spark-shaped events come out as those tools show
them: a DAG holds its tasks, a Spark application its jobs, with their column lineage and statistics."""
from __future__ import annotations

import json
import os
import threading
import uuid

import pytest

from lineage_nb.query import sql as queries
from lineage_nb.store import open_store
from lineage_nb.store.importer import FORK_MIN_BYTES, _Preparer, holds_lines, import_file

PRODUCER = "https://example.com/producer"


def _event(job, inputs=(), outputs=(), run_id=None, state="COMPLETE", time="2024-05-01T10:00:00Z", **run_facets):
    return {
        "eventType": state, "eventTime": time, "producer": PRODUCER, "run": {"runId": run_id or str(uuid.uuid4()), "facets": run_facets},
        "job": {"namespace": "ns", "name": job}, "inputs": [{"namespace": "ns", "name": n} for n in inputs],
        "outputs": [{"namespace": "ns", "name": n} for n in outputs],
    }


EVENTS = [_event("a", ["raw"], ["mid"]), _event("b", ["mid"], ["out"]), _event("c", ["out"], ["report"])]
LAYOUTS = {
    "one event per line": "\n".join(json.dumps(e) for e in EVENTS) + "\n",
    "one event per line, CRLF and blank lines": "\r\n\r\n".join(json.dumps(e) for e in EVENTS),
    "a JSON list": json.dumps(EVENTS, indent=2),
    "a JSON list on one line": json.dumps(EVENTS),
}


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "s.db", create=True) as opened:
        yield opened


@pytest.mark.parametrize("suffix", [".json", ".log", ".jsonl", ".txt", ""])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_format_is_told_by_the_content_whatever_the_name(store, tmp_path, layout, suffix):
    path = tmp_path / f"events{suffix}"
    path.write_text(LAYOUTS[layout])
    report = import_file(store, path)
    assert (report.accepted, report.errors) == (3, [])
    assert {a["name"] for a in queries.transitive(store, queries.resolve_artifact(store, "raw")["id"], "down")["artifacts"]} == {
        "mid", "out", "report"}


@pytest.mark.parametrize("suffix", [".json", ".log", ""])
def test_one_pretty_printed_event_is_one_event(store, tmp_path, suffix):
    path = tmp_path / f"event{suffix}"
    path.write_text(json.dumps(EVENTS[0], indent=4))
    assert not holds_lines(path)
    assert (import_file(store, path).accepted, store.counts()["events"]) == (1, 1)


def test_a_broken_line_of_a_line_file_is_reported_by_its_number(store, tmp_path):
    path = tmp_path / "openlineage.log"
    path.write_text('{"eventType": "COMPLETE", "broken": }\n' + json.dumps(EVENTS[0]) + "\nnot json\n" + json.dumps(EVENTS[1]) + "\n")
    report = import_file(store, path)
    assert report.accepted == 2
    assert [e.split(": ")[0] for e in report.errors] == [f"{path}:1", f"{path}:3"]


def test_a_large_line_file_is_prepared_in_workers_whatever_its_name(tmp_path, monkeypatch):
    """The streaming, worker-process path of .jsonl files serves line files of any name (dbt-ol's .log)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as in the CLI: a single-threaded process may fork workers
    path = tmp_path / "openlineage_events.log"
    line = (json.dumps(_event("big", ["raw"], ["out"])) + "\n").encode()
    path.write_bytes(line * (FORK_MIN_BYTES // len(line) + 1))
    with _Preparer(path, None) as preparer:
        assert preparer.lines and preparer.workers == 2
    with open_store(tmp_path / "s.db", create=True) as store:
        report = import_file(store, path, workers=2)
    assert (report.accepted, report.duplicates, report.errors) == (1, FORK_MIN_BYTES // len(line), [])


# ---- Airflow and Spark, as their OpenLineage integrations shape events --------------------------------
def _facet(**fields):
    return {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/X.json", **fields}


def _airflow_events():
    dag_run = str(uuid.uuid4())
    parent = _facet(job={"namespace": "airflow", "name": "daily_orders"}, run={"runId": dag_run})
    task_type = {"jobType": _facet(integration="AIRFLOW", jobType="TASK", processingType="BATCH")}
    pg, s3 = "postgres://warehouse.example.com:5432", "s3://lake"

    def task(name, inputs, outputs, state="COMPLETE"):
        event = {"eventType": state, "eventTime": "2024-05-01T02:10:00Z", "producer": PRODUCER,
                 "run": {"runId": str(uuid.uuid4()), "facets": {"parent": parent}},
                 "job": {"namespace": "airflow", "name": f"daily_orders.{name}", "facets": task_type},
                 "inputs": inputs, "outputs": outputs}
        return event

    return [
        {"eventType": "START", "eventTime": "2024-05-01T02:00:00Z", "producer": PRODUCER, "run": {"runId": dag_run},
         "job": {"namespace": "airflow", "name": "daily_orders", "facets": {"jobType": _facet(integration="AIRFLOW", jobType="DAG", processingType="BATCH")}}},
        task("extract", [{"namespace": pg, "name": "shop.public.orders"}], [{"namespace": s3, "name": "staging/orders"}]),
        task("transform", [{"namespace": s3, "name": "staging/orders"}], [{"namespace": s3, "name": "marts/daily_orders"}], state="FAIL"),
        {"eventType": "FAIL", "eventTime": "2024-05-01T02:30:00Z", "producer": PRODUCER, "run": {"runId": dag_run},
         "job": {"namespace": "airflow", "name": "daily_orders"}},
    ]


def _spark_events():
    app_run = str(uuid.uuid4())
    warehouse = "hdfs://namenode:8020"
    orders = {
        "namespace": warehouse, "name": "/warehouse/orders_clean",
        "facets": {
            "symlinks": _facet(identifiers=[{"namespace": "hive://metastore:9083", "name": "default.orders_clean", "type": "TABLE"}]),
            "columnLineage": _facet(fields={"order_id": {"inputFields": [{"namespace": warehouse, "name": "/raw/orders", "field": "id",
                                                                          "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]},
                                            "total": {"inputFields": [{"namespace": warehouse, "name": "/raw/orders", "field": "amount",
                                                                       "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}]},
                                                                      {"namespace": warehouse, "name": "/raw/refunds", "field": "amount",
                                                                       "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION"}]}]}}),
        },
        "outputFacets": {"outputStatistics": _facet(rowCount=1200, size=48000, fileCount=3)},
    }
    return [
        {"eventType": "START", "eventTime": "2024-05-01T03:00:00Z", "producer": PRODUCER, "run": {"runId": app_run},
         "job": {"namespace": "spark", "name": "orders_app", "facets": {"jobType": _facet(integration="SPARK", jobType="APPLICATION", processingType="BATCH")}}},
        {"eventType": "COMPLETE", "eventTime": "2024-05-01T03:05:00Z", "producer": PRODUCER,
         "run": {"runId": str(uuid.uuid4()), "facets": {"parent": _facet(job={"namespace": "spark", "name": "orders_app"}, run={"runId": app_run})}},
         "job": {"namespace": "spark", "name": "orders_app.execute_insert_into_hadoop_fs_relation_command.warehouse_orders_clean",
                 "facets": {"jobType": _facet(integration="SPARK", jobType="JOB", processingType="BATCH")}},
         "inputs": [{"namespace": warehouse, "name": "/raw/orders", "inputFacets": {"inputStatistics": _facet(rowCount=1500, size=90000)}}],
         "outputs": [orders]},
    ]


def test_an_airflow_dag_holds_its_tasks_and_a_failed_task_creates_nothing(store, tmp_path):
    path = tmp_path / "airflow.json"
    path.write_text(json.dumps(_airflow_events()))
    assert import_file(store, path).errors == []
    dag = queries.workload_overview(store, queries.resolve_workload(store, "daily_orders"))
    assert sorted((c["name"], c["input_count"], c["output_count"]) for c in dag["children"]) == [
        ("daily_orders.extract", 1, 1), ("daily_orders.transform", 1, 1)]
    assert {a["name"] for a in dag["upstream"]} == {"shop.public.orders", "staging/orders"}
    marts = queries.artifact_overview(store, queries.resolve_artifact(store, "s3://lake/marts/daily_orders"))
    assert (marts["created_at"], marts["only_failed_writes"]) == (None, True)
    staging = queries.artifact_overview(store, queries.resolve_artifact(store, "s3://lake/staging/orders"))
    assert (staging["created_by"], staging["write_status"]) == ("daily_orders.extract", "complete")
    provenance = queries.transitive(store, marts["id"], "up")
    assert [(a["name"], a["distance"]) for a in provenance["artifacts"]] == [("staging/orders", 1), ("shop.public.orders", 2)]


def test_a_spark_application_holds_its_jobs_with_column_lineage_and_statistics(store, tmp_path):
    path = tmp_path / "spark-events"
    path.write_text("\n".join(json.dumps(e) for e in _spark_events()))
    assert import_file(store, path).errors == []
    clean = queries.artifact_overview(store, queries.resolve_artifact(store, "default.orders_clean"))  # by its Hive table name
    assert (clean["namespace"], clean["name"], clean["uri"]) == ("hdfs://namenode:8020", "/warehouse/orders_clean", "hdfs://namenode:8020/warehouse/orders_clean")
    assert clean["output_statistics"] == {"rowCount": 1200, "size": 48000, "fileCount": 3}
    total = next(c for c in clean["column_lineage"] if c["column"] == "total")
    assert [(i["name"], i["column"], i["transformations"][0]["subtype"]) for i in total["inputs"]] == [
        ("/raw/orders", "amount", "AGGREGATION"), ("/raw/refunds", "amount", "TRANSFORMATION")]
    app = queries.workload_overview(store, queries.resolve_workload(store, "orders_app"))
    assert [c["name"] for c in app["children"]] == ["orders_app.execute_insert_into_hadoop_fs_relation_command.warehouse_orders_clean"]
    assert {a["name"] for a in app["upstream"]} == {"/raw/orders"}
    assert {a["name"] for a in app["column_lineage_upstream"]} == {"/raw/refunds"}  # named only by the column lineage
    provenance = queries.transitive(store, clean["id"], "up")
    assert {a["name"] for a in provenance["artifacts"]} == {"/raw/orders", "/raw/refunds"}
    raw = queries.artifact_overview(store, queries.resolve_artifact(store, "hdfs://namenode:8020/raw/orders"))
    assert raw["input_statistics"] == {"rowCount": 1500, "size": 90000}
