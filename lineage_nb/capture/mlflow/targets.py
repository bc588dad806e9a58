"""The MLflow functions wrapped, and what each records (the README's "Capture coverage" section has the same as a table).

MLflow has no observer hook for logging or loading models, so we wrap the few choke points every
public call goes through. The parameter names are the version check: when MLflow changes one,
nothing is patched and a warning says which.
"""
from __future__ import annotations

from lineage_nb.capture.mlflow import describe_reads as reads
from lineage_nb.capture.mlflow import describe_registry as registry
from lineage_nb.capture.mlflow import describe_writes as writes
from lineage_nb.capture.mlflow import observe
from lineage_nb.capture.patching import Target
from lineage_nb.capture.recording import Capture

MODEL = "mlflow.models.model"
SERVICE = "mlflow.tracking._tracking_service.client"
CLIENT = "mlflow.tracking.client"
FLUENT = "mlflow.tracking.fluent"
ARTIFACTS = "mlflow.artifacts"


def _log_data(name: str, second: str) -> tuple[Target, Capture]:
    return (Target(CLIENT, "MlflowClient", name, ("self", "run_id", second)),
            Capture(f"mlflow.{name}", writes.log_data, observe.call_run, python_built=True))


def _load_artifact(name: str) -> tuple[Target, Capture]:
    return Target(ARTIFACTS, None, name, ("artifact_uri",)), Capture(f"mlflow.{name}", reads.load_artifact, observe.read, holds=True)


CAPTURES: dict[Target, Capture] = dict([
    # models
    (Target(MODEL, "Model", "log", ("cls", "artifact_path", "flavor", "registered_model_name")),
     Capture("mlflow.log_model", writes.log_model, observe.logged_model, python_built=True)),
    (Target(MODEL, "Model", "save", ("self", "path")), Capture("mlflow.save_model", writes.save_model, observe.call_run, python_built=True)),
    (Target(MODEL, "Model", "load", ("cls", "path")), Capture("mlflow.load_mlmodel")),  # re-reads MLmodel after a load: hidden
    (Target("mlflow.tracking.artifact_utils", None, "_download_artifact_from_uri", ("artifact_uri", "output_path", "lineage_header_info", "tracking_uri")),
     Capture("mlflow.download", reads.download_from_uri, observe.read, holds=True)),
    # artifacts
    (Target(SERVICE, "TrackingServiceClient", "log_artifact", ("self", "run_id", "local_path", "artifact_path")),
     Capture("mlflow.log_artifact", writes.log_artifact, observe.logged_file, python_built=True)),
    (Target(SERVICE, "TrackingServiceClient", "log_artifacts", ("self", "run_id", "local_dir", "artifact_path")),
     Capture("mlflow.log_artifacts", writes.log_artifact, observe.logged_file, python_built=True)),
    _log_data("log_dict", "dictionary"),
    _log_data("log_text", "text"),
    _log_data("log_table", "data"),
    _log_data("log_figure", "figure"),
    _log_data("log_image", "image"),
    (Target(SERVICE, "TrackingServiceClient", "download_artifacts", ("self", "run_id", "path", "dst_path")),
     Capture(reads.DOWNLOAD, reads.client_download, observe.read, holds=True)),
    (Target(ARTIFACTS, None, "download_artifacts", ("artifact_uri", "run_id", "artifact_path", "dst_path", "tracking_uri")),
     Capture(reads.DOWNLOAD, reads.download_artifacts, observe.read, holds=True)),
    _load_artifact("load_text"),
    _load_artifact("load_dict"),
    _load_artifact("load_image"),
    (Target(CLIENT, "MlflowClient", "load_table", ("self", "experiment_id", "artifact_file", "run_ids")),
     Capture("mlflow.load_table", reads.load_table, observe.read, holds=True, collects_nested=True)),
    # datasets a run used
    (Target(SERVICE, "TrackingServiceClient", "log_inputs", ("self", "run_id", "datasets", "models")),
     Capture("mlflow.log_input", writes.log_inputs, observe.logged_inputs)),
    # metrics about a model or dataset are no read of it: the run inputs they log are hidden
    (Target(FLUENT, None, "_log_inputs_for_metrics_if_necessary", ("run", "metrics", "datasets")), Capture("mlflow.log_metric")),
    # registry and MLflow 3 LoggedModels
    (Target(CLIENT, "MlflowClient", "_create_model_version", ("self", "name", "source", "run_id")),
     Capture("mlflow.register_model", registry.register_model, observe.call_run)),
    (Target(SERVICE, "TrackingServiceClient", "create_logged_model", ("self", "experiment_id", "name", "source_run_id", "tags", "params")),
     Capture("mlflow.create_logged_model", registry.logged_model, observe.call_run)),
    (Target(SERVICE, "TrackingServiceClient", "finalize_logged_model", ("self", "model_id", "status")),
     Capture("mlflow.finalize_logged_model", registry.logged_model, observe.call_run)),
    (Target(SERVICE, "TrackingServiceClient", "log_model_params", ("self", "model_id", "params")),
     Capture("mlflow.log_model_params", registry.log_model_params, observe.model_params)),
    (Target(FLUENT, None, "create_external_model", ("name", "source_run_id", "tags", "params", "model_type", "experiment_id")),
     Capture("mlflow.create_external_model", registry.logged_model, observe.call_run)),
])
