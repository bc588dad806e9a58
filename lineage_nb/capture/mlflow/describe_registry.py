"""Describers of MLflow calls that create or change a model without writing its files.

- Registering a model version (`register_model`, `create_model_version`) gives the model a new
  name, `models:/<name>/<version>`: the event declares it as an alias, so it resolves to the model
  with no load needed. The model is the output (the registry entry is what the call wrote).
- MLflow 3's LoggedModel calls (`initialize_logged_model`, `create_external_model`,
  `log_model_params`, `finalize_logged_model`) create the model node and keep its name, status,
  type, source run and params in its properties.
"""
from __future__ import annotations

from lineage_nb.capture.mlflow.facts import artifact_location, logged_model_fact, model_fact
from lineage_nb.capture.mlflow.observe import Observed
from lineage_nb.capture.recording import Call
from lineage_nb.core.facts import ActivityFact


def register_model(call: Call, fact: ActivityFact) -> None:
    """`MlflowClient._create_model_version`: the version created, as an alias of its model."""
    seen: Observed = call.seen
    version = call.result
    if version is None:
        return
    registered = (str(version.name), str(version.version))
    model_id = getattr(version, "model_id", None)
    location = None
    if not model_id:  # a model registered from its files (MLflow 2 style): named where they are stored
        location = artifact_location(str(version.source), seen.tracking_uri, None, None, None)
    fact.outputs = [model_fact(seen.tracking_uri, model_id, location=location, registered=registered, properties={"runId": version.run_id})]


def logged_model(call: Call, fact: ActivityFact) -> None:
    """`create_logged_model`, `finalize_logged_model` and `create_external_model`, which return the LoggedModel."""
    seen: Observed = call.seen
    if call.result is not None:
        fact.outputs = [logged_model_fact(seen.tracking_uri, call.result)]


def log_model_params(call: Call, fact: ActivityFact) -> None:
    """`log_model_params` returns nothing: the model, params included, is looked up here."""
    seen: Observed = call.seen
    if call.error is None:
        import mlflow

        model = mlflow.MlflowClient(seen.tracking_uri).get_logged_model(call.argument("model_id"))
        fact.outputs = [logged_model_fact(seen.tracking_uri, model)]
