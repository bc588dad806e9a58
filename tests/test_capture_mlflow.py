"""MLflow capture against real MLflow: a sqlite tracking store in a temporary directory, scikit-learn
models, and one real `mlflow server` on loopback. Results are checked through the lineage store."""
from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from olspec import event_errors

import lineage_nb
from lineage_nb.capture import mlflow as capture
from lineage_nb.capture import recording
from lineage_nb.capture.mlflow.naming import storage_location, tracking_namespace
from lineage_nb.capture.patching import Target
from lineage_nb.commands.run import build_parser, run
from lineage_nb.core import errors
from lineage_nb.core import settings as config
from lineage_nb.core.naming import dataset_name
from lineage_nb.query import sql as queries

mlflow = pytest.importorskip("mlflow")
from sklearn.linear_model import LogisticRegression  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = ["scikit-learn", "pandas"]  # given, so log_model skips its requirement-inference subprocess


# ---- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One sqlite tracking store for the module (creating one costs seconds), artifacts kept in tmp."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("lineage-nb-tests", artifact_location=str(root / "artifacts"))
    yield {"uri": uri, "experiment_id": experiment, "root": str(root)}
    mlflow.set_tracking_uri(None)


@pytest.fixture
def captured(tracking, store_path, monkeypatch):
    """Lineage enabled with its own store, MLflow pointed at the module's tracking store."""
    mlflow.set_tracking_uri(tracking["uri"])
    mlflow.set_experiment(experiment_id=tracking["experiment_id"])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking["uri"])
    assert lineage_nb.enable()
    assert capture.is_installed()
    yield tracking
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(7)
    features = pd.DataFrame({"age": rng.random(40), "income": rng.random(40)})
    return features, (features.age > 0.5).astype(int)


def fit(data) -> LogisticRegression:
    features, labels = data
    return LogisticRegression().fit(features, labels)


# ---- reading results back -----------------------------------------------------------------------
def child_runs(store) -> dict[str, list[dict]]:
    """Child-run events by run id, every one checked against the OpenLineage spec."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for event in store.iter_events():
        assert event_errors(event) == [], event
        if "parent" in event["run"]["facets"]:
            runs[event["run"]["runId"]].append(event)
    return runs


def completed(store, activity: str | None = None) -> list[dict]:
    """Terminal events of the child runs, each run having exactly one START and one terminal event."""
    out = []
    for events in child_runs(store).values():
        assert sorted(e["eventType"] for e in events) in (["COMPLETE", "START"], ["FAIL", "START"]), events
        terminal = next(e for e in events if e["eventType"] != "START")
        if activity is None or terminal["run"]["facets"]["lineageNb_execution"]["activity"] == activity:
            out.append(terminal)
    return out


def activities(store) -> Counter:
    return Counter(e["run"]["facets"]["lineageNb_execution"]["activity"] for e in completed(store))


def identity(dataset: dict) -> tuple[str, str]:
    return dataset["namespace"], dataset["name"]


def workload_of(step: str) -> str:
    """A script's step is `<script>:<line>`; the script is the workload."""
    return step.rsplit(":", 1)[0]


def cli(store_path: Path, *argv: str):
    result = run(build_parser().parse_args(["--store", str(store_path), *argv]))
    assert result.exit_code == 0, result.messages
    return result.data


# ---- models -------------------------------------------------------------------------------------
def test_logged_sklearn_model_is_one_model_output_with_its_metadata(captured, data, store_path, open_test_store):
    with mlflow.start_run() as active:
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS, input_example=data[0].head(2), registered_model_name="churn")

    store = open_test_store()
    assert activities(store) == Counter({"mlflow.log_model": 1}), "log_model's internal downloads must not be captured"
    event = completed(store)[0]
    assert event["eventType"] == "COMPLETE"
    model = event["outputs"][0]
    assert identity(model) == (tracking_namespace(captured["uri"]), info.model_id)
    assert model["namespace"] == f"mlflow://local{captured['root']}/mlflow.db"
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert [(f["name"], f["type"]) for f in model["facets"]["schema"]["fields"]] == [("age", "double"), ("income", "double")]
    properties = model["facets"]["lineageNb_artifact"]["properties"]
    assert properties["modelId"] == info.model_id and properties["modelUri"] == f"models:/{info.model_id}"
    assert properties["runId"] == active.info.run_id and properties["experimentId"] == captured["experiment_id"]
    assert properties["registeredModelName"] == "churn" and properties["registeredModelVersion"] == "1"
    assert {"sklearn", "python_function"} <= set(properties["flavors"])
    aliases = {i["name"] for i in model["facets"]["symlinks"]["identifiers"]}
    assert aliases == {f"models:/{info.model_id}", f"runs:/{active.info.run_id}/model", "models:/churn/1"}
    execution = event["run"]["facets"]["lineageNb_execution"]
    assert (execution["mlflowRunId"], execution["mlflowExperimentId"]) == (active.info.run_id, captured["experiment_id"])

    listed = cli(store_path, "models", "--json")
    assert [(m["name"], m["kind"]) for m in listed] == [(info.model_id, "model")]
    shown = cli(store_path, "show", "models:/churn/1")
    assert shown["name"] == info.model_id and workload_of(shown["upstream"][0]["name"]) == os.path.abspath(sys.argv[0])


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input * 2


def test_logged_pyfunc_model_is_a_model(captured, store_path, open_test_store):
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="doubler", python_model=Doubler(), pip_requirements=REQUIREMENTS)
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    assert loaded.predict(pd.DataFrame({"x": [1.0]}))["x"].tolist() == [2.0]

    store = open_test_store()
    assert activities(store) == Counter({"mlflow.log_model": 1, "mlflow.load_model": 1})
    (logged,) = completed(store, "mlflow.log_model")
    (load,) = completed(store, "mlflow.load_model")
    assert identity(logged["outputs"][0]) == identity(load["inputs"][0]) == (tracking_namespace(captured["uri"]), info.model_id)
    assert "python_function" in load["inputs"][0]["facets"]["lineageNb_artifact"]["properties"]["flavors"]


def test_every_uri_form_loads_the_same_model_node(captured, data, store_path, open_test_store):
    with mlflow.start_run() as active:
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS, registered_model_name="fraud")
    mlflow.MlflowClient().set_registered_model_alias("fraud", "champion", info.registered_model_version)
    forms = [info.model_uri, f"runs:/{active.info.run_id}/model", f"models:/fraud/{info.registered_model_version}", "models:/fraud@champion"]
    expected = data[1].tolist()
    for uri in forms:
        assert mlflow.pyfunc.load_model(uri).predict(data[0]).tolist() == expected
    assert mlflow.sklearn.load_model("models:/fraud@champion").predict(data[0]).tolist() == expected

    store = open_test_store()
    assert activities(store) == Counter({"mlflow.log_model": 1, "mlflow.load_model": len(forms) + 1})
    loads = completed(store, "mlflow.load_model")
    assert {identity(e["inputs"][0]) for e in loads} == {(tracking_namespace(captured["uri"]), info.model_id)}
    registered = [e["inputs"][0]["facets"]["lineageNb_artifact"]["properties"] for e in loads if "models:/fraud" in str(e["inputs"][0])]
    assert {(p["registeredModelName"], p["registeredModelVersion"]) for p in registered} == {("fraud", "1")}
    for uri in forms:
        assert queries.resolve_artifact(store, uri)["name"] == info.model_id, uri


# ---- artifacts ----------------------------------------------------------------------------------
def test_logged_artifacts_are_outputs_and_downloads_read_the_same_nodes(captured, tmp_path, store_path, open_test_store):
    report = tmp_path / "report.txt"
    report.write_text("accuracy 0.9")
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "roc.csv").write_text("fpr,tpr\n0,0\n1,1\n")
    with mlflow.start_run() as active:
        mlflow.log_artifact(str(report))
        mlflow.log_artifacts(str(plots), artifact_path="plots")
        mlflow.log_dict({"threshold": 0.5}, "config/params.json")
    run_id = active.info.run_id
    root = Path(active.info.artifact_uri)

    downloaded = [
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="report.txt", dst_path=str(tmp_path / "a")),
        mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/config/params.json", dst_path=str(tmp_path / "b")),
        mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "c")),
        mlflow.MlflowClient().download_artifacts(run_id, "plots"),
    ]
    assert Path(downloaded[0]).read_text() == "accuracy 0.9"
    assert json.loads(Path(downloaded[1]).read_text()) == {"threshold": 0.5}

    store = open_test_store()
    assert activities(store) == Counter({"mlflow.log_artifact": 1, "mlflow.log_artifacts": 1, "mlflow.log_dict": 1, "mlflow.download_artifacts": 4})
    local_sources = {e["run"]["facets"]["lineageNb_execution"]["activity"]: [identity(i) for i in e["inputs"]] for e in completed(store) if e["outputs"]}
    assert local_sources == {"mlflow.log_artifact": [("file", str(report))], "mlflow.log_artifacts": [("file", str(plots))], "mlflow.log_dict": []}
    written = {identity(e["outputs"][0]) for e in completed(store) if e["outputs"]}
    read = [identity(e["inputs"][0]) for e in completed(store, "mlflow.download_artifacts")]
    named = {path: ("file", str(root / path)) for path in ("report.txt", "plots", "config/params.json")}
    assert written == set(named.values())
    assert set(read) == {named["report.txt"], named["config/params.json"], named["plots"], ("file", str(root))}
    outputs = {e["outputs"][0]["name"]: e["outputs"][0] for e in completed(store) if e["outputs"]}
    assert outputs[str(root / "config/params.json")]["facets"]["storage"]["fileFormat"] == "json"
    assert all(e["run"]["facets"]["lineageNb_execution"]["mlflowRunId"] == run_id for e in completed(store) if e["outputs"])


# ---- datasets logged as inputs ------------------------------------------------------------------
def test_log_input_datasets_are_inputs_named_by_their_source(captured, data, tmp_path, store_path, open_test_store):
    features = data[0]
    parquet_dir = tmp_path / "features"
    parquet_dir.mkdir()
    features.to_parquet(parquet_dir / "part-0.parquet")
    in_memory = mlflow.data.from_pandas(features, name="train")
    from_files = mlflow.data.from_pandas(features, source=str(parquet_dir) + "/", name="features")
    with mlflow.start_run():
        mlflow.log_input(in_memory, context="training")
        mlflow.log_input(from_files, context="validation")

    store = open_test_store()
    inputs = {e["inputs"][0]["name"]: e["inputs"][0] for e in completed(store, "mlflow.log_input")}
    assert len(inputs) == 2
    ray_data_name = dataset_name(str(parquet_dir))
    file_input = inputs[ray_data_name.name]
    assert file_input["namespace"] == ray_data_name.namespace == "file"
    assert file_input["facets"]["lineageNb_artifact"]["properties"]["context"] == "validation"
    memory_input = inputs[f"train@{in_memory.digest}"]
    assert memory_input["namespace"] == "mlflow-dataset://" + tracking_namespace(captured["uri"]).removeprefix("mlflow://")
    assert memory_input["facets"]["version"]["datasetVersion"] == in_memory.digest
    for dataset in (file_input, memory_input):
        assert [f["name"] for f in dataset["facets"]["schema"]["fields"]] == ["age", "income"]
    assert queries.resolve_artifact(store, str(parquet_dir))["kind"] == "dataset"


# ---- never changing the user's workload ---------------------------------------------------------
def test_a_failing_hook_leaves_results_and_exceptions_identical(captured, data, tmp_path, monkeypatch, store_path, open_test_store):
    with mlflow.start_run() as active:
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS)
    missing = f"runs:/{active.info.run_id}/no-such-file.txt"
    with pytest.raises(Exception) as captured_failure:
        mlflow.artifacts.download_artifacts(missing)

    def broken(*_args, **_kwargs):
        raise RuntimeError("simulated hook failure")

    monkeypatch.setattr(recording, "current_session", broken)
    predictions = mlflow.pyfunc.load_model(info.model_uri).predict(data[0]).tolist()
    with pytest.raises(Exception) as failure_with_broken_hook:
        mlflow.artifacts.download_artifacts(missing)
    lineage_nb.disable()
    with pytest.raises(Exception) as plain_failure:
        mlflow.artifacts.download_artifacts(missing)

    assert predictions == mlflow.pyfunc.load_model(info.model_uri).predict(data[0]).tolist()
    for failure in (captured_failure, failure_with_broken_hook):
        assert type(failure.value) is type(plain_failure.value) and str(failure.value) == str(plain_failure.value)
    counts = errors.error_counts()
    assert (counts["mlflow download"], counts["mlflow download_artifacts"]) == (1, 1)
    store = open_test_store()
    (failed,) = [e for e in completed(store) if e["eventType"] == "FAIL"]
    assert failed["run"]["facets"]["lineageNb_execution"]["activity"] == "mlflow.download_artifacts"
    assert type(plain_failure.value).__name__ in failed["run"]["facets"]["errorMessage"]["message"]


def test_strict_mode_raises_a_lineage_error_naming_the_cause(captured, tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_IGNORE_ERRORS", "false")
    config.reload_settings()
    monkeypatch.setattr(recording, "current_session", lambda: (_ for _ in ()).throw(RuntimeError("simulated hook failure")))
    (tmp_path / "x.txt").write_text("x")
    with mlflow.start_run(), pytest.raises(errors.LineageError, match="mlflow log_artifact failed: RuntimeError: simulated hook failure"):
        mlflow.log_artifact(str(tmp_path / "x.txt"))


def _hooked_functions() -> dict[str, object]:
    from mlflow.models.model import Model
    from mlflow.tracking import artifact_utils
    from mlflow.tracking._tracking_service.client import TrackingServiceClient

    return {
        "Model.log": Model.__dict__["log"],
        "Model.load": Model.__dict__["load"],
        "log_artifact": TrackingServiceClient.log_artifact,
        "log_artifacts": TrackingServiceClient.log_artifacts,
        "log_inputs": TrackingServiceClient.log_inputs,
        "client.download_artifacts": TrackingServiceClient.download_artifacts,
        "artifacts.download_artifacts": mlflow.artifacts.download_artifacts,
        "artifact_utils": artifact_utils._download_artifact_from_uri,
        "pyfunc": mlflow.pyfunc._download_artifact_from_uri,
        "sklearn": mlflow.sklearn._download_artifact_from_uri,
    }


def test_disabled_patches_nothing(store_path, monkeypatch):
    before = _hooked_functions()
    monkeypatch.setenv("LINEAGE_NB_ENABLED", "false")
    assert lineage_nb.enable() is False
    assert capture.install() is False
    assert _hooked_functions() == before and not capture.is_installed()


def test_uninstall_restores_every_original(store_path):
    before = _hooked_functions()
    assert lineage_nb.enable() and capture.is_installed()
    during = _hooked_functions()
    assert all(during[name] is not before[name] for name in before), "every choke point is patched"
    late_name = next(name for name in ("mlflow.h2o", "mlflow.statsmodels", "mlflow.spacy", "mlflow.catboost", "mlflow.prophet") if name not in sys.modules)
    late = importlib.import_module(late_name)
    assert late._download_artifact_from_uri is during["artifact_utils"], "a flavor imported later gets the hook"

    lineage_nb.disable()
    assert not capture.is_installed()
    assert all(_hooked_functions()[name] is before[name] for name in before)
    assert late._download_artifact_from_uri is before["artifact_utils"]


def test_an_unknown_mlflow_version_is_logged_once_and_captures_nothing(store_path, monkeypatch, caplog):
    before = _hooked_functions()
    changed = Target("mlflow.tracking._tracking_service.client", "TrackingServiceClient", "log_artifact", ("self", "run_uuid"))
    monkeypatch.setattr(capture.HOOK, "captures", {**capture.HOOK.captures, changed: recording.Capture("mlflow.log_artifact")})
    monkeypatch.setattr(capture.HOOK, "_warned", False)
    assert capture.install() is False and capture.install() is False
    assert _hooked_functions() == before
    warnings = [r.getMessage() for r in caplog.records if "not supported" in r.getMessage()]
    assert len(warnings) == 1 and "TrackingServiceClient.log_artifact" in warnings[0]


def test_tracking_namespaces_are_stable_and_carry_no_credentials(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert tracking_namespace("sqlite:///mlflow.db") == tracking_namespace(f"sqlite:///{tmp_path}/mlflow.db") == f"mlflow://local{tmp_path}/mlflow.db"
    assert tracking_namespace(f"file://{tmp_path}/mlruns") == tracking_namespace(str(tmp_path / "mlruns"))
    assert tracking_namespace("https://bob:s3cret@mlflow.example.com/") == "mlflow://mlflow.example.com"
    assert tracking_namespace("postgresql+psycopg://u:pw@db:5432/ml") == "mlflow://db:5432/ml"
    assert storage_location("mlflow-artifacts:/1/r/artifacts/x.txt", "http://a:b@127.0.0.1:5000") == (
        "http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/x.txt"
    )


# ---- a real tracking server, two workloads --------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module", autouse=True)
def server_process(tmp_path_factory):
    """Start `mlflow server` as the module starts: it takes tens of seconds, so it warms up while other tests run."""
    root = tmp_path_factory.mktemp("server")
    port = _free_port()
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{root / 'backend.db'}", "--artifacts-destination", str(root / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, cwd=root, env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    yield server, port, root / "server.log"
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a loaded machine: its gunicorn worker can take longer to stop
        server.kill()
        server.wait(timeout=30)
    log.close()


@pytest.fixture
def mlflow_server(server_process):
    server, port, log = server_process
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    return f"http://127.0.0.1:{port}", port
        except OSError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.3)


LOADING_SCRIPT = """
import lineage_nb, mlflow, pandas
lineage_nb.enable()
model = mlflow.pyfunc.load_model({uri!r})
print(model.predict(pandas.DataFrame({rows!r})).tolist())
"""


def test_a_model_logged_to_a_tracking_server_and_loaded_elsewhere(mlflow_server, data, tmp_path, monkeypatch, store_path, open_test_store):
    server_uri, port = mlflow_server
    secret_uri = server_uri.replace("http://", "http://alice:hunter2@")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", secret_uri)
    mlflow.set_tracking_uri(secret_uri)
    try:
        assert lineage_nb.enable()
        mlflow.set_experiment("served")
        notes = tmp_path / "notes.txt"
        notes.write_text("trained on the churn sample")
        with mlflow.start_run() as active:
            info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS, registered_model_name="served-churn")
            mlflow.log_artifact(str(notes))
        assert lineage_nb.flush(timeout=30)

        script = tmp_path / "score.py"
        script.write_text(LOADING_SCRIPT.format(uri="models:/served-churn/1", rows=data[0].head(3).to_dict("list")))
        env = {**os.environ, "LINEAGE_NB_STORE": str(store_path), "PYTHONPATH": str(REPO)}
        scored = subprocess.run([sys.executable, "-X", "faulthandler", str(script)], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert scored.returncode == 0, scored.stderr[-3000:]
        assert json.loads(scored.stdout.strip().splitlines()[-1]) == data[1].head(3).tolist()
    finally:
        mlflow.set_tracking_uri(None)

    store = open_test_store()
    namespace = f"mlflow://127.0.0.1:{port}"
    listed = cli(store_path, "models", "--json")
    assert [(m["namespace"], m["name"]) for m in listed] == [(namespace, info.model_id)]
    shown = cli(store_path, "show", f"models:/{info.model_id}", "--json")
    assert [workload_of(w["name"]) for w in shown["upstream"]] == [os.path.abspath(sys.argv[0])]
    assert [workload_of(w["name"]) for w in shown["downstream"]] == [str(script)]
    assert cli(store_path, "show", "models:/served-churn/1")["name"] == info.model_id

    (logged_notes,) = [e["outputs"][0] for e in completed(store, "mlflow.log_artifact")]
    assert identity(logged_notes) == (namespace.replace("mlflow://", "http://"), f"/api/2.0/mlflow-artifacts/artifacts/{active.info.experiment_id}/{active.info.run_id}/artifacts/notes.txt")
    dumped = json.dumps(list(store.iter_events()))
    assert "hunter2" not in dumped and "alice" not in dumped


# ---- what each call means for the data held in the process ----------------------------------------
def test_loads_hold_data_logs_are_python_built_and_take_the_runs_datasets_as_direct_inputs(captured, data, tmp_path, store_path, open_test_store, monkeypatch):
    from lineage_nb.runtime.session import Session

    recorded = []
    original_record = Session.record
    monkeypatch.setattr(Session, "record", lambda self, fact, *a, **k: (recorded.append(fact), original_record(self, fact, *a, **k))[1])
    report = tmp_path / "report.txt"
    report.write_text("ok")
    with mlflow.start_run():
        mlflow.log_input(mlflow.data.from_pandas(data[0], name="train"), context="training")
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS)
        mlflow.log_artifact(str(report))
    mlflow.pyfunc.load_model(info.model_uri)

    store = open_test_store()  # after a flush: facts are completed in the emitter thread
    by_activity = {fact.activity: fact for fact in recorded}
    assert set(by_activity) == {"mlflow.log_input", "mlflow.log_model", "mlflow.log_artifact", "mlflow.load_model"}
    assert [(f.holds, f.python_built) for f in (by_activity["mlflow.log_model"], by_activity["mlflow.log_artifact"])] == [(False, True)] * 2
    assert (by_activity["mlflow.load_model"].holds, by_activity["mlflow.load_model"].python_built) == (True, False)
    assert not by_activity["mlflow.log_input"].holds and not by_activity["mlflow.log_input"].python_built

    train = f"train@{mlflow.data.from_pandas(data[0], name='train').digest}"
    for activity in ("mlflow.log_model", "mlflow.log_artifact"):
        (event,) = completed(store, activity)
        assert [i["name"] for i in event["inputs"] if i["namespace"] != "file"] == [train], activity


# ---- issue 15: evaluate, metrics, registry, local model directories, LoggedModels, load_* ------------
def _datasets(event: dict, key: str) -> list[tuple[str, str]]:
    return [identity(d) for d in event[key]]


def _direct_inputs(event: dict) -> list[tuple[str, str]]:
    """Inputs the call itself read; inferred ones (held data a write may use) carry lineageNb_evidence."""
    return [identity(d) for d in event["inputs"] if "lineageNb_evidence" not in d.get("inputFacets", {})]


def test_evaluate_names_each_dataset_and_model_once_per_event_and_metrics_read_nothing(captured, data, store_path, open_test_store):
    features, labels = data
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS)
        mlflow.log_metric("accuracy", 0.9, model_id=info.model_id)
        mlflow.models.evaluate(info.model_uri, features.assign(label=labels), targets="label", model_type="classifier",
                               evaluators=["default"], evaluator_config={"default": {"log_model_explainability": False}})

    store = open_test_store()
    events = completed(store)
    for event in events:
        for key in ("inputs", "outputs"):
            assert len(_datasets(event, key)) == len(set(_datasets(event, key))), (activity_of(event), event[key])
    model = (tracking_namespace(captured["uri"]), info.model_id)
    readers = [activity_of(e) for e in events if model in _direct_inputs(e)]
    assert readers == ["mlflow.load_model", "mlflow.log_input"], "evaluate loads the model and logs it as the run's input; log_metric reads nothing"
    assert "mlflow.log_metric" not in activities(store)
    logged_files = [e for e in events if activity_of(e) == "mlflow.log_artifact"]
    assert logged_files and all(i["namespace"] != "file" for e in logged_files for i in e["inputs"]), "evaluate's scratch files are no inputs"


def activity_of(event: dict) -> str:
    return event["run"]["facets"]["lineageNb_execution"]["activity"]


def test_a_registered_version_resolves_to_its_model_without_a_load(captured, data, store_path, open_test_store):
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(fit(data), name="model", pip_requirements=REQUIREMENTS)
    version = mlflow.register_model(info.model_uri, "registered-later")

    store = open_test_store()
    assert activities(store) == Counter({"mlflow.log_model": 1, "mlflow.register_model": 1})
    (registered,) = completed(store, "mlflow.register_model")
    assert _datasets(registered, "outputs") == [(tracking_namespace(captured["uri"]), info.model_id)]
    assert queries.resolve_artifact(store, f"models:/registered-later/{version.version}")["name"] == info.model_id
    properties = registered["outputs"][0]["facets"]["lineageNb_artifact"]["properties"]
    assert properties["registeredModelName"] == "registered-later" and "sklearn" in properties["flavors"], "earlier metadata kept"


def test_a_saved_model_directory_is_a_file_model_linked_to_the_run_artifacts_logged_from_it(captured, data, tmp_path, store_path, open_test_store):
    saved = tmp_path / "saved-model"
    mlflow.sklearn.save_model(fit(data), str(saved), pip_requirements=REQUIREMENTS)
    predictions = mlflow.pyfunc.load_model(str(saved)).predict(data[0])
    with mlflow.start_run() as active:
        mlflow.log_artifacts(str(saved), artifact_path="model")

    store = open_test_store()
    (save,) = completed(store, "mlflow.save_model")
    (load,) = completed(store, "mlflow.load_model")
    (logged,) = completed(store, "mlflow.log_artifacts")
    directory = ("file", str(saved))
    assert _datasets(save, "outputs") == _datasets(load, "inputs") == [directory]
    assert _datasets(logged, "inputs") == [directory]
    assert _datasets(logged, "outputs") == [("file", str(Path(active.info.artifact_uri) / "model"))]
    for dataset in (save["outputs"][0], load["inputs"][0], logged["outputs"][0]):
        assert dataset["facets"]["datasetType"]["datasetType"] == "MODEL"
        assert "sklearn" in dataset["facets"]["lineageNb_artifact"]["properties"]["flavors"]
    assert len(predictions) == len(data[0])


def test_logged_model_apis_create_and_finalise_the_model_node_with_its_params(captured, store_path, open_test_store):
    with mlflow.start_run():
        pending = mlflow.initialize_logged_model(name="agent", params={"temperature": "0.2"}, model_type="agent")
        mlflow.log_model_params({"top_k": "5"}, model_id=pending.model_id)
        mlflow.finalize_logged_model(pending.model_id, "READY")
        external = mlflow.create_external_model(name="outside", params={"source": "vendor"})
        active = mlflow.set_active_model(name="serving-endpoint")

    store = open_test_store()
    namespace = tracking_namespace(captured["uri"])
    steps = [(activity_of(e), e["outputs"][0]["facets"]["lineageNb_artifact"]["properties"]) for e in completed(store) if e["outputs"]]
    by_model = defaultdict(list)
    for (step, properties), event in zip(steps, [e for e in completed(store) if e["outputs"]]):
        by_model[identity(event["outputs"][0])].append((step, properties))
    agent = by_model[(namespace, pending.model_id)]
    assert [step for step, _ in agent] == ["mlflow.create_logged_model", "mlflow.log_model_params", "mlflow.finalize_logged_model"]
    assert [p["status"] for _, p in agent] == ["PENDING", "PENDING", "READY"]
    assert agent[-1][1]["params"] == {"temperature": "0.2", "top_k": "5"} and agent[-1][1]["modelType"] == "agent"
    assert by_model[(namespace, external.model_id)] == [("mlflow.create_external_model", by_model[(namespace, external.model_id)][0][1])]
    assert by_model[(namespace, external.model_id)][0][1]["params"] == {"source": "vendor"}
    assert [step for step, _ in by_model[(namespace, active.model_id)]] == ["mlflow.create_external_model"]
    assert queries.resolve_artifact(store, f"models:/{pending.model_id}")["kind"] == "model"


def test_load_dict_text_and_table_read_the_artifacts_the_run_logged(captured, store_path, open_test_store, monkeypatch):
    from lineage_nb.runtime.session import Session

    recorded = []
    original_record = Session.record
    monkeypatch.setattr(Session, "record", lambda self, fact, *a, **k: (recorded.append(fact), original_record(self, fact, *a, **k))[1])
    with mlflow.start_run() as active:
        mlflow.log_dict({"threshold": 0.5}, "config.json")
        mlflow.log_text("notes", "notes.txt")
        mlflow.log_table(pd.DataFrame({"id": [1, 2]}), "table.json")
    run_id = active.info.run_id
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == {"threshold": 0.5}
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes.txt") == "notes"
    assert mlflow.load_table("table.json", run_ids=[run_id])["id"].tolist() == [1, 2]

    store = open_test_store()
    root = Path(active.info.artifact_uri)
    written = {activity_of(e): _datasets(e, "outputs") for e in completed(store) if e["outputs"]}
    read = {activity_of(e): _datasets(e, "inputs") for e in completed(store) if not e["outputs"]}
    assert written == {"mlflow.log_dict": [("file", str(root / "config.json"))], "mlflow.log_text": [("file", str(root / "notes.txt"))],
                       "mlflow.log_table": [("file", str(root / "table.json"))]}
    assert read == {"mlflow.load_dict": written["mlflow.log_dict"], "mlflow.load_text": written["mlflow.log_text"], "mlflow.load_table": written["mlflow.log_table"]}
    assert {(f.activity, f.holds, f.python_built) for f in recorded} == {
        ("mlflow.log_dict", False, True), ("mlflow.log_text", False, True), ("mlflow.log_table", False, True),
        ("mlflow.load_dict", True, False), ("mlflow.load_text", True, False), ("mlflow.load_table", True, False)}
