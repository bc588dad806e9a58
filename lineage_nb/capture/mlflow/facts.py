"""Artifact facts for MLflow models and artifacts.

- A model MLflow tracks (it has a model id) is `(mlflow://<tracking server>, <model id>)`; the URI
  forms that reached it are aliases, so `models:/name@alias` needs no registry look-up and always
  names what was really loaded.
- A model directory on the local disk (`save_model(path=dir)`, `load_model(dir)`) is that
  directory: namespace `file`, its path, as a model.
- An MLflow-2-style model with no id, logged as plain run artifacts, is named by where it is stored.
"""
from __future__ import annotations

import os
from typing import Any

from lineage_nb.capture.mlflow.datasets import json_field, schema_fields
from lineage_nb.capture.mlflow.lookups import model_properties, parse_mlmodel
from lineage_nb.capture.mlflow.naming import ALIAS_TYPE, clean_uri, join, local_path, storage_location, tracking_namespace
from lineage_nb.core.facts import ArtifactFact

MLMODEL = "MLmodel"
REGISTERED_MODEL_META = "registered_model_meta"


def model_fact(
    tracking_uri: str,
    model_id: str | None,
    *,
    location: str | None = None,
    aliases: list[str] | tuple[str, ...] = (),
    registered: tuple[str, str | None] | None = None,
    input_columns: Any = None,
    properties: dict[str, Any] | None = None,
) -> ArtifactFact:
    """A model by its id, or, without one, by `location`. `properties` are merged with what this
    process said about the model before (see `lookups.model_properties`)."""
    namespace = tracking_namespace(tracking_uri)
    uris = ([f"models:/{model_id}"] if model_id else []) + list(aliases)
    if registered and registered[1] is not None:
        uris.append(f"models:/{registered[0]}/{registered[1]}")
    update = {
        "modelId": model_id,
        "modelUri": f"models:/{model_id}" if model_id else location,
        "trackingUri": clean_uri(tracking_uri),
        **(properties or {}),
    }
    if registered:
        update["registeredModelName"], update["registeredModelVersion"] = registered
    fact = ArtifactFact(
        kind="model",
        format="mlflow",
        schema=schema_fields(input_columns),
        aliases=[(namespace, uri, ALIAS_TYPE) for uri in dict.fromkeys(clean_uri(u) for u in uris)],
    )
    if model_id:
        fact.namespace, fact.name = namespace, model_id
        fact.properties = model_properties(namespace, model_id, update)
    else:
        fact.location = location
        fact.properties = {k: v for k, v in update.items() if v is not None}
    return fact


def logged_model_fact(tracking_uri: str, model: Any) -> ArtifactFact:
    """A LoggedModel entity (MLflow 3): its name, status, type, source run and params."""
    status = getattr(model.status, "name", None) or (str(model.status) if model.status is not None else None)
    return model_fact(tracking_uri, model.model_id, properties={
        "name": model.name,
        "status": status,
        "modelType": model.model_type,
        "runId": model.source_run_id,
        "experimentId": model.experiment_id,
        "params": dict(model.params) if model.params else None,
    })


def mlmodel_summary(meta: dict[str, Any]) -> tuple[list[str], Any]:
    """(flavors, input columns of the signature) of a parsed MLmodel file."""
    signature = meta.get("signature")
    return sorted(meta.get("flavors") or {}), json_field(signature.get("inputs")) if isinstance(signature, dict) else None


def directory_model_fact(path: str, mlmodel_text: str | None) -> ArtifactFact:
    """A model saved to, or loaded from, a local directory."""
    meta = parse_mlmodel(mlmodel_text) if mlmodel_text else {}
    flavors, columns = mlmodel_summary(meta)
    properties = {"flavors": flavors or None, "modelId": meta.get("model_id"), "runId": meta.get("run_id")}
    return ArtifactFact(
        location=os.path.abspath(path),
        kind="model",
        format="mlflow",
        schema=schema_fields(columns),
        properties={k: v for k, v in properties.items() if v is not None},
    )


def read_mlmodel_text(directory: Any) -> str | None:
    """The MLmodel file of a directory, read at once: the directory may be a temporary one."""
    if not isinstance(directory, (str, os.PathLike)):
        return None
    try:
        with open(os.path.join(directory, MLMODEL), encoding="utf-8") as handle:
            return handle.read()
    except (OSError, ValueError):
        return None


def registered_name(uri: str | None, model_dir: str) -> tuple[str, str | None] | None:
    """(registered name, version) when the URI names a registered model (`models:/name/1`, `models:/name@alias`)."""
    if not uri or not uri.startswith("models:/"):
        return None
    head = uri.removeprefix("models:/").split("/")
    name, _, alias = head[0].partition("@")
    if name.startswith("m-") and not alias and len(head) == 1:
        return None
    version = head[1] if not alias and len(head) > 1 and head[1].isdigit() else None
    meta_path = os.path.join(model_dir, REGISTERED_MODEL_META)
    if version is None and os.path.isfile(meta_path):
        import yaml

        with open(meta_path, encoding="utf-8") as handle:
            meta = yaml.safe_load(handle) or {}
        if str(meta.get("model_name")) == name:
            version = str(meta.get("model_version"))
    return name, version


def downloaded_fact(uri: str | None, downloaded_to: str, mlmodel_text: str | None, tracking_uri: str,
                    roots: dict[str, str | None], run_id: str | None = None, path: str | None = None) -> ArtifactFact:
    """What a download or load read: a local model directory, a tracked model, or an artifact by its storage location."""
    local = local_path(uri)
    if mlmodel_text is not None and local is not None:
        return directory_model_fact(local, mlmodel_text)
    if mlmodel_text is not None:
        meta = parse_mlmodel(mlmodel_text)
        model_id = meta.get("model_id")
        flavors, columns = mlmodel_summary(meta)
        location = None if model_id else artifact_location(uri, tracking_uri, roots, run_id, path, downloaded_to)
        return model_fact(
            tracking_uri, model_id, location=location, input_columns=columns,
            aliases=[uri] if uri and ":" in uri else [],
            registered=registered_name(uri, downloaded_to),
            properties={"flavors": flavors, "runId": meta.get("run_id")},
        )
    return ArtifactFact(location=artifact_location(uri, tracking_uri, roots, run_id, path, downloaded_to))


def artifact_location(uri: str | None, tracking_uri: str, roots: dict[str, str | None], run_id: str | None = None,
                      path: str | None = None, downloaded_to: str | None = None) -> str:
    """Where a run's artifact is stored: from a `runs:/` URI, a run and a run-relative path, or the URI itself.
    `roots` holds the artifact roots of the runs named, as looked up on the user's thread."""
    if uri is None and run_id:
        return storage_location(join(roots.get(run_id), path), tracking_uri)
    if uri and uri.startswith("runs:/"):
        run, _, rest = uri.removeprefix("runs:/").partition("/")
        return storage_location(join(roots.get(run), rest), tracking_uri)
    if uri and not uri.startswith("models:/"):
        return local_path(uri) or storage_location(uri, tracking_uri)
    if downloaded_to is None:
        raise ValueError(f"no storage location for {uri!r}")
    return downloaded_to
