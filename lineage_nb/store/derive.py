"""Turn one OpenLineage event (a dict) into graph rows; reject malformed events with a clear reason.

`validate_and_derive` checks an event (store/validate.py) and hands its parts to a `GraphRows`
(store/batch.py), which merges the rows of a whole batch. What a job or dataset contributes,
apart from the event's time, is a pure function of its JSON (store/facets.py), so the batch can
derive it once per distinct JSON. Rows are plain tuples in the column order of their table
(`ROW_COLUMNS`): ingest makes millions of them, and a tuple costs a fraction of a dict.
"""
from __future__ import annotations

from typing import Any, Protocol

from lineage_nb.store.facets import dataset_facts, facet
from lineage_nb.store.facets import run_row as _run_row
from lineage_nb.store.hierarchy import step_and_parent
from lineage_nb.store.ids import COLUMN_LINEAGE, DIRECT, INFERRED, INPUT, OUTPUT, run_row_id
from lineage_nb.store.validate import (
    STATE_RANK,
    InvalidEvent,
    check_dataset,
    datasets,
    event_kind,
    normalize_time,
    object_field,
    run_state,
    run_uuid,
    text,
)

ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "workloads": ("id", "namespace", "name", "type", "producer", "owner", "metadata_json", "parent_id", "first_seen", "last_run_at"),
    # created_at and created_by are not derived from one event: the first COMPLETE run that wrote an
    # artifact sets them, once its rows are written (the `_creation` statement in store/__init__.py).
    "artifacts": ("id", "namespace", "name", "uri", "kind", "format", "schema_json", "version", "first_seen", "last_seen", "properties_json"),
    "runs": ("id", "run_uuid", "workload_id", "parent_run_uuid", "state", "state_rank", "started_at", "ended_at", "activity", "context_json"),
    "run_io": ("run_id", "direction", "artifact_id"),
    "workload_io": ("workload_id", "direction", "artifact_id", "first_at", "last_at", "evidence"),
    "aliases": ("namespace", "name", "artifact_id"),
    "artifact_facets": ("artifact_id", "key", "at", "value_json"),
}
WORKLOAD_FIELDS = ROW_COLUMNS["workloads"][:8]  # what a job JSON gives (workload_fields), then the parent its event names
# What a dataset JSON gives (facets.dataset_info): the artifact's columns but its times.
ARTIFACT_FIELDS = ROW_COLUMNS["artifacts"][:8] + ROW_COLUMNS["artifacts"][10:]
RUN_FACETS = {INPUT: "inputFacets", OUTPUT: "outputFacets"}


class GraphSink(Protocol):
    """Where `validate_and_derive` puts what it finds (implemented by store.batch.GraphRows)."""

    def workload(self, job: dict[str, Any], producer: str, at: str, parent: int | None = None) -> int: ...

    def artifact(self, dataset: dict[str, Any], at: str) -> tuple[int, list[tuple[str, str]]]: ...

    def run(self, row: tuple[Any, ...]) -> None: ...

    def edge(self, workload: int, run: int | None, direction: int, artifact: int, at: str, evidence: int = DIRECT) -> None: ...

    def fact(self, artifact: int, key: str, at: str, value_json: str) -> None: ...


def validate(event: Any) -> str:
    """Check the fields ingest relies on; return the normalized event time."""
    return validate_and_derive(event, None)


def validate_and_derive(event: Any, graph: GraphSink | None) -> str:
    """Validate `event` and, when `graph` is given, add its rows there; return the normalized time.

    Everything is checked before anything is added, so an invalid event adds nothing.
    """
    if not isinstance(event, dict):
        raise InvalidEvent(f"an event must be a JSON object, not {type(event).__name__}")
    at = normalize_time(event.get("eventTime"))
    producer = text(event, "producer", "event")
    kind = event_kind(event)
    if kind == "dataset":
        dataset = event.get("dataset")
        check_dataset(dataset, "dataset")
        if graph is not None:
            graph.artifact(dataset, at)
        return at
    uuid = None
    if kind == "run":
        uuid = run_uuid(object_field(event, "run", "event", required=True))
        run_state(event)
    job = object_field(event, "job", "event", required=True)
    text(job, "namespace", "job")
    text(job, "name", "job")
    object_field(job, "facets", "job")
    inputs, outputs = datasets(event, "inputs"), datasets(event, "outputs")
    if graph is not None:
        _derive(event, graph, job, producer, at, uuid, inputs, outputs)
    return at


def _derive(
    event: dict[str, Any], graph: GraphSink, job: dict[str, Any], producer: str, at: str, uuid: str | None,
    inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
) -> None:
    job, parent_job = step_and_parent(event, job)
    parent = graph.workload(parent_job, producer, at) if parent_job is not None else None
    workload = graph.workload(job, producer, at, parent)
    run_id = None
    if uuid is not None:
        run_id = run_row_id(uuid)
        graph.run(_run_row(event, uuid, run_id, workload, at))
    read = set()
    for direction, items in ((INPUT, inputs), (OUTPUT, outputs)):
        for dataset in items:
            artifact, lineage_inputs = graph.artifact(dataset, at)
            graph.edge(workload, run_id, direction, artifact, at, _evidence(dataset) if direction == INPUT else DIRECT)
            for key, value in dataset_facts(facet(dataset, RUN_FACETS[direction])):
                graph.fact(artifact, key, at, value)
            if direction == INPUT:
                read.add((dataset["namespace"], dataset["name"]))
                continue
            for namespace, name in lineage_inputs:
                # Named only by the output's columnLineage (dbt-ol leaves seeds out of `inputs`).
                if (namespace, name) not in read:
                    source, _ = graph.artifact({"namespace": namespace, "name": name}, at)
                    graph.edge(workload, None, INPUT, source, at, COLUMN_LINEAGE)


def _evidence(dataset: dict[str, Any]) -> int:
    if facet(facet(dataset, "inputFacets"), "lineageNb_evidence").get("evidence") == "inferred":
        return INFERRED
    return DIRECT


__all__ = ["ARTIFACT_FIELDS", "GraphSink", "InvalidEvent", "ROW_COLUMNS", "STATE_RANK", "WORKLOAD_FIELDS", "validate", "validate_and_derive"]
