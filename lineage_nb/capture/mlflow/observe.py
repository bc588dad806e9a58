"""What an MLflow call's record needs from the user's thread: the tracking server, the run, a downloaded MLmodel.

MLflow keeps the active run per thread and the tracking URI per process (it can change at any
time), and a download may land in a directory that is deleted right after, so these are read
when the call returns; everything else is described later in the emitter thread.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from lineage_nb.capture.mlflow.facts import read_mlmodel_text
from lineage_nb.capture.mlflow.lookups import RunRef
from lineage_nb.capture.mlflow.naming import clean_uri
from lineage_nb.capture.recording import Call


@dataclass(frozen=True)
class Observed:
    tracking_uri: str
    run: RunRef | None
    mlmodel: str | None = None  # the MLmodel file of what a download fetched, if it fetched a model


def _run(run_id: str | None) -> RunRef | None:
    import mlflow

    active = mlflow.active_run()
    if active is not None and run_id in (None, active.info.run_id):
        return RunRef(active.info.run_id, active.info.experiment_id, active.info.artifact_uri)
    return RunRef(run_id) if run_id else None


def _client_tracking_uri(client: Any) -> str:
    """A TrackingServiceClient's URI, or an MlflowClient's through its tracking client."""
    inner = getattr(client, "_tracking_client", client)
    return inner.tracking_uri


def fluent(call: Call) -> Observed:
    """A module-level call: the tracking URI it was given or the current one, and the active run."""
    import mlflow

    return Observed(call.argument("tracking_uri") or mlflow.get_tracking_uri(), _run(call.argument("run_id")))


def client(call: Call) -> Observed:
    """A client method: the client's tracking server, and the run it names (else the active run)."""
    return Observed(_client_tracking_uri(call.args[0]), _run(call.argument("run_id") or call.argument("source_run_id")))


def logged_model(call: Call) -> Observed:
    """`log_model`: the run the ModelInfo names (None when it failed: then the active run)."""
    import mlflow

    info = call.result
    return Observed(mlflow.get_tracking_uri(), _run(info.run_id if info is not None else call.argument("run_id")))


def download(call: Call) -> Observed:
    """A module-level download: also the MLmodel file, when it fetched a model."""
    seen = fluent(call)
    return Observed(seen.tracking_uri, seen.run, read_mlmodel_text(call.result))


def client_download(call: Call) -> Observed:
    seen = client(call)
    return Observed(seen.tracking_uri, seen.run, read_mlmodel_text(call.result))


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
