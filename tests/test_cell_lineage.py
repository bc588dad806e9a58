"""Lineage true down to the cell: steps, held data and inferred inputs, evidence on edges, and old stores migrated.

The session, the emitter, the events and the store are the real ones; the calls are plain facts, as
the Ray Data, MLflow and pandas hooks report them (their own tests drive the real libraries).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from olspec import event_errors

import lineage_nb
from lineage_nb.core.facts import ActivityFact, ArtifactFact
from lineage_nb.query.local import LocalQueryService
from lineage_nb.runtime import session as session_module
from lineage_nb.runtime.workload import Workload

FIXTURES = Path(__file__).parent / "fixtures"
WORK = "/home/user/work"
MODEL = ("mlflow:///home/user/work/mlflow.db", "m-0123abcd")


def names(reached: dict) -> set[str]:
    return {a["name"].rsplit("/", 1)[-1] for a in reached["artifacts"]}


def model_fact() -> ArtifactFact:
    return ArtifactFact(namespace=MODEL[0], name=MODEL[1], kind="model")


@pytest.fixture
def notebook(store_path, tmp_path, monkeypatch):
    """A notebook session (as the magic starts one) whose cells are run by `cell(n, source, *facts)`."""
    path = str(tmp_path / "analysis.ipynb")
    monkeypatch.setattr(session_module, "detect_workload", lambda: Workload("lineage_nb", path, "notebook", source_path=path))
    lineage_nb.enable()
    session = session_module.current_session()

    def cell(count: int, source: str, *facts: ActivityFact, cell_id: str | None = None) -> None:
        session.set_cell(count, source, cell_id or f"cell-{count}")
        for fact in facts:
            fact.context = session.context()
            session.record(fact)

    yield cell
    lineage_nb.disable()


def quickstart(cell) -> None:
    """The quickstart's shape: raw.csv written from pandas, features by Ray with a Python function, a model
    trained on features read into pandas, predictions scored with the loaded model."""
    raw, features, predictions = (ArtifactFact(location=f"{WORK}/{n}") for n in ("raw.csv", "features", "predictions"))
    cell(2, "raw.to_csv(raw_path)", ActivityFact("pandas.to_csv", outputs=[raw], python_built=True))
    cell(3, "features = raw_ds.map_batches(f)\nfeatures.write_parquet(p)", ActivityFact("ray_data.execute", inputs=[raw], outputs=[features], python_built=True))
    cell(4, "train = ray.data.read_parquet(p).to_pandas()\nmlflow.sklearn.log_model(...)",
         ActivityFact("ray_data.execute", inputs=[features], holds=True),
         ActivityFact("mlflow.log_model", outputs=[model_fact()], python_built=True))
    cell(5, "scorer = mlflow.sklearn.load_model(uri)",
         ActivityFact("mlflow.load_model", inputs=[model_fact()], holds=True),
         ActivityFact("ray_data.execute", inputs=[features], outputs=[predictions], python_built=True))


@pytest.fixture
def answers(notebook, open_test_store):
    quickstart(notebook)
    with LocalQueryService(open_test_store()) as service:
        yield service


def reach(service, ref, flow, **options) -> dict:
    return service.transitive(service.resolve_artifact(ref)["id"], flow, **options)


def model_ref() -> dict:
    return {"namespace": MODEL[0], "name": MODEL[1]}


def test_the_quickstart_answers_exactly(answers):
    model = answers.resolve_artifact(**model_ref())["id"]
    assert names(reach(answers, f"{WORK}/features", "up")) == {"raw.csv"}
    assert names(answers.transitive(model, "up")) == {"features", "raw.csv"}
    assert names(reach(answers, f"{WORK}/predictions", "up")) == {"features", MODEL[1], "raw.csv"}
    assert names(reach(answers, f"{WORK}/raw.csv", "down")) == {"features", MODEL[1], "predictions"}
    assert names(answers.transitive(model, "down")) == {"predictions"}
    assert names(reach(answers, f"{WORK}/features", "down")) == {MODEL[1], "predictions"}


def test_evidence_and_distance_of_what_is_reached(notebook, open_test_store):
    """Held in one cell, written from Python in another: the second cell's input is inferred, not direct."""
    quickstart(notebook)
    report = ArtifactFact(location=f"{WORK}/report.csv")
    notebook(6, "df = read_parquet(predictions)", ActivityFact("pandas.read_parquet", inputs=[ArtifactFact(location=f"{WORK}/predictions")], holds=True))
    notebook(7, "summary.to_csv(report)", ActivityFact("pandas.to_csv", outputs=[report], python_built=True))
    with LocalQueryService(open_test_store()) as service:
        found = {a["name"].rsplit("/", 1)[-1]: a for a in reach(service, f"{WORK}/report.csv", "up")["artifacts"]}
        # Everything held when cell 7 wrote is an inferred input; cell 5 read the model itself (load_model): direct.
        assert {name: (a["evidence"], a["distance"]) for name, a in found.items()} == {
            "predictions": ("inferred", 1), "features": ("inferred", 1), MODEL[1]: ("inferred", 1), "raw.csv": ("inferred", 2),
        }
        predictions = {a["name"].rsplit("/", 1)[-1]: a for a in reach(service, f"{WORK}/predictions", "up")["artifacts"]}
        assert {name: (a["evidence"], a["distance"]) for name, a in predictions.items()} == {
            "features": ("direct", 1), MODEL[1]: ("direct", 1), "raw.csv": ("direct", 2),
        }
        assert names(reach(service, f"{WORK}/report.csv", "up", direct_only=True)) == set()
        drawn = service.graph([service.resolve_artifact(f"{WORK}/report.csv")["id"]], depth=2, direction="up")
        assert {e["evidence"] for e in drawn["edges"]} == {"direct", "inferred"}
        only_direct = service.graph([service.resolve_artifact(f"{WORK}/report.csv")["id"]], depth=2, direction="up", direct_only=True)
        assert {e["evidence"] for e in only_direct["edges"]} == {"direct"} and len(only_direct["edges"]) == 1  # cell 7 -> report.csv


def test_the_graph_draws_cells_inside_the_notebook_and_no_false_path(answers):
    start = answers.resolve_artifact(f"{WORK}/features")["id"]
    drawn = answers.graph([start], depth=4, direction="both")
    nodes = {n["id"]: n for n in drawn["nodes"]}
    steps = [n for n in nodes.values() if n.get("parent")]
    notebook = nodes[steps[0]["parent"]]
    assert notebook["compound"] and notebook["type"] == "notebook" and notebook["name"].endswith("analysis.ipynb")
    assert {s["label"] for s in steps} >= {"[3] features = raw_ds.map_batches(f)", "[4] train = ray.data.read_parquet(p).to_pandas()"}
    assert all(s["type"] == "cell" and s["parent"] == notebook["id"] for s in steps)
    assert not any(e["source"] == notebook["id"] or e["target"] == notebook["id"] for e in drawn["edges"])
    assert not _has_cycle(drawn["edges"])
    upward = answers.graph([answers.resolve_artifact(f"{WORK}/predictions")["id"]], depth=10, direction="up")
    assert not _has_cycle(upward["edges"])


def _has_cycle(edges: list[dict]) -> bool:
    children: dict[str, list[str]] = {}
    for edge in edges:
        children.setdefault(edge["source"], []).append(edge["target"])
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for child in children.get(node, []):
            if state.get(child) == 1 or (child not in state and visit(child)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(children))


def test_the_notebook_overview_lists_its_cells_with_their_inputs_and_outputs(answers):
    graph = answers.graph([answers.resolve_artifact(f"{WORK}/features")["id"]])
    notebook = next(n for n in graph["nodes"] if n.get("compound"))
    overview = answers.workload(notebook["name"], notebook["namespace"])
    cells = {step["label"].split(" ")[0]: step for step in overview["steps"]}
    assert set(cells) == {"[2]", "[3]", "[4]", "[5]"} and overview["step_count"] == 4
    assert {(i["name"].rsplit("/", 1)[-1], i["evidence"]) for i in cells["[5]"]["inputs"]} == {("features", "direct"), (MODEL[1], "direct")}
    assert {(i["name"].rsplit("/", 1)[-1], i["evidence"]) for i in cells["[4]"]["inputs"]} == {("features", "direct")}
    assert [o["name"].rsplit("/", 1)[-1] for o in cells["[5]"]["outputs"]] == ["predictions"]
    assert overview["upstream_count"] == 3 and overview["downstream_count"] == 4  # raw.csv, features, model; and all four written


def test_show_names_the_cell_that_wrote_it(answers):
    shown = answers.artifact(f"{WORK}/features")
    assert shown["written_by_run"]["context"]["cellExecutionCount"] == 3
    assert shown["written_by_run"]["context"]["cellId"] == "cell-3"
    producer = shown["upstream"][0]
    assert producer["type"] == "cell" and producer["label"].startswith("[3] ") and producer["parent"].startswith("w")


def test_a_python_function_free_write_of_an_unrelated_file_has_only_that_file_upstream(notebook, open_test_store):
    quickstart(notebook)
    other, copy = ArtifactFact(location=f"{WORK}/other.csv"), ArtifactFact(location=f"{WORK}/copy")
    notebook(6, "ray.data.read_csv(other).write_parquet(copy)", ActivityFact("ray_data.execute", inputs=[other], outputs=[copy]))
    with LocalQueryService(open_test_store()) as service:
        assert names(reach(service, f"{WORK}/copy", "up")) == {"other.csv"}


def test_a_re_run_cell_is_one_step_and_a_restart_forgets_what_was_held(notebook, open_test_store, tmp_path):
    features, out = ArtifactFact(location=f"{WORK}/features"), ArtifactFact(location=f"{WORK}/out")
    notebook(1, "df = read(features)", ActivityFact("ray_data.execute", inputs=[features], holds=True), cell_id="a")
    notebook(2, "df = read(features)", ActivityFact("ray_data.execute", inputs=[features], holds=True), cell_id="a")
    assert lineage_nb.flush(30)
    session_module.current_session().held = session_module.HeldData()  # what a kernel restart leaves: nothing held
    notebook(3, "write(out)", ActivityFact("pandas.to_parquet", outputs=[out], python_built=True), cell_id="b")
    with LocalQueryService(open_test_store()) as service:
        assert names(reach(service, f"{WORK}/out", "up")) == set()
        notebook_node = next(n for n in service.graph([service.resolve_artifact(f"{WORK}/features")["id"]])["nodes"] if n.get("compound"))
        steps = service.workload(notebook_node["name"])["steps"]
        assert sorted(s["label"] for s in steps) == ["[2] df = read(features)", "[3] write(out)"]  # cell "a" once, labelled as last run


def test_emitted_events_are_valid_openlineage_with_steps_as_child_jobs(answers, store_path):
    events = list(lineage_nb.open_store(str(store_path)).iter_events())
    children = [e for e in events if "parent" in e["run"]["facets"]]
    assert children and all(not event_errors(e) for e in events), [event_errors(e) for e in events if event_errors(e)][:3]
    for event in children:
        parent = event["run"]["facets"]["parent"]["job"]
        assert event["job"]["name"].startswith(parent["name"] + "::cell-")
        assert event["job"]["facets"]["lineageNb_step"]["stepType"] == "cell"
    inferred = [i for e in children for i in e.get("inputs", []) if "lineageNb_evidence" in i.get("inputFacets", {})]
    assert {i["name"] for i in inferred} == {f"{WORK}/features", MODEL[1]}


def test_a_job_level_consumer_of_the_events_sees_the_same_true_graph(answers, store_path):
    """What Marquez draws: one node per job, an edge from each input to the job and from the job to each output."""
    events = list(lineage_nb.open_store(str(store_path)).iter_events())
    upstream: dict[str, set[str]] = {}
    for event in events:
        job = event["job"]["name"]
        for output in event.get("outputs", []):
            upstream.setdefault(output["name"], set()).add(job)
        for source in event.get("inputs", []):
            upstream.setdefault(job, set()).add(source["name"])

    def ancestors(node: str) -> set[str]:
        seen, todo = set(), [node]
        while todo:
            for parent in upstream.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    datasets = {name for name in ancestors(f"{WORK}/features") if "::" not in name}
    assert datasets == {f"{WORK}/raw.csv"}
    assert {n for n in ancestors(MODEL[1]) if "::" not in n} == {f"{WORK}/features", f"{WORK}/raw.csv"}


def test_a_store_written_by_schema_2_is_migrated_to_cells(tmp_path):
    store = tmp_path / "v2.db"
    shutil.copy(FIXTURES / "store-v2.db", store)
    with LocalQueryService.open(str(store)) as service:
        model = service.resolve_artifact(**model_ref())["id"]
        assert names(reach(service, f"{WORK}/features", "up")) == {"raw.csv"}
        assert names(service.transitive(model, "up")) == {"features", "raw.csv"}
        assert names(reach(service, f"{WORK}/predictions", "up")) == {"features", MODEL[1], "raw.csv"}
        assert names(reach(service, f"{WORK}/raw.csv", "down")) == {"features", MODEL[1], "predictions"}
        assert names(service.transitive(model, "down")) == {"predictions"}
        assert names(reach(service, f"{WORK}/features", "down")) == {MODEL[1], "predictions"}
        notebook = service.workload("/home/user/quickstart.ipynb")
        assert sorted(s["label"].split(" ")[0] for s in service.workload(notebook["name"])["steps"]) == ["[3]", "[4]", "[5]"]
        assert json.dumps(service.counts()) and service.counts()["events"] == 11
