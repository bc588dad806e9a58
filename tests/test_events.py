"""Events we emit: valid per the official OpenLineage schemas, and readable by other OpenLineage tools."""
import json
import subprocess
import sys

import pytest
from olspec import event_errors
from openlineage.client import OpenLineageClient, event_v2
from openlineage.client.transport.file import FileConfig, FileTransport

import lineage_nb
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.query.sql import list_artifacts
from lineage_nb.runtime.session import current_session, end_session
from lineage_nb.store.importer import import_file


def _capture_one(error=None):
    session = current_session()
    fact = ActivityFact(
        "test.copy",
        inputs=[ArtifactFact(location="s3://bucket/raw/", format="parquet", schema=[("id", "int64"), ("x", "double")])],
        outputs=[
            ArtifactFact(location="/tmp/lineage-nb-test/features", format="parquet"),
            ArtifactFact(namespace="mlflow://local", name="m-123", kind="model", aliases=[("mlflow://local", "models:/clf/1", "model")], properties={"flavors": ["sklearn"]}),
        ],
        context=session.context(engine="ray", engine_version="2.60.0"),
    )
    run = session.start_child_run(fact)
    run.finish(error)
    return run


def test_every_emitted_event_validates_against_the_spec(store_path, open_test_store):
    _capture_one()
    _capture_one(ValueError("boom"))
    end_session()
    store = open_test_store()
    events = list(store.iter_events())
    assert [e["eventType"] for e in events].count("START") == 3
    assert {e["eventType"] for e in events} == {"START", "COMPLETE", "FAIL"}
    for event in events:
        assert event_errors(event) == [], event["eventType"]
        assert event["producer"].startswith("https://github.com/lineage-nb/lineage_nb")


def test_child_runs_point_to_the_session_run(store_path, open_test_store):
    run = _capture_one()
    session_run = current_session().workload.session_run_id
    events = [e for e in open_test_store().iter_events() if e["run"]["runId"] == run.run_id]
    assert len(events) == 2
    workload = current_session().workload
    for event in events:
        assert event["run"]["facets"]["parent"]["run"]["runId"] == session_run
        assert event["run"]["facets"]["parent"]["job"]["name"] == workload.name
        assert event["job"]["facets"]["lineageNb_step"]["stepType"] == "line"  # a script's step is its calling line
        assert event["job"]["name"].startswith(workload.name + ":")


def test_failures_carry_the_error_message_facet(store_path, open_test_store):
    run = _capture_one(RuntimeError("udf exploded"))
    terminal = [e for e in open_test_store().iter_events() if e["run"]["runId"] == run.run_id and e["eventType"] == "FAIL"]
    assert terminal and "udf exploded" in terminal[0]["run"]["facets"]["errorMessage"]["message"]


@pytest.mark.parametrize("error", [None, ("ValueError: boom", "Traceback ...")])
def test_a_finished_calls_pair_of_events_is_what_building_each_one_gives(store_path, error):
    """`record` builds START once and derives the terminal event from it: the shortcut must change nothing."""
    from openlineage.client.serde import Serde

    from lineage_nb.runtime import events
    from lineage_nb.runtime.workload import new_run_id, utcnow

    session = current_session()
    fact = ActivityFact("test.copy", inputs=[ArtifactFact(location="/tmp/in.csv", format="csv", schema=[("id", "int64")])],
                        outputs=[ArtifactFact(location="/tmp/out.csv", format="csv")], context=session.context(engine="pandas"))
    run_id, started, ended = new_run_id(), utcnow(), utcnow()
    pair = events.finished_child_events(session.workload, run_id, fact, started, ended, error)
    terminal = "FAIL" if error else "COMPLETE"
    expected = [events.child_event(session.workload, run_id, fact, "START", started, None),
                events.child_event(session.workload, run_id, fact, terminal, ended, error)]
    assert [item.data for item in pair] == [Serde.to_dict(e) for e in expected]
    assert [Serde.to_dict(item.event) for item in pair] == [item.data for item in pair]
    assert all(event_errors(item.data) == [] for item in pair)


def test_models_carry_the_dataset_type_facet_and_aliases(store_path, open_test_store):
    _capture_one()
    event = next(e for e in open_test_store().iter_events() if e.get("outputs"))
    model = next(o for o in event["outputs"] if o["name"] == "m-123")
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert model["facets"]["symlinks"]["identifiers"][0]["name"] == "models:/clf/1"


def test_events_round_trip_through_openlineage_python(tmp_path, store_path, open_test_store):
    """Our stored events re-emitted by openlineage-python's own FileTransport import back unchanged."""
    _capture_one()
    store = open_test_store()
    ours = list(store.iter_events())
    out = tmp_path / "ol.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(out), append=True)))
    for event in ours:
        rebuilt = event_v2.RunEvent(
            eventType=event_v2.RunState[event["eventType"]],
            eventTime=event["eventTime"],
            run=event_v2.Run(runId=event["run"]["runId"]),
            job=event_v2.Job(namespace=event["job"]["namespace"], name=event["job"]["name"]),
            inputs=[event_v2.InputDataset(namespace=d["namespace"], name=d["name"]) for d in event.get("inputs", [])],
            outputs=[event_v2.OutputDataset(namespace=d["namespace"], name=d["name"]) for d in event.get("outputs", [])],
            producer=event["producer"],
        )
        client.emit(rebuilt)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["run"]["runId"], e["eventType"]) for e in lines] == [(e["run"]["runId"], e["eventType"]) for e in ours]
    with lineage_nb.open_store(str(tmp_path / "other.db"), create=True) as copy:
        report = import_file(copy, out)
        assert report.errors == [] and report.accepted == len(ours)
        assert {r["name"] for r in list_artifacts(copy)} >= {"raw", "/tmp/lineage-nb-test/features"}


def test_importing_lineage_nb_pulls_in_nothing_heavy():
    code = "import sys, lineage_nb; print(sorted(m for m in ('ray','mlflow','openlineage','sqlalchemy','IPython','ipykernel','jupyter_client') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
