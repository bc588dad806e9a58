"""pandas capture against real pandas files: every supported reader and writer, buffers, failures,
and what each call means for the data held in the process. Results are read back from the store."""
from __future__ import annotations

import io
import os
from collections import defaultdict

import pandas as pd
import pytest
from olspec import event_errors

import lineage_nb
from lineage_nb.capture import pandas as pandas_hook
from lineage_nb.capture import recording
from lineage_nb.core import errors
from lineage_nb.runtime.session import Session

FORMATS = [  # (writer, reader, file name, writer options, the stored format)
    ("to_csv", "read_csv", "frame.csv", {"index": False}, "csv"),
    ("to_parquet", "read_parquet", "frame.parquet", {}, "parquet"),
    ("to_json", "read_json", "frame.json", {}, "json"),
    ("to_excel", "read_excel", "frame.xlsx", {"index": False}, "excel"),
    ("to_feather", "read_feather", "frame.feather", {}, "arrow"),
]


@pytest.fixture
def captured(store_path):
    assert lineage_nb.enable()
    assert pandas_hook.is_installed()
    yield


@pytest.fixture
def facts(monkeypatch):
    """The ActivityFacts the hooks hand to the session, in order."""
    recorded = []
    original = Session.record
    monkeypatch.setattr(Session, "record", lambda self, fact, *a, **k: (recorded.append(fact), original(self, fact, *a, **k))[1])
    return recorded


def child_runs(store) -> list[dict]:
    """Terminal events of the child runs, in order, each run with exactly one START; all valid OpenLineage."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for event in store.iter_events():
        assert event_errors(event) == [], event
        if "parent" in event["run"]["facets"]:
            runs[event["run"]["runId"]].append(event)
    for events in runs.values():
        assert sorted(e["eventType"] for e in events) in (["COMPLETE", "START"], ["FAIL", "START"]), events
    terminal = [next(e for e in events if e["eventType"] != "START") for events in runs.values()]
    return sorted(terminal, key=lambda e: e["eventTime"])


def summary(dataset: dict) -> tuple:
    facets = dataset["facets"]
    return (dataset["namespace"], dataset["name"], facets.get("storage", {}).get("fileFormat"),
            [(f["name"], f["type"]) for f in facets.get("schema", {}).get("fields", [])])


def activity(event: dict) -> str:
    return event["run"]["facets"]["lineageNb_execution"]["activity"]


@pytest.mark.parametrize(("writer", "reader", "file_name", "options", "file_format"), FORMATS, ids=[f[2] for f in FORMATS])
def test_a_write_then_a_read_name_the_same_file_with_its_schema(captured, facts, tmp_path, open_test_store, writer, reader, file_name, options, file_format):
    frame = pd.DataFrame({"user": [1, 2, 3], "score": [0.5, 0.25, 1.0]})
    path = tmp_path / file_name
    getattr(frame, writer)(path, **options)
    back = getattr(pd, reader)(path)
    back["added_later"] = 1  # a change after the read is not the file's schema

    store = open_test_store()
    written, read = child_runs(store)
    assert (activity(written), activity(read)) == (f"pandas.{writer}", f"pandas.{reader}")
    assert (written["inputs"], read["outputs"]) == ([], [])
    expected = ("file", str(path), file_format, [("user", "int64"), ("score", "float64")])
    assert [summary(d) for d in written["outputs"]] == [summary(d) for d in read["inputs"]] == [expected]
    assert written["run"]["facets"]["processing_engine"]["name"] == "pandas"
    assert [(f.holds, f.python_built) for f in facts] == [(False, True), (True, False)]


def test_buffers_and_literal_data_are_no_artifacts_and_record_nothing(captured, facts, tmp_path, open_test_store):
    frame = pd.DataFrame({"a": [1, 2]})
    text = io.StringIO()
    frame.to_csv(text, index=False)
    assert pd.read_csv(io.StringIO(text.getvalue()))["a"].tolist() == [1, 2]
    frame.to_parquet(buffer := io.BytesIO())
    assert pd.read_parquet(io.BytesIO(buffer.getvalue()))["a"].tolist() == [1, 2]
    assert frame.to_json() == '{"a":{"0":1,"1":2}}'  # no path: the text is returned

    assert facts == [] and child_runs(open_test_store()) == [] and errors.error_counts() == {}


def test_an_open_file_is_named_by_its_path_and_relative_paths_by_where_they_were_opened(captured, tmp_path, monkeypatch, open_test_store):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"a": [1]}).to_csv("relative.csv", index=False)
    with open("relative.csv") as handle:
        pd.read_csv(handle)
    monkeypatch.chdir("/")  # the working directory changes before the emitter names anything

    written, read = child_runs(open_test_store())
    assert written["outputs"][0]["name"] == read["inputs"][0]["name"] == str(tmp_path / "relative.csv")


def test_a_failing_read_is_a_failed_run_and_the_exception_is_unchanged(captured, tmp_path, open_test_store):
    missing = tmp_path / "missing.csv"
    with pytest.raises(FileNotFoundError) as captured_failure:
        pd.read_csv(missing)
    lineage_nb.disable()
    with pytest.raises(FileNotFoundError) as plain_failure:
        pd.read_csv(missing)
    assert str(captured_failure.value) == str(plain_failure.value)

    (failed,) = child_runs(open_test_store())
    assert failed["eventType"] == "FAIL" and failed["inputs"][0]["name"] == str(missing)
    assert "FileNotFoundError" in failed["run"]["facets"]["errorMessage"]["message"]


def test_a_broken_hook_changes_neither_results_nor_exceptions(captured, tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "current_session", lambda: (_ for _ in ()).throw(RuntimeError("simulated hook failure")))
    frame = pd.DataFrame({"a": [1, 2]})
    frame.to_csv(tmp_path / "x.csv", index=False)
    assert pd.read_csv(tmp_path / "x.csv").equals(frame)
    with pytest.raises(FileNotFoundError):
        pd.read_csv(tmp_path / "missing.csv")
    assert errors.error_counts() == {"pandas to_csv": 1, "pandas read_csv": 2}


def test_io_inside_a_captured_mlflow_call_is_part_of_that_call(captured, tmp_path, open_test_store, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        experiment = mlflow.create_experiment("pandas-inside", artifact_location=str(tmp_path / "artifacts"))
        with mlflow.start_run(experiment_id=experiment):
            mlflow.log_table(pd.DataFrame({"a": [1]}), "table.json")  # MLflow writes it with pandas
    finally:
        mlflow.set_tracking_uri(None)
    assert [activity(e) for e in child_runs(open_test_store())] == ["mlflow.log_table"]


def test_s3_and_other_uris_are_named_by_the_openlineage_naming_spec():
    assert pandas_hook.location("s3://bucket/key.csv") == "s3://bucket/key.csv"
    assert pandas_hook.location(os.path.join("a", "b.csv")) == os.path.abspath(os.path.join("a", "b.csv"))
    assert pandas_hook.location('{"a": 1}') is None and pandas_hook.location("a,b\n1,2\n") is None


def test_events_waiting_in_the_queue_keep_no_frame_alive(captured, tmp_path):
    import gc
    import weakref

    from lineage_nb.runtime import emitter

    waiting = emitter.Emitter()
    waiting._queue._ensure_thread = lambda: None  # no thread: every event stays queued
    emitter.set_emitter(waiting)
    frame = pd.DataFrame({"a": [1, 2]})
    frame.to_csv(tmp_path / "x.csv", index=False)
    read = pd.read_csv(tmp_path / "x.csv")
    assert waiting.pending() == 2, "two calls, each one queue item (its description, START and COMPLETE)"
    refs = [weakref.ref(frame), weakref.ref(read)]
    del frame, read
    gc.collect()
    assert all(ref() is None for ref in refs), "a queued event holds the frame"
