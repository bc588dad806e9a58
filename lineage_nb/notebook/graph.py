"""The inline lineage graph: `graph_widget(...)` builds the anywidget for an artifact or a workload."""
from __future__ import annotations

import sys
from typing import Any

from lineage_nb.query.service import DEFAULT_NODE_CAP, QueryService, open_service

__all__ = ["graph_widget", "artifact_reference", "open_widget_service"]


def artifact_reference(value: Any) -> str | None:
    """A path/URI for a Ray Dataset or an MLflow ModelInfo (read without importing ray or mlflow)."""
    if isinstance(value, str):
        return value
    if "ray" in sys.modules and type(value).__name__ in ("Dataset", "MaterializedDataset"):
        return _dataset_reference(value)
    model_id = getattr(value, "model_id", None)
    if model_id and hasattr(value, "model_uri"):
        return f"models:/{model_id}"
    return None


def _dataset_reference(dataset: Any) -> str:
    """What a Ray Dataset writes (a plan ending in a write), or else what it reads.

    A dataset already written (`ds.write_parquet(path)`) keeps no trace of where it wrote (ray 2.60 keeps
    only the materialized result, `_write_ds`), so it is refused rather than answered with what it read.
    """
    from lineage_nb.capture.ray_plan import artifacts, dataset_operators

    found = artifacts(dataset_operators(dataset))
    if found.outputs:
        return found.outputs[-1].location or found.outputs[-1].name
    if getattr(dataset, "_write_ds", None) is not None:
        raise ValueError("this Ray Dataset was written, and Ray does not keep where: give the path it was written to")
    if found.inputs:
        return found.inputs[-1].location or found.inputs[-1].name
    raise ValueError("this Ray Dataset neither reads nor writes storage (yet): write it, then give the path it was written to")


def open_widget_service(store: Any = None) -> QueryService:
    """What to query: a QueryService, a store path/URL, or the default, after flushing captured events."""
    from lineage_nb.capture.control import flush

    if isinstance(store, QueryService):
        return store
    flush()
    return open_service(store)


def graph_widget(
    artifact: Any = None,
    *,
    workload: str | None = None,
    depth: int = 1,
    direction: str = "both",
    max_nodes: int = DEFAULT_NODE_CAP,
    store: Any = None,
) -> Any:
    """The interactive graph around an artifact (path, URI, models:/, Ray Dataset, ModelInfo) or a workload.

    With neither, the graph of this notebook or script's own workload.
    """
    from lineage_nb.notebook.widget import LineageWidget

    opened = open_widget_service(store)
    if artifact is not None:
        reference = artifact_reference(artifact)
        if reference is None:
            raise TypeError(f"cannot find lineage for a {type(artifact).__name__}: give a path, URI, models:/ URI, Ray Dataset or ModelInfo")
        start = opened.resolve_artifact(reference)["id"]
    else:
        start = opened.resolve_workload(*_workload_name(workload))["id"]
    widget = LineageWidget(opened)
    widget.show_graph([start], depth, direction, max_nodes)
    return widget


def _workload_name(name: str | None) -> tuple[str, str | None]:
    if name:
        return name, None
    from lineage_nb.runtime.session import current_session

    own = current_session().workload
    return own.name, own.namespace
