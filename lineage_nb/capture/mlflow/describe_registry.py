"""Describers of MLflow calls that create or change a model without writing its files.

- Registering a model version (`register_model`, `create_model_version`) gives the model a new
  name, `models:/<name>/<version>`: the event declares it as an alias, so it resolves to the model
  with no load needed. The model is the output (the registry entry is what the call wrote).
- MLflow 3's LoggedModel calls (`initialize_logged_model`, `create_external_model`,
  `log_model_params`, `finalize_logged_model`) create the model node and keep its name, status,
  type, source run and params in its properties.
"""
from __future__ import annotations

import re

from lineage_nb.capture.mlflow.facts import artifact_location, logged_model_fact, model_fact
from lineage_nb.capture.mlflow.observe import Observed
from lineage_nb.capture.recording import Call
from lineage_nb.core.facts import ActivityFact

MODEL_ID_URI = re.compile(r"models:/m-[0-9a-f]+")


def register_model(call: Call, fact: ActivityFact) -> None:
    """`MlflowClient._create_model_version`: the version created, as an alias of its model."""
    seen: Observed = call.seen
    version = call.result
    if version is None:
        return
    registered = (str(version.name), str(version.version))
    source = str(version.source or "")
    # MLflow's sqlite registry keeps no model id on the version: the one passed in, or the models:/<id> source
    model_id = getattr(version, "model_id", None) or call.argument("model_id") or (source.removeprefix("models:/") if MODEL_ID_URI.fullmatch(source) else None)
    location = None
    if not model_id:  # a model registered from its files (MLflow 2 style): named where they are stored
        location = artifact_location(source, seen.tracking_uri, seen.artifact_roots)
    fact.outputs = [model_fact(seen.tracking_uri, model_id, location=location, registered=registered, properties={"runId": version.run_id})]


def logged_model(call: Call, fact: ActivityFact) -> None:
    """`create_logged_model`, `finalize_logged_model` and `create_external_model`, which return the LoggedModel."""
    seen: Observed = call.seen
    if call.result is not None:
        fact.outputs = [logged_model_fact(seen.tracking_uri, call.result)]


def log_model_params(call: Call, fact: ActivityFact) -> None:
    """`log_model_params`: the model as looked up after the call, params included."""
    seen: Observed = call.seen
    if seen.found is not None:
        fact.outputs = [logged_model_fact(seen.tracking_uri, seen.found)]
