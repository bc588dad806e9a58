"""Describers of MLflow calls that write: models and artifacts logged, models saved, datasets logged as inputs.

Each runs in the emitter thread and fills the child run's `ActivityFact`. What a run logs takes
the datasets logged to that run (`log_input`, autolog) as direct inputs; an artifact logged from a
local file or directory the user logged also takes that file or directory (not so the scratch files
MLflow's own features log: see `observe.logged_file`).
"""
from __future__ import annotations

import os
import posixpath
import re

from lineage_nb.capture.mlflow.datasets import dataset_fact
from lineage_nb.capture.mlflow.facts import directory_model_fact, model_fact, read_mlmodel_text
from lineage_nb.capture.mlflow.naming import join, storage_location, tracking_namespace
from lineage_nb.capture.mlflow.observe import Observed
from lineage_nb.capture.recording import Call
from lineage_nb.core.facts import ActivityFact, ArtifactFact


def run_datasets(seen: Observed) -> list[ArtifactFact]:
    """The datasets logged to the call's run so far: direct inputs of what it logs."""
    return [dataset_fact(dataset, seen.tracking_uri, context) for dataset, context in seen.run.datasets] if seen.run else []


def run_root(seen: Observed) -> str | None:
    return seen.run.artifact_uri if seen.run else None


def log_model(call: Call, fact: ActivityFact) -> None:
    """`Model.log`, which every flavor's `log_model` goes through."""
    seen: Observed = call.seen
    fact.inputs = run_datasets(seen)
    info = call.result
    if info is None:
        return
    name = call.argument("name") or call.argument("artifact_path")
    registered_name = call.argument("registered_model_name")
    signature = info.signature
    fact.outputs = [model_fact(
        seen.tracking_uri, info.model_id,
        location=info.model_uri,
        aliases=[f"runs:/{info.run_id}/{name}"] if info.run_id and name else [],
        registered=(registered_name, _text(info.registered_model_version)) if registered_name else None,
        input_columns=signature.inputs.to_dict() if signature is not None and signature.inputs is not None else None,
        properties={
            "flavors": sorted(info.flavors or {}),
            "runId": info.run_id,
            "experimentId": seen.run.experiment_id if seen.run else None,
            "name": getattr(info, "name", None),
            "params": dict(info.params) if getattr(info, "params", None) else None,
        },
    )]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def save_model(call: Call, fact: ActivityFact) -> None:
    """`Model.save(path/MLmodel)`, the last step of every flavor's `save_model`: the directory is a model."""
    directory = os.path.dirname(os.path.abspath(os.fspath(call.argument("path"))))
    text = read_mlmodel_text(directory)
    if text is not None:
        fact.outputs = [directory_model_fact(directory, text)]


def log_artifact(call: Call, fact: ActivityFact) -> None:
    """`log_artifact(local_path)` and `log_artifacts(local_dir)`: the run's artifact, read from a local file or directory."""
    seen: Observed = call.seen
    source = os.fspath(call.argument("local_path") or call.argument("local_dir"))
    relative = call.argument("artifact_path") or ""
    if call.argument("local_path") is not None:
        relative = posixpath.join(relative, os.path.basename(os.path.normpath(source)))
    output = _run_artifact(seen, relative)
    inputs = run_datasets(seen)
    if seen.found and os.path.exists(source):
        text = read_mlmodel_text(source)
        if text is not None:  # a saved model directory logged as artifacts: the logged copy is a model too
            local_model = directory_model_fact(source, text)
            output.kind, output.format, output.schema = "model", "mlflow", local_model.schema
            output.properties = {**local_model.properties, **output.properties}
            inputs.insert(0, local_model)
        else:
            inputs.insert(0, ArtifactFact(location=os.path.abspath(source)))
    fact.inputs, fact.outputs = inputs, [output]


def _run_artifact(seen: Observed, relative: str) -> ArtifactFact:
    return ArtifactFact(
        location=storage_location(join(run_root(seen), relative), seen.tracking_uri),
        properties={"mlflowRunId": seen.run.run_id if seen.run else None, "artifactPath": relative or "."},
    )


def log_data(call: Call, fact: ActivityFact) -> None:
    """`log_dict`, `log_text`, `log_table`, `log_figure`, `log_image`: data built in Python, written as a run artifact."""
    seen: Observed = call.seen
    relative = call.argument("artifact_file")
    output = None
    if relative:
        output = _run_artifact(seen, relative)
    elif call.argument("key"):  # time-stepped images: one file per step under images/
        output = _run_artifact(seen, "images")
        output.properties["imageKey"] = re.sub("/", "~", str(call.argument("key")))
    fact.inputs, fact.outputs = run_datasets(seen), [output] if output is not None else []


def log_inputs(call: Call, fact: ActivityFact) -> None:
    """`log_inputs`: datasets (and MLflow 3 models) a run used; the datasets become direct inputs of what the
    run logs (recorded on the user's thread by `observe.logged_inputs`)."""
    seen: Observed = call.seen
    datasets = []
    for dataset_input in call.argument("datasets") or []:
        context = next((tag.value for tag in dataset_input.tags or [] if tag.key == "mlflow.data.context"), None)
        datasets.append(dataset_fact(dataset_input.dataset, seen.tracking_uri, context))
    namespace = tracking_namespace(seen.tracking_uri)
    # no properties: a bare reference must not replace the metadata the model was logged with
    models = [ArtifactFact(namespace=namespace, name=m.model_id, kind="model", format="mlflow") for m in call.argument("models") or []]
    fact.inputs = datasets + models
