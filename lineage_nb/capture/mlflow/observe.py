"""What an MLflow call's record needs from the user's thread: the tracking server, the runs, a downloaded MLmodel.

MLflow keeps the active run per thread and the tracking URI per process (it can change at any
time), a download may land in a directory that is deleted right after, and MLflow must not be
called from the emitter thread (see `lookups`): so these are read when the call returns, and
everything else is described later in the emitter thread.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from lineage_nb.capture.mlflow.facts import read_mlmodel_text
from lineage_nb.capture.mlflow.lookups import RunRef, add_run_datasets, run_ref
from lineage_nb.capture.mlflow.naming import clean_uri
from lineage_nb.capture.recording import Call

LINEAGE_NB_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


@dataclass(frozen=True)
class Observed:
    tracking_uri: str
    run: RunRef | None  # the run the call belongs to: the one it names, else the active run
    mlmodel: str | None = None  # the MLmodel file of what a download fetched, if it fetched a model
    artifact_roots: dict[str, str | None] = field(default_factory=dict)  # of the runs a read names
    found: Any = None  # what else the describer needs that only the user's thread can tell (a LoggedModel, who logged a file)


def _tracking_uri(call: Call) -> str:
    """The client's tracking server for a client method, else the one the call names or the current one."""
    owner = call.args[0] if call.args else None
    inner = getattr(owner, "_tracking_client", owner)
    uri = getattr(inner, "tracking_uri", None)
    if isinstance(uri, str):
        return uri
    import mlflow

    return call.argument("tracking_uri") or mlflow.get_tracking_uri()


def call_run(call: Call) -> Observed:
    """The tracking server and the run the call belongs to."""
    uri = _tracking_uri(call)
    return Observed(uri, run_ref(uri, call.argument("run_id") or call.argument("source_run_id")))


def logged_file(call: Call) -> Observed:
    """`log_artifact(s)`: also whether the user asked for it, directly or through MLflow's client API.

    MLflow's own features (evaluate, autologging) log scratch files they wrote to a temporary
    directory: those files are no input of the user's workload. Frames are read up to the first one
    outside MLflow and lineage_nb; any MLflow frame outside its `tracking` client API on the way
    means MLflow itself logged the file.
    """
    seen = call_run(call)
    return Observed(seen.tracking_uri, seen.run, found=_asked_by_user())


def _asked_by_user() -> bool:
    import mlflow

    mlflow_dir = os.path.dirname(mlflow.__file__) + os.sep
    client_api = os.path.join(mlflow_dir, "tracking") + os.sep
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(mlflow_dir):
            if not filename.startswith(client_api):
                return False
        elif not filename.startswith(LINEAGE_NB_DIR):
            return True
        frame = frame.f_back
    return True


def logged_model(call: Call) -> Observed:
    """`log_model`: the run the ModelInfo names (when it failed: the one it was given, else the active run)."""
    import mlflow

    info = call.result
    uri = mlflow.get_tracking_uri()
    return Observed(uri, run_ref(uri, info.run_id if info is not None else call.argument("run_id")))


def logged_inputs(call: Call) -> Observed:
    """`log_inputs`: its datasets become the run's, for what the run logs next."""
    seen = call_run(call)
    datasets = [(i.dataset, next((t.value for t in i.tags or [] if t.key == "mlflow.data.context"), None)) for i in call.argument("datasets") or []]
    if datasets and call.error is None and seen.run is not None:
        add_run_datasets(seen.tracking_uri, seen.run.run_id, datasets)
    return seen


def _roots(tracking_uri: str, run_ids: list[Any]) -> dict[str, str | None]:
    return {run_id: run_ref(tracking_uri, run_id).artifact_uri for run_id in dict.fromkeys(r for r in run_ids if isinstance(r, str) and r)}


def _runs_uri_run(uri: Any) -> str | None:
    return uri.removeprefix("runs:/").partition("/")[0] if isinstance(uri, str) and uri.startswith("runs:/") else None


def read(call: Call) -> Observed:
    """A download or load: also the artifact roots of the runs it names, and the MLmodel file it fetched, if any."""
    uri = _tracking_uri(call)
    run_ids = [call.argument("run_id"), _runs_uri_run(call.argument("artifact_uri"))]
    run_ids += [nested.argument("run_id") for nested in call.nested]
    return Observed(uri, run_ref(uri, None), read_mlmodel_text(call.result), _roots(uri, run_ids))


def model_params(call: Call) -> Observed:
    """`log_model_params` returns nothing: the model, params included, is looked up here."""
    seen = call_run(call)
    if call.error is not None:
        return seen
    import mlflow

    model = mlflow.MlflowClient(seen.tracking_uri).get_logged_model(call.argument("model_id"))
    return Observed(seen.tracking_uri, seen.run, found=model)


def run_context(call: Call) -> dict[str, Any]:
    """The MLflow part of a child run's context."""
    seen: Observed = call.seen
    run = seen.run
    return {
        "mlflow_run_id": run.run_id if run else None,
        "mlflow_experiment_id": run.experiment_id if run else None,
        "mlflow_tracking_uri": clean_uri(seen.tracking_uri),
        "engine": "mlflow",
        "engine_version": getattr(sys.modules.get("mlflow"), "__version__", None),
    }
