"""What describing an MLflow call needs beyond its arguments: runs (looked up on the user's thread) and
parsed MLmodel files and model properties (kept by the emitter thread).

Only the user's thread calls MLflow. MLflow's import finder takes a lock of its own while Python
holds the global import lock, so an MLflow call in the emitter thread that imports anything (an
`MlflowClient()` tries to import pyspark every time) deadlocks with a user thread importing an MLflow
module that registers import hooks (`mlflow.models.evaluation` does). Runs are looked up once and
cached; the active run needs no look-up. Every cache is bounded: cleared past MAX_CACHED entries.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lineage_nb.capture.mlflow.naming import tracking_namespace

MAX_CACHED = 4_096


@dataclass(frozen=True)
class RunRef:
    """A run as the user's thread saw it: its artifact root, experiment, and the datasets logged to it so far."""

    run_id: str
    experiment_id: str | None = None
    artifact_uri: str | None = None
    datasets: tuple[tuple[Any, str | None], ...] = ()  # (MLflow Dataset entity, context tag), converted in the emitter thread


_lock = threading.Lock()
_runs: dict[tuple[str, str], tuple[str | None, str | None]] = {}  # (namespace, run id) -> (experiment id, artifact root)
_run_datasets: dict[tuple[str, str], list[tuple[Any, str | None]]] = {}
_mlmodels: dict[str, dict[str, Any]] = {}  # emitter thread only
_models: dict[tuple[str, str], dict[str, Any]] = {}  # emitter thread only


def _bounded(cache: dict) -> dict:
    if len(cache) >= MAX_CACHED:
        cache.clear()
    return cache


def _dataset_inputs(run: Any) -> list[tuple[Any, str | None]]:
    inputs = run.inputs.dataset_inputs if run.inputs is not None else []
    return [(i.dataset, next((t.value for t in i.tags or [] if t.key == "mlflow.data.context"), None)) for i in inputs]


def run_ref(tracking_uri: str, run_id: str | None) -> RunRef | None:
    """The run `run_id`, or the active run when no id is given (user's thread only)."""
    import mlflow

    current = mlflow.active_run()
    if current is not None and run_id not in (None, current.info.run_id):
        current = None
    run_id = run_id or (current.info.run_id if current is not None else None)
    if run_id is None:
        return None
    key = (tracking_namespace(tracking_uri), run_id)
    with _lock:
        known, datasets = _runs.get(key), _run_datasets.get(key)
    seed = current
    if current is not None:
        known = (current.info.experiment_id, current.info.artifact_uri)
    elif known is None:
        seed = mlflow.MlflowClient(tracking_uri).get_run(run_id)
        known = (seed.info.experiment_id, seed.info.artifact_uri)
    with _lock:
        _bounded(_runs)[key] = known
        if datasets is None and seed is not None:
            datasets = _bounded(_run_datasets).setdefault(key, _dataset_inputs(seed))
        return RunRef(run_id, known[0], known[1], tuple(datasets or ()))


def add_run_datasets(tracking_uri: str, run_id: str, datasets: list[tuple[Any, str | None]]) -> None:
    """Datasets just logged to a run (user's thread): what the run logs from now on reads them."""
    run_ref(tracking_uri, run_id)  # seeds the run's earlier datasets first
    with _lock:
        known = _run_datasets.setdefault((tracking_namespace(tracking_uri), run_id), [])
        seen = {(d.name, d.digest) for d, _ in known}
        known.extend((d, c) for d, c in datasets if (d.name, d.digest) not in seen)


def parse_mlmodel(text: str) -> dict[str, Any]:
    """An MLmodel file's contents, parsed once per distinct text (emitter thread)."""
    found = _mlmodels.get(text)
    if found is None:
        import yaml

        found = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        _bounded(_mlmodels)[text] = found
    return found


def model_properties(namespace: str, model_id: str, update: dict[str, Any]) -> dict[str, Any]:
    """A model's properties so far, with `update` merged in (emitter thread).

    The store keeps the newest properties of an artifact whole, so an event about a model (params
    logged, the model finalised) carries what earlier events of this process said about it too.
    """
    merged = {**_models.get((namespace, model_id), {}), **{k: v for k, v in update.items() if v is not None}}
    _bounded(_models)[(namespace, model_id)] = merged
    return merged


def clear() -> None:
    with _lock:
        _runs.clear()
        _run_datasets.clear()
    _mlmodels.clear()
    _models.clear()
