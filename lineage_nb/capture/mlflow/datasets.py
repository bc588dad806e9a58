"""Datasets MLflow knows of (`log_input`, autolog's training data): named by their source when it is a file or URI."""
from __future__ import annotations

import json
from typing import Any

from lineage_nb.capture.mlflow.naming import dataset_namespace
from lineage_nb.core.facts import ArtifactFact


def schema_fields(columns: Any) -> list[tuple[str, str]] | None:
    """Named columns of an MLflow schema (a list of column specs); tensors without names give none."""
    if not isinstance(columns, list):
        return None
    fields = [(str(c["name"]), str(c.get("type", ""))) for c in columns if isinstance(c, dict) and c.get("name") is not None]
    return fields or None


def json_field(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) and text else None


def dataset_fact(dataset: Any, tracking_uri: str, context: str | None) -> ArtifactFact:
    """A `log_input` dataset: named by its file or URI source, else by name and digest."""
    source = json_field(dataset.source) or {}
    location = next((source[k] for k in ("uri", "url", "path") if isinstance(source.get(k), str) and source[k]), None)
    schema = json_field(dataset.schema) or {}
    properties = {
        "mlflowDatasetName": dataset.name,
        "digest": dataset.digest,
        "sourceType": dataset.source_type,
        "context": context,
    }
    fact = ArtifactFact(
        location=location,
        schema=schema_fields(schema.get("mlflow_colspec")) if isinstance(schema, dict) else None,
        properties={k: v for k, v in properties.items() if v is not None},
    )
    if location is None:
        fact.namespace, fact.name, fact.version = dataset_namespace(tracking_uri), f"{dataset.name}@{dataset.digest}", dataset.digest
    return fact
