"""What describing an MLflow call needs to know beyond its arguments, looked up once and cached.

Only the emitter thread calls these (describers run there), so the caches need no lock. Each is
bounded: it is cleared when it grows past MAX_CACHED entries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lineage_nb.capture.mlflow.datasets import dataset_fact
from lineage_nb.capture.mlflow.naming import tracking_namespace
from lineage_nb.core.facts import ArtifactFact

MAX_CACHED = 4_096


@dataclass(frozen=True)
class RunRef:
    """A run as seen on the user's thread: the active run carries its details, another run only its id."""

    run_id: str
    experiment_id: str | None = None
    artifact_uri: str | None = None


@dataclass
class RunDetails:
    artifact_uri: str | None
    experiment_id: str | None
    datasets: list[ArtifactFact] = field(default_factory=list)  # logged to the run with log_input


_runs: dict[tuple[str, str], RunDetails] = {}
_mlmodels: dict[str, dict[str, Any]] = {}
_models: dict[tuple[str, str], dict[str, Any]] = {}


def _bounded(cache: dict) -> dict:
    if len(cache) >= MAX_CACHED:
        cache.clear()
    return cache


def run_details(tracking_uri: str, run: RunRef | str | None) -> RunDetails:
    """A run's artifact root, experiment and datasets: looked up once per run, then kept up to date by `add_run_datasets`."""
    if run is None:
        return RunDetails(None, None)
    ref = run if isinstance(run, RunRef) else RunRef(run)
    key = (tracking_namespace(tracking_uri), ref.run_id)
    found = _runs.get(key)
    if found is None:
        import mlflow

        fetched = mlflow.MlflowClient(tracking_uri).get_run(ref.run_id)
        inputs = fetched.inputs.dataset_inputs if fetched.inputs is not None else []
        found = RunDetails(
            ref.artifact_uri or fetched.info.artifact_uri,
            ref.experiment_id or fetched.info.experiment_id,
            [dataset_fact(i.dataset, tracking_uri, _context_tag(i.tags)) for i in inputs],
        )
        _bounded(_runs)[key] = found
    return found


def _context_tag(tags: Any) -> str | None:
    return next((tag.value for tag in tags or [] if tag.key == "mlflow.data.context"), None)


def add_run_datasets(tracking_uri: str, run_id: str, datasets: list[ArtifactFact]) -> None:
    details = run_details(tracking_uri, run_id)
    known = {(d.namespace, d.name, d.location) for d in details.datasets}
    details.datasets.extend(d for d in datasets if (d.namespace, d.name, d.location) not in known)


def parse_mlmodel(text: str) -> dict[str, Any]:
    """An MLmodel file's contents, parsed once per distinct text."""
    found = _mlmodels.get(text)
    if found is None:
        import yaml

        found = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        _bounded(_mlmodels)[text] = found
    return found


def model_properties(namespace: str, model_id: str, update: dict[str, Any]) -> dict[str, Any]:
    """A model's properties so far, with `update` merged in.

    The store keeps the newest properties of an artifact whole, so an event about a model (params
    logged, the model finalised) carries what earlier events of this process said about it too.
    """
    merged = {**_models.get((namespace, model_id), {}), **{k: v for k, v in update.items() if v is not None}}
    _bounded(_models)[(namespace, model_id)] = merged
    return merged


def clear() -> None:
    _runs.clear()
    _mlmodels.clear()
    _models.clear()
