"""Ray Data capture on a real local Ray: every read and write, one child run per execution, via the store and CLI."""
from __future__ import annotations

import gc
import glob
import json
import os
import sqlite3
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest_ray import ray_local  # noqa: F401  (session-scoped fixture)
from olspec import event_errors, facet_errors

import lineage_nb
from lineage_nb.capture import ray_data, ray_paths, ray_plan
from lineage_nb.cli.main import main
from lineage_nb.core import errors
from lineage_nb.runtime.session import current_session

pytestmark = pytest.mark.usefixtures("ray_local")
ROWS = pd.DataFrame({"id": np.arange(6, dtype="int64"), "x": np.linspace(0.0, 1.0, 6)})


def _write_inputs(directory: Path, kind: str) -> None:
    """Two small files of one format in `directory`."""
    from PIL import Image

    directory.mkdir(parents=True)
    for i, part in enumerate((ROWS.iloc[:3], ROWS.iloc[3:])):
        path = directory / f"part{i}"
        if kind == "parquet":
            part.to_parquet(f"{path}.parquet")
        elif kind == "csv":
            part.to_csv(f"{path}.csv", index=False)
        elif kind == "json":
            part.to_json(f"{path}.json", orient="records", lines=True)
        elif kind == "text":
            Path(f"{path}.txt").write_text("a\nb\n")
        elif kind == "numpy":
            np.save(f"{path}.npy", np.arange(4))
        elif kind == "images":
            Image.new("RGB", (4, 4), (i, 0, 0)).save(f"{path}.png")
        elif kind == "binary":
            Path(f"{path}.bin").write_bytes(bytes([i, 1, 2]))


READERS = {
    "parquet": ("read_parquet", "*.parquet"),
    "csv": ("read_csv", "*.csv"),
    "json": ("read_json", "*.json"),
    "text": ("read_text", "*.txt"),
    "numpy": ("read_numpy", "*.npy"),
    "images": ("read_images", "*.png"),
    "binary": ("read_binary_files", "*.bin"),
}


def _ray_runs(store) -> dict[str, list[dict]]:
    """Events of Ray Data child runs, by run id, in order."""
    runs: dict[str, list[dict]] = {}
    for event in store.iter_events():
        execution = event["run"]["facets"].get("lineageNb_execution", {})
        if execution.get("activity") == ray_data.ACTIVITY:
            runs.setdefault(event["run"]["runId"], []).append(event)
    return runs


def _terminal(events: list[dict]) -> dict:
    ends = [e for e in events if e["eventType"] in ("COMPLETE", "FAIL", "ABORT")]
    assert len(ends) == 1, [e["eventType"] for e in events]
    return ends[0]


def _only_run(store) -> dict:
    runs = _ray_runs(store)
    assert len(runs) == 1, len(runs)
    return _terminal(next(iter(runs.values())))


def _ended_runs(store_path: Path, expected: int, timeout: float = 60.0) -> dict[str, list[dict]]:
    """Ray Data runs with a terminal event, polled: other processes and abandoned iterators end them later."""
    deadline = time.monotonic() + timeout
    while True:
        assert lineage_nb.flush()
        store = lineage_nb.open_store(str(store_path))
        try:
            ended = {k: v for k, v in _ray_runs(store).items() if any(e["eventType"] != "START" for e in v)}
        finally:
            store.close()
        if len(ended) >= expected or time.monotonic() > deadline:
            return ended
        gc.collect()
        time.sleep(0.2)


def _cli_json(capsys, store_path, *argv):
    capsys.readouterr()
    code = main(["--store", str(store_path), *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def capturing(store_path):
    assert lineage_nb.enable()
    yield
    lineage_nb.disable()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_each_reader_is_one_dataset_named_by_its_directory(kind, tmp_path, capturing, open_test_store):
    import ray

    directory = tmp_path / kind
    _write_inputs(directory, kind)
    reader, pattern = READERS[kind]
    read = getattr(ray.data, reader)
    files = sorted(glob.glob(str(directory / pattern)))
    for paths in (str(directory), files, sorted(glob.glob(str(directory / "part*")))):
        assert read(paths).take_all()

    store = open_test_store()
    terminals = [_terminal(events) for events in _ray_runs(store).values()]
    assert len(terminals) == 3
    for event in terminals:
        assert event["eventType"] == "COMPLETE"
        assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [("file", str(directory))]
        assert event["inputs"][0]["facets"]["storage"]["fileFormat"] == kind
        assert event_errors(event) == []
    versions = {e["inputs"][0]["facets"]["version"]["datasetVersion"] for e in terminals}
    assert len(versions) == 1, "the same files must give the same version, however they were named"
    if kind in ("parquet", "csv", "json"):
        fields = {(f["name"], f["type"]) for f in terminals[0]["inputs"][0]["facets"]["schema"]["fields"]}
        assert {n for n, _ in fields} == {"id", "x"} and ("id", "int64") in fields


WRITERS = {
    "parquet": lambda ds, path: ds.write_parquet(path),
    "csv": lambda ds, path: ds.write_csv(path),
    "json": lambda ds, path: ds.write_json(path),
    "numpy": lambda ds, path: ds.write_numpy(path, column="id"),
    "images": lambda ds, path: ds.write_images(path, column="image", file_format="png"),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_each_writer_names_its_output_directory(kind, tmp_path, capturing, open_test_store):
    import ray

    rows = [{"id": i, "image": np.zeros((2, 2, 3), dtype=np.uint8)} if kind == "images" else {"id": i, "x": i / 2} for i in range(3)]
    out = tmp_path / f"out_{kind}"
    WRITERS[kind](ray.data.from_items(rows), str(out))

    event = _only_run(open_test_store())
    assert event["eventType"] == "COMPLETE" and event["inputs"] == [], "in-memory sources are not datasets"
    assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [("file", str(out))]
    facets = event["outputs"][0]["facets"]
    assert facets["storage"]["fileFormat"] == kind
    assert facets["version"]["datasetVersion"], "a written directory gets a version from its files"
    assert event_errors(event) == []


def test_read_map_write_is_one_run_visible_in_the_cli(tmp_path, capturing, open_test_store, store_path, capsys):
    import ray

    source, out = tmp_path / "raw", tmp_path / "features"
    _write_inputs(source, "parquet")
    current_session().set_cell(7, "ray.data.read_parquet(raw).map(scale).write_parquet(features)")
    ray.data.read_parquet(str(source)).map(lambda r: {"id": r["id"], "x2": r["x"] * 2}).write_parquet(str(out))

    store = open_test_store()
    (events,) = _ray_runs(store).values()
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in store.iter_events():
        assert event_errors(event) == [], event["eventType"]
    complete = events[-1]
    session_run = current_session().workload.session_run_id
    assert complete["run"]["facets"]["parent"]["run"]["runId"] == session_run
    execution = complete["run"]["facets"]["lineageNb_execution"]
    assert execution["cellExecutionCount"] == 7 and "write_parquet" in execution["cellSource"]
    assert complete["run"]["facets"]["processing_engine"]["name"] == "ray"
    store.close()

    code, rows = _cli_json(capsys, store_path, "datasets")
    assert code == 0
    by_name = {r["name"]: r for r in rows}
    assert by_name[str(source)]["format"] == "parquet" and by_name[str(out)]["format"] == "parquet"
    workload = current_session().workload.name
    code, shown = _cli_json(capsys, store_path, "show", str(out))
    assert code == 0 and [_workload_of(w["name"]) for w in shown["upstream"]] == [workload], "the writer is a step of this session"
    assert all("parent" in w for w in shown["upstream"])
    assert {"name": "x2", "type": "double"} in shown["schema"], shown["schema"]
    code, shown = _cli_json(capsys, store_path, "show", str(source))
    assert code == 0 and [_workload_of(w["name"]) for w in shown["downstream"]] == [workload]


def test_a_failing_udf_gives_fail_with_the_error_message(tmp_path, capturing, open_test_store):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "csv")

    def explode(row):
        raise ValueError("udf exploded on purpose")

    with pytest.raises(Exception, match="udf exploded"):
        ray.data.read_csv(str(source)).map(explode).write_json(str(tmp_path / "never"))

    event = _only_run(open_test_store())
    assert event["eventType"] == "FAIL"
    assert "udf exploded on purpose" in event["run"]["facets"]["errorMessage"]["message"]
    assert [d["name"] for d in event["inputs"]] == [str(source)]


def test_early_stops_still_end_their_runs(tmp_path, capturing, store_path):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "csv")
    assert len(ray.data.read_csv(str(source)).take(3)) == 3
    assert len(ray.data.read_csv(str(source)).limit(2).take_all()) == 2
    for _ in ray.data.read_csv(str(source)).iter_rows():
        break  # an abandoned iterator: its run ends when Ray shuts the executor down

    runs = _ended_runs(store_path, 3, timeout=20)
    assert len(runs) == 3
    for events in runs.values():
        assert _terminal(events)["eventType"] == "COMPLETE"
        assert [d["name"] for d in _terminal(events)["inputs"]] == [str(source)]


def test_listing_only_is_not_consumption(tmp_path, capturing, open_test_store):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    assert ray.data.read_parquet(str(source)).count() == len(ROWS)
    event = _only_run(open_test_store())
    assert event["eventType"] == "COMPLETE" and event["inputs"] == [] and event["outputs"] == []


def test_read_sql_and_write_sql_are_named_by_their_connection(tmp_path, capturing, open_test_store):
    import ray

    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER, total REAL)")
        connection.execute("CREATE TABLE totals (id INTEGER, total REAL)")
        connection.executemany("INSERT INTO orders VALUES (?, ?)", [(1, 2.5), (2, 4.0)])
    connect = partial(sqlite3.connect, str(database))
    ray.data.read_sql("SELECT id, total FROM orders", connect).write_sql("INSERT INTO totals VALUES (?, ?)", connect)

    event = _only_run(open_test_store())
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [(f"sqlite://{database}", "orders")]
    assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [(f"sqlite://{database}", "totals")]


def test_sql_credentials_never_reach_the_dataset():
    import psycopg
    import ray

    url = "postgresql://analyst:hunter2@db.example:5432/shop"
    dataset = ray.data.read_sql("SELECT * FROM orders o JOIN customers c ON o.cid = c.id", lambda: psycopg.connect(url))
    found = ray_plan.artifacts_of_dataset(dataset)
    assert [(a.namespace, a.name) for a in found] == [
        ("postgres://db.example:5432", "shop.public.orders"),
        ("postgres://db.example:5432", "shop.public.customers"),
    ]
    assert "hunter2" not in repr(found) and "analyst" not in repr(found)


def test_artifacts_of_a_dataset_without_executing_it(tmp_path, store_path):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    dataset = ray.data.read_parquet(str(source)).map(lambda r: r)
    (found,) = ray_plan.artifacts_of_dataset(dataset)
    assert (found.location, found.format) == (str(source), "parquet")
    assert ("id", "int64") in found.schema
    assert ray_plan.artifacts_of_dataset(ray.data.from_items([{"a": 1}])) == []


def test_v2_listings_get_their_scheme_back():
    import fsspec
    from pyarrow.fs import FSSpecHandler, LocalFileSystem, PyFileSystem, S3FileSystem

    s3 = S3FileSystem(anonymous=True, region="us-east-1")
    memory = PyFileSystem(FSSpecHandler(fsspec.filesystem("memory")))
    assert ray_paths.with_scheme("bucket/raw/a.parquet", ray_paths.filesystem_type(s3)) == "s3://bucket/raw/a.parquet"
    assert ray_paths.with_scheme("bucket/raw", ray_paths.filesystem_type(memory)) == "memory://bucket/raw"
    assert ray_paths.with_scheme("/data/raw", ray_paths.filesystem_type(LocalFileSystem())) == "/data/raw"
    assert ray_paths.with_scheme("gs://b/k", "s3") == "gs://b/k"


def test_unknown_operators_and_non_string_paths_are_skipped(tmp_path, capturing, open_test_store):
    import ray
    from ray.data import Datasink

    class OddSink(Datasink):
        unresolved_path = 42  # not a path: names nothing

        def write(self, blocks, ctx):
            return sum(1 for _ in blocks)

    ray.data.from_items([{"a": 1}, {"a": 2}]).write_datasink(OddSink())
    assert ray_plan.artifacts([object(), None, "Read"]).inputs == []
    assert ray_paths.strings([None, 3, Path("/d/a.csv"), "", "/d/b.csv"]) == ["/d/a.csv", "/d/b.csv"]
    event = _only_run(open_test_store())
    assert event["eventType"] == "COMPLETE" and event["outputs"] == []
    assert errors.error_counts() == {}


def test_a_callback_failure_leaves_the_pipeline_result_identical(tmp_path, store_path, monkeypatch):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "csv")

    def pipeline():
        return sorted(r["y"] for r in ray.data.read_csv(str(source)).map(lambda r: {"y": r["x"] + r["id"]}).take_all())

    expected = pipeline()

    def broken(op, found):
        raise RuntimeError("extractor bug on purpose")

    monkeypatch.setitem(ray_plan.EXTRACTORS, "Read", broken)
    monkeypatch.setattr(ray_data, "_run_context", lambda: (_ for _ in ()).throw(RuntimeError("context bug on purpose")))
    assert lineage_nb.enable()
    assert pipeline() == expected
    assert errors.error_counts().get("ray_data") == 1

    monkeypatch.setattr(ray_data, "_run_context", ray_data.RunContext)
    assert pipeline() == expected
    assert lineage_nb.flush()
    assert errors.error_counts().get("ray_data plan", 0) >= 1


def test_strict_mode_names_the_cause(tmp_path, store_path, monkeypatch):
    import ray

    def broken(op, found):
        raise RuntimeError("extractor bug on purpose")

    monkeypatch.setitem(ray_plan.EXTRACTORS, "Read", broken)
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    source = tmp_path / "raw"
    _write_inputs(source, "csv")
    assert lineage_nb.enable()
    assert ray.data.read_csv(str(source)).take_all()
    with pytest.raises(errors.LineageError, match="extractor bug on purpose"):
        lineage_nb.flush()


def test_disabled_registers_nothing_and_emits_nothing(tmp_path, store_path, monkeypatch):
    import ray

    monkeypatch.setenv("LINEAGE_NB_ENABLED", "false")
    source = tmp_path / "raw"
    _write_inputs(source, "csv")
    assert lineage_nb.enable() is False
    assert ray_data.install() is False
    assert ray_data.CALLBACK_PATH not in os.environ.get(ray_data.ENV_VAR, "")
    ray.data.read_csv(str(source)).write_parquet(str(tmp_path / "out"))
    assert lineage_nb.flush()
    assert not store_path.exists() or list(lineage_nb.open_store(str(store_path)).iter_events()) == []


def test_registration_appends_once_and_uninstall_keeps_other_callbacks(store_path, monkeypatch):
    monkeypatch.setenv(ray_data.ENV_VAR, "team.callbacks.Audit")
    assert ray_data.install() and ray_data.install()
    assert os.environ[ray_data.ENV_VAR] == f"team.callbacks.Audit,{ray_data.CALLBACK_PATH}"
    ray_data.uninstall()
    assert os.environ[ray_data.ENV_VAR] == "team.callbacks.Audit"
    monkeypatch.delenv(ray_data.ENV_VAR)
    ray_data.install()
    ray_data.uninstall()
    assert ray_data.ENV_VAR not in os.environ


def test_an_unverified_ray_is_not_captured_and_warned_about_once(caplog):
    assert ray_data._ray_supported("2.60.0") and ray_data._ray_supported("2.60.3rc1")
    with caplog.at_level("WARNING", logger="lineage_nb"):
        assert not ray_data._ray_supported("2.99.0")
        assert not ray_data._ray_supported("2.99.0")
        assert not ray_data._ray_supported("2.59.1")
    assert len([r for r in caplog.records if "2.99.0" in r.getMessage()]) == 1
    assert not ray_data._ray_supported(None)


PIPELINE_LINE = "ray.data.read_csv(sys.argv[1]).write_parquet(sys.argv[2])"
SCRIPT = f"""import sys
import lineage_nb
assert lineage_nb.enable()
import ray  # not initialised here: Ray Data initialises it (joining the cluster in RAY_ADDRESS)

{PIPELINE_LINE}
"""


def test_a_script_with_implicit_ray_init_is_captured(tmp_path, store_path, ray_local):
    import subprocess
    import sys

    source, out, script = tmp_path / "raw", tmp_path / "out", tmp_path / "etl.py"
    _write_inputs(source, "csv")
    script.write_text(SCRIPT)
    env = {**os.environ, "LINEAGE_NB_STORE": str(store_path), "RAY_ADDRESS": ray_local.get_runtime_context().gcs_address}
    env.pop(ray_data.ENV_VAR, None)
    done = subprocess.run([sys.executable, str(script), str(source), str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]

    (events,) = _ended_runs(store_path, 1, timeout=10).values()
    complete = _terminal(events)
    line = SCRIPT.splitlines().index(PIPELINE_LINE) + 1
    assert complete["job"]["name"] == f"{script}:{line}", "a script's step is its calling line"
    assert complete["job"]["facets"]["lineageNb_step"]["stepType"] == "line"
    assert complete["run"]["facets"]["parent"]["job"]["name"] == str(script)
    execution = complete["run"]["facets"]["lineageNb_execution"]
    assert execution["scriptPath"] == str(script)
    assert execution["scriptLine"] == SCRIPT.splitlines().index(PIPELINE_LINE) + 1
    assert [d["name"] for d in complete["inputs"]] == [str(source)]
    assert [d["name"] for d in complete["outputs"]] == [str(out)]
    assert {(f["name"], f["type"]) for f in complete["outputs"][0]["facets"]["schema"]["fields"]} == {("id", "int64"), ("x", "double")}


WORKERS_SCRIPT = """import sys
from lineage_nb.capture.ray_data import worker_runtime_env
import ray

# no lineage_nb.enable() in this driver: every captured run comes from a Ray worker process
ray.init(runtime_env=worker_runtime_env())
source, out = sys.argv[1], sys.argv[2]
left, right = ray.data.read_csv(source).streaming_split(2)  # executed by its coordinator actor


@ray.remote(num_cpus=0)
def consume(shard):
    return sum(1 for _ in shard.iter_rows())


@ray.remote(num_cpus=0)
def task_pipeline(source, out):
    ray.data.read_csv(source).write_parquet(out)


print(sum(ray.get([consume.remote(left), consume.remote(right)])))
ray.get(task_pipeline.remote(source, out))
"""


def test_pipelines_in_ray_workers_reach_the_driver_store_and_session(tmp_path, store_path, ray_local):
    """A Ray task running a pipeline, and the streaming_split coordinator actor, both capture via runtime_env."""
    import subprocess
    import sys

    source, out, script = tmp_path / "raw", tmp_path / "from_task", tmp_path / "workers.py"
    _write_inputs(source, "csv")
    script.write_text(WORKERS_SCRIPT)
    env = {**os.environ, "LINEAGE_NB_STORE": str(store_path), "RAY_ADDRESS": ray_local.get_runtime_context().gcs_address}
    env.pop(ray_data.ENV_VAR, None)
    done = subprocess.run([sys.executable, str(script), str(source), str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == str(len(ROWS))

    ended = [_terminal(events) for events in _ended_runs(store_path, 2).values()]
    assert sorted(len(e["outputs"]) for e in ended) == [0, 1]
    store = lineage_nb.open_store(str(store_path))
    driver_sessions = {e["run"]["runId"] for e in store.iter_events() if "parent" not in e["run"]["facets"]}
    store.close()
    for complete in ended:
        assert complete["eventType"] == "COMPLETE" and complete["job"]["name"] == f"{script}::worker"
        assert complete["run"]["facets"]["parent"]["job"]["name"] == str(script)
        assert {complete["run"]["facets"]["parent"]["run"]["runId"]} == driver_sessions
        assert [d["name"] for d in complete["inputs"]] == [str(source)]
    assert [d["name"] for e in ended for d in e["outputs"]] == [str(out)]


def _workload_of(step: str) -> str:
    """A script's step is `<script>:<line>`; the script is the workload."""
    return step.rsplit(":", 1)[0]


# ---- held-data facts for cell-level lineage ------------------------------------------------------

@pytest.fixture
def ray_facts(capturing, monkeypatch):
    """The ActivityFact of every Ray Data execution, complete once the emitter has drained."""
    from lineage_nb.runtime.session import Session

    facts = []
    start = Session.start_child_run

    def recording(self, fact):
        if fact.activity == ray_data.ACTIVITY:
            facts.append(fact)
        return start(self, fact)

    monkeypatch.setattr(Session, "start_child_run", recording)
    return facts


def _flags(facts) -> tuple[bool, bool]:
    assert lineage_nb.flush(timeout=30)
    assert len(facts) == 1, [f.inputs for f in facts]
    return facts[0].holds, facts[0].python_built


def _udf_expr():
    import pyarrow.compute as pc
    from ray.data.datatype import DataType
    from ray.data.expressions import udf

    @udf(return_dtype=DataType.float64())
    def doubled(x):
        return pc.multiply(x, 2)

    return doubled


HOLDING = {
    "to_pandas": lambda ds: ds.to_pandas(),
    "take": lambda ds: ds.take(2),
    "take_all": lambda ds: ds.take_all(),
    "iter_rows": lambda ds: list(ds.iter_rows()),
    "iter_batches": lambda ds: list(ds.iter_batches(batch_size=2)),
    "materialize": lambda ds: ds.materialize(),
    "show": lambda ds: ds.show(2),
    "schema_of_a_map": lambda ds: ds.map(lambda r: r).schema(),
    "count_of_a_filter": lambda ds: ds.filter(lambda r: r["x"] > 0.5).count(),
}


@pytest.mark.parametrize("call", sorted(HOLDING))
def test_an_execution_not_ending_in_a_write_holds_its_inputs(call, tmp_path, ray_facts):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    HOLDING[call](ray.data.read_parquet(str(source)))
    holds, _ = _flags(ray_facts)
    assert holds
    assert [a.location for a in ray_facts[0].inputs] == [str(source)]


def _from_arrow():
    import pyarrow as pa
    import ray

    return ray.data.from_arrow(pa.table({"id": [1, 2]}))


PYTHON_BUILT = {
    "map": lambda read: read().map(lambda r: {"id": r["id"]}),
    "map_batches": lambda read: read().map_batches(lambda b: b),
    "flat_map": lambda read: read().flat_map(lambda r: [r, r]),
    "filter_fn": lambda read: read().filter(lambda r: r["x"] > 0.2),
    "add_column": lambda read: read().add_column("y", lambda b: b["x"] * 2),
    "with_column_udf": lambda read: read().with_column("y", _udf_expr()(__import__("ray").data.expressions.col("x"))),
    "from_items": lambda read: __import__("ray").data.from_items([{"id": 1}]),
    "from_pandas": lambda read: __import__("ray").data.from_pandas(ROWS),
    "from_numpy": lambda read: __import__("ray").data.from_numpy(np.arange(3)),
    "from_arrow": lambda read: _from_arrow(),
}
NOT_PYTHON_BUILT = {
    "read_write": lambda read: read(),
    "select_rename_expression_filter": lambda read: read()
    .select_columns(["id", "x"])
    .rename_columns({"x": "value"})
    .filter(expr=__import__("ray").data.expressions.col("value") > 0.2),
    "drop_columns": lambda read: read().drop_columns(["x"]),
    "with_column_expression": lambda read: read().with_column("y", __import__("ray").data.expressions.col("x") * 2),
    "sort_limit_repartition": lambda read: read().sort("x").limit(4).repartition(2),
    "materialized_read": lambda read: read().materialize(),
}


@pytest.mark.parametrize("pipeline", sorted(PYTHON_BUILT) + sorted(NOT_PYTHON_BUILT))
def test_a_write_is_python_built_when_its_plan_runs_python_or_starts_in_memory(pipeline, tmp_path, ray_facts):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    build = PYTHON_BUILT.get(pipeline) or NOT_PYTHON_BUILT[pipeline]
    dataset = build(lambda: ray.data.read_parquet(str(source)))
    ray_facts.clear()  # a materialize() while building is an execution of its own
    dataset.write_parquet(str(tmp_path / "out"))
    holds, python_built = _flags(ray_facts)
    assert not holds, "an execution ending in a write holds nothing"
    assert python_built == (pipeline in PYTHON_BUILT)
    assert [a.location for a in ray_facts[0].outputs] == [str(tmp_path / "out")]


def test_ray_helpers_are_not_user_code_unless_they_wrap_a_user_callable():
    import ray
    from ray.data.dataset import Dataset

    from lineage_nb.capture import ray_python

    assert not ray_python.is_user_function(Dataset.drop_columns)
    assert ray_python.is_user_function(lambda batch: batch)
    assert ray_python.is_user_function(partial(np.add, 1))
    plan = ray_plan.dataset_operators(ray.data.from_items([{"a": 1}]).add_column("b", lambda b: b["a"]))
    assert [type(op).__name__ for op in plan if ray_python.runs_user_code(op)] == ["MapBatches"]


# ---- exact schemas (issue 15) ---------------------------------------------------------------------

def _fields(dataset: dict, facet: str = "schema") -> list[str] | None:
    found = dataset.get("facets", {}).get(facet)
    return [f["name"] for f in found["fields"]] if found else None


def _columns_read(dataset: dict) -> list[str] | None:
    facet = dataset.get("inputFacets", {}).get("lineageNb_columnsRead")
    if facet is None:
        return None
    assert facet_errors(facet) == [], facet
    return [f["name"] for f in facet["fields"]]


def _completes(store) -> list[dict]:
    """Terminal events of the Ray Data runs, in the order the runs started."""
    return [_terminal(events) for events in _ray_runs(store).values()]


def test_a_projected_read_records_its_columns_on_the_input_edge_not_the_dataset_schema(
    tmp_path, capturing, open_test_store, store_path, capsys
):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    assert ray.data.read_parquet(str(source)).take_all()
    assert ray.data.read_parquet(str(source), columns=["id"]).take_all()
    assert ray.data.read_parquet(str(source)).select_columns(["x"]).take_all()

    full, by_argument, by_select = _completes(open_test_store())
    assert _fields(full["inputs"][0]) == ["id", "x"] and _columns_read(full["inputs"][0]) is None
    for event, columns in ((by_argument, ["id"]), (by_select, ["x"])):
        (read,) = event["inputs"]
        assert "schema" not in read["facets"], "a projection is not the dataset's schema"
        assert _columns_read(read) == columns
        assert event_errors(event) == []
    code, shown = _cli_json(capsys, store_path, "show", str(source))
    assert code == 0 and [f["name"] for f in shown["schema"]] == ["id", "x"], "the stored schema is the full one"


def _joined(read):

    return read("left").join(read("right"), join_type="inner", num_partitions=2, on=("id",))


WRITTEN_SCHEMAS = {
    "join_parquet": (lambda read: _joined(read).write_parquet, ["id", "x", "k", "y"]),
    "groupby_sum_parquet": (lambda read: read("right").groupby("k").sum("y").write_parquet, ["k", "sum(y)"]),
    "rename_json": (lambda read: read("left").rename_columns({"x": "value"}).write_json, ["id", "value"]),
    "select_csv": (lambda read: read("right").select_columns(["y", "id"]).write_csv, ["y", "id"]),
}


@pytest.mark.parametrize("case", sorted(WRITTEN_SCHEMAS))
def test_an_output_schema_is_the_written_files_schema(case, tmp_path, capturing, open_test_store):
    import ray

    left, right = tmp_path / "left", tmp_path / "right"
    _write_inputs(left, "parquet")
    right.mkdir()
    pd.DataFrame({"id": np.arange(6, dtype="int64"), "k": np.arange(6) % 2, "y": np.arange(6) * 1.5}).to_parquet(right / "part.parquet")
    writer, expected = WRITTEN_SCHEMAS[case]
    out = tmp_path / "out"
    writer(lambda name: ray.data.read_parquet(str(tmp_path / name)))(str(out))

    (event,) = _completes(open_test_store())
    assert event["eventType"] == "COMPLETE", event["run"]["facets"].get("errorMessage")
    (written,) = event["outputs"]
    assert written["name"] == str(out)
    assert sorted(_fields(written)) == sorted(expected)
    assert event_errors(event) == []


def test_a_fused_read_records_the_schema_the_read_produced(tmp_path, capturing, open_test_store):
    import ray

    images, rows = tmp_path / "images", tmp_path / "rows"
    _write_inputs(images, "images")
    _write_inputs(rows, "csv")
    ray.data.read_images(str(images), include_paths=True).map(lambda r: {"path": r["path"], "red": int(r["image"][0, 0, 0])}).materialize()
    ray.data.read_csv(str(rows)).write_parquet(str(tmp_path / "out"))

    fused_map, fused_write = _completes(open_test_store())
    assert sorted(_fields(fused_map["inputs"][0])) == ["image", "path"]
    assert _fields(fused_write["inputs"][0]) == ["id", "x"]


# ---- links ----------------------------------------------------------------------------------------

def test_writing_a_materialized_dataset_names_its_sources(tmp_path, ray_facts, open_test_store):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    built = ray.data.read_parquet(str(source)).map(lambda r: {"id": r["id"], "x2": r["x"] * 2}).materialize()
    read_only = ray.data.read_parquet(str(source)).materialize()
    in_memory = ray.data.from_pandas(ROWS).materialize()
    for name, dataset in (("built", built), ("read_only", read_only), ("in_memory", in_memory)):
        dataset.write_parquet(str(tmp_path / name))

    assert lineage_nb.flush(timeout=30)
    writes = {f.outputs[0].location: f for f in ray_facts if f.outputs}
    assert [a.location for a in writes[str(tmp_path / "built")].inputs] == [str(source)]
    assert [a.location for a in writes[str(tmp_path / "read_only")].inputs] == [str(source)]
    assert writes[str(tmp_path / "in_memory")].inputs == []
    assert writes[str(tmp_path / "built")].python_built, "the map that built it ran before materialize()"
    assert not writes[str(tmp_path / "read_only")].python_built
    assert writes[str(tmp_path / "in_memory")].python_built
    completes = {e["outputs"][0]["name"]: e for e in _completes(open_test_store()) if e["outputs"]}
    lineage = completes[str(tmp_path / "built")]["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert lineage["x2"]["inputFields"] == [] and lineage["x2"]["transformationType"] == "UNKNOWN"


def test_reading_two_directories_is_two_datasets(tmp_path, capturing, open_test_store):
    import ray

    first, second = tmp_path / "january", tmp_path / "february"
    _write_inputs(first, "csv")
    _write_inputs(second, "csv")
    assert len(ray.data.read_csv([str(first), str(second)]).take_all()) == 2 * len(ROWS)

    (event,) = _completes(open_test_store())
    assert [d["name"] for d in event["inputs"]] == [str(first), str(second)]
    versions = [d["facets"]["version"]["datasetVersion"] for d in event["inputs"]]
    assert len(set(versions)) == 2, "each directory is versioned by its own files"


def test_inputs_and_outputs_are_deduplicated(tmp_path, capturing, open_test_store):
    import ray

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    spellings = (str(source), f"{source}/", f"{tmp_path}/./raw")
    union = ray.data.read_parquet(spellings[0]).select_columns(["id"])
    for spelling in spellings[1:]:
        union = union.union(ray.data.read_parquet(spelling))
    assert len(union.take_all()) == 3 * len(ROWS)

    (event,) = _completes(open_test_store())
    (read,) = event["inputs"]
    assert read["name"] == str(source)
    assert _fields(read) == ["id", "x"] and _columns_read(read) is None, "one read read every column"


def test_a_relative_write_is_named_where_ray_workers_wrote_it(tmp_path, capturing, open_test_store, monkeypatch):
    import ray

    worker_cwd = ray.get(ray.remote(lambda: os.getcwd()).remote())
    relative = f"lineage-nb-test-{tmp_path.name}"
    monkeypatch.chdir(tmp_path)  # the driver moves; Ray's workers do not
    try:
        ray.data.from_items([{"a": 1}, {"a": 2}]).write_parquet(relative)
        (event,) = _completes(open_test_store())
        (written,) = event["outputs"]
        assert written["name"] == os.path.join(worker_cwd, relative)
        assert glob.glob(os.path.join(written["name"], "*.parquet")), "the files are where the event says"
        assert written["facets"]["version"]["datasetVersion"]
    finally:
        import shutil

        shutil.rmtree(os.path.join(worker_cwd, relative), ignore_errors=True)


# ---- column lineage ---------------------------------------------------------------------------------

def _lineage(event: dict) -> dict[str, list[tuple[str, str, str]]]:
    """Written column -> [(input dataset name, field, subtype)]; None for a column of unknown inputs."""
    fields = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    return {
        column: None if spec.get("transformationType") == "UNKNOWN"
        else [(f["name"], f["field"], f["transformations"][0]["subtype"]) for f in spec["inputFields"]]
        for column, spec in fields.items()
    }


def test_column_lineage_through_projections_renames_and_expressions(tmp_path, capturing, open_test_store):
    import ray
    from ray.data.expressions import col

    source = tmp_path / "raw"
    _write_inputs(source, "parquet")
    (
        ray.data.read_parquet(str(source))
        .select_columns(["id", "x"])
        .rename_columns({"x": "value"})
        .with_column("doubled", col("value") * 2)
        .write_parquet(str(tmp_path / "projected"))
    )
    ray.data.read_parquet(str(source)).drop_columns(["x"]).add_column("twice", lambda b: b["id"] * 2).write_parquet(str(tmp_path / "added"))
    ray.data.read_parquet(str(source)).map(lambda r: {"id": r["id"]}).write_parquet(str(tmp_path / "mapped"))

    projected, added, mapped = _completes(open_test_store())
    raw = str(source)
    assert _lineage(projected) == {
        "id": [(raw, "id", "IDENTITY")],
        "value": [(raw, "x", "IDENTITY")],
        "doubled": [(raw, "x", "TRANSFORMATION")],
    }
    assert _lineage(added) == {"id": [(raw, "id", "IDENTITY")], "twice": None}
    assert _lineage(mapped) == {"id": None}, "a Python function's output is not guessed"
    assert "Python function" in mapped["outputs"][0]["facets"]["columnLineage"]["fields"]["id"]["transformationDescription"]
    for event in (projected, added, mapped):
        assert event_errors(event) == []


def test_column_lineage_through_joins_and_aggregations(tmp_path, capturing, open_test_store):
    import ray

    left, right = tmp_path / "left", tmp_path / "right"
    _write_inputs(left, "parquet")
    right.mkdir()
    pd.DataFrame({"id": np.arange(6, dtype="int64"), "k": np.arange(6) % 2, "y": np.arange(6) * 1.5}).to_parquet(right / "part.parquet")
    _joined(lambda name: ray.data.read_parquet(str(tmp_path / name))).write_parquet(str(tmp_path / "joined"))
    ray.data.read_parquet(str(right)).groupby("k").sum("y").write_parquet(str(tmp_path / "summed"))

    joined, summed = _completes(open_test_store())
    assert _lineage(joined) == {
        "id": [(str(left), "id", "IDENTITY"), (str(right), "id", "IDENTITY")],
        "x": [(str(left), "x", "IDENTITY")],
        "k": [(str(right), "k", "IDENTITY")],
        "y": [(str(right), "y", "IDENTITY")],
    }
    assert _lineage(summed) == {"k": [(str(right), "k", "IDENTITY")], "sum(y)": [(str(right), "y", "AGGREGATION")]}


def test_dataset_locations_keep_directories_apart_and_files_together(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for path in (first / "1.csv", first / "2.csv", second / "3.csv"):
        path.write_text("x\n1\n")
    locations = ray_paths.dataset_locations
    assert locations([str(first), str(second)]) == [str(first), str(second)]
    assert locations([str(first / "1.csv"), str(first / "2.csv")]) == [str(first)]
    assert locations([str(first / "1.csv"), str(first / "2.csv"), str(second)]) == [str(first), str(second)]
    assert locations([f"{tmp_path}/t/k=1/p.parquet", f"{tmp_path}/t/k=2/q.parquet"]) == [f"{tmp_path}/t"]
    assert locations(["s3://b/train", "s3://b/test"]) == ["s3://b/train", "s3://b/test"]
    assert locations(["s3://b/raw/x.parquet", "s3://b/raw/y.parquet"]) == ["s3://b/raw"]
    assert ray_paths.owning_location("s3://b/raw/x.parquet", ["s3://b/ra", "s3://b/raw"]) == "s3://b/raw"
