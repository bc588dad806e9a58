"""Turn one OpenLineage event (a dict) into graph rows; reject malformed events with a clear reason.

`validate_and_derive` checks an event and hands its parts to a `GraphRows` (store/batch.py),
which merges the rows of a whole batch. What a job or dataset contributes, apart from the
event's time, is a pure function of its JSON (`workload_fields`, `artifact_fields`), so the
batch can derive it once per distinct JSON. Rows are plain tuples in the column order of
their table (`ROW_COLUMNS`): ingest makes millions of them, and a tuple costs a fraction of a dict.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, Protocol

import orjson

from lineage_nb.core.labels import first_line
from lineage_nb.store.ids import DIRECT, INFERRED, INPUT, OUTPUT, artifact_id, run_row_id, workload_id

STATE_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
KNOWN_WORKLOAD_TYPES = {"notebook", "script", "job", "service"}
STEP_TYPES = {"cell", "line", "worker"}  # lineage_nb's steps (runtime/steps.py), child jobs of a notebook or script
MODEL_NAMESPACE_PREFIXES = ("mlflow://", "models:", "mlflow-artifacts:")
MAX_TEXT = 4096
_FRACTION = re.compile(r"(\.\d{6})\d+")
_UTC_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z")
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "workloads": ("id", "namespace", "name", "type", "producer", "owner", "metadata_json", "parent_id", "first_seen", "last_run_at"),
    "artifacts": (
        "id", "namespace", "name", "uri", "kind", "format", "schema_json", "version",
        "created_at", "created_by", "first_seen", "last_seen", "properties_json",
    ),
    "runs": ("id", "run_uuid", "workload_id", "parent_run_uuid", "state", "state_rank", "started_at", "ended_at", "activity", "context_json"),
    "run_io": ("run_id", "direction", "artifact_id"),
    "workload_io": ("workload_id", "direction", "artifact_id", "first_at", "last_at", "evidence"),
    "aliases": ("namespace", "name", "artifact_id"),
}


class InvalidEvent(ValueError):
    """An event that cannot be ingested; the message says which field and why."""


class GraphSink(Protocol):
    """Where `validate_and_derive` puts what it finds (implemented by store.batch.GraphRows)."""

    def workload(self, job: dict[str, Any], producer: str, at: str, parent: int | None = None) -> tuple[int, str | None]: ...

    def artifact(self, dataset: dict[str, Any], at: str, created_by: str | None) -> int: ...

    def run(self, row: tuple[Any, ...]) -> None: ...

    def edge(self, workload: int, run: int | None, direction: int, artifact: int, at: str, evidence: int = DIRECT) -> None: ...


# ---- validation --------------------------------------------------------------------------------
def normalize_time(value: Any, where: str = "eventTime") -> str:
    """Any ISO-8601 date-time -> 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' in UTC, so strings sort as times."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{where} must be an ISO-8601 date-time string")
    utc = _UTC_TIME.fullmatch(value)
    if utc is not None:  # what nearly every producer sends; the general path below is six times slower
        try:
            datetime.fromisoformat(utc[1])
        except ValueError:
            raise InvalidEvent(f"{where} {value[:60]!r} is not an ISO-8601 date-time") from None
        return f"{utc[1]}.{(utc[2] or '').ljust(6, '0')}+00:00"
    text = _FRACTION.sub(r"\1", value.strip().replace("z", "Z"))
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(f"{where} {value[:60]!r} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _text(container: dict[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if _is_text(value):
        return value
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{where}.{key} must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise InvalidEvent(f"{where}.{key} is {len(value)} characters; the limit is {MAX_TEXT}")
    return value


def _object(container: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
    value = container.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}.{key} must be an object")
    return value


def _run_uuid(run: dict[str, Any]) -> str:
    run_id = _text(run, "runId", "run")
    if _CANONICAL_UUID.fullmatch(run_id) is None:
        try:
            uuid.UUID(run_id)
        except ValueError:
            raise InvalidEvent(f"run.runId {run_id[:60]!r} is not a UUID") from None
    return run_id


def event_kind(event: dict[str, Any]) -> str:
    if "run" in event:
        return "run"
    if "dataset" in event:
        return "dataset"
    if "job" in event:
        return "job"
    if "eventType" in event:
        return "run"
    raise InvalidEvent("not an OpenLineage event: no run, job or dataset")


def _datasets(event: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    items = event.get(direction) or []
    if not isinstance(items, list):
        raise InvalidEvent(f"event.{direction} must be a list")
    for index, dataset in enumerate(items):
        if not (dataset.__class__ is dict and _is_text(dataset.get("namespace")) and _is_text(dataset.get("name"))
                and dataset.get("facets").__class__ in (dict, type(None))):
            _check_dataset(dataset, f"{direction}[{index}]")  # says what is wrong
    return items


def _is_text(value: Any) -> bool:
    return value.__class__ is str and 0 < len(value) <= MAX_TEXT


def _check_dataset(dataset: Any, where: str) -> None:
    if not isinstance(dataset, dict):
        raise InvalidEvent(f"{where} must be an object")
    _text(dataset, "namespace", where)
    _text(dataset, "name", where)
    if dataset.get("facets") is not None and not isinstance(dataset["facets"], dict):
        raise InvalidEvent(f"{where}.facets must be an object")


def validate(event: Any) -> str:
    """Check the fields ingest relies on; return the normalized event time."""
    return validate_and_derive(event, None)


# ---- derivation -------------------------------------------------------------------------------
def validate_and_derive(event: Any, graph: GraphSink | None) -> str:
    """Validate `event` and, when `graph` is given, add its rows there; return the normalized time.

    Everything is checked before anything is added, so an invalid event adds nothing.
    """
    if not isinstance(event, dict):
        raise InvalidEvent(f"an event must be a JSON object, not {type(event).__name__}")
    at = normalize_time(event.get("eventTime"))
    producer = _text(event, "producer", "event")
    kind = event_kind(event)
    if kind == "dataset":
        dataset = event.get("dataset")
        _check_dataset(dataset, "dataset")
        if graph is not None:
            graph.artifact(dataset, at, None)
        return at
    run_uuid = None
    if kind == "run":
        run = _object(event, "run", "event", required=True)
        run_uuid = _run_uuid(run)
        state = event.get("eventType", "OTHER")
        if state not in STATE_RANK:
            raise InvalidEvent(f"eventType {str(state)[:30]!r} is not one of {', '.join(STATE_RANK)}")
    job = _object(event, "job", "event", required=True)
    _text(job, "namespace", "job")
    name = _text(job, "name", "job")
    _object(job, "facets", "job")
    inputs, outputs = _datasets(event, "inputs"), _datasets(event, "outputs")
    if graph is None:
        return at
    job, parent_job = step_and_parent(event, job)
    parent = None
    if parent_job is not None:
        parent, _ = graph.workload(parent_job, producer, at)
    workload, owner = graph.workload(job, producer, at, parent)
    run_id = None
    if run_uuid is not None:
        run_id = run_row_id(run_uuid)
        graph.run(_run_row(event, run_uuid, run_id, workload, at))
    for dataset in inputs:
        graph.edge(workload, run_id, INPUT, graph.artifact(dataset, at, None), at, _evidence(dataset))
    for dataset in outputs:
        graph.edge(workload, run_id, OUTPUT, graph.artifact(dataset, at, owner or name), at)
    return at


def step_and_parent(event: dict[str, Any], job: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The job whose edges these are, and the job it is a step or child of (None for a top-level job).

    A job whose `parent` run facet names another job is that job's child: lineage_nb's cells and
    lines, a dbt run's models, an Airflow DAG's tasks. lineage_nb before schema 3 emitted a notebook's
    child runs under the notebook's own job; those become the step their execution facet names (the
    prompt number, as old events have no cell id), so old stores answer per cell too.
    """
    run = event.get("run")
    facets = run.get("facets") if isinstance(run, dict) and isinstance(run.get("facets"), dict) else {}
    parent_job = _facet(_facet(facets, "parent"), "job")
    if not (_is_text(parent_job.get("namespace")) and _is_text(parent_job.get("name"))):
        return job, None
    parent = {"namespace": parent_job["namespace"], "name": parent_job["name"]}
    if (parent["namespace"], parent["name"]) != (job["namespace"], job["name"]):
        return job, parent
    execution = _facet(facets, "lineageNb_execution")
    if not execution:
        return job, None
    return _old_step_job(job, execution), parent


def _old_step_job(job: dict[str, Any], execution: dict[str, Any]) -> dict[str, Any]:
    count, line = execution.get("cellExecutionCount"), execution.get("scriptLine")
    if isinstance(count, int):
        name, step_type = f"{job['name']}::[{count}]", "cell"
        label = f"[{count}] {first_line(execution.get('cellSource') if isinstance(execution.get('cellSource'), str) else None)}".rstrip()
    elif isinstance(line, int):
        name, step_type, label = f"{job['name']}:{line}", "line", f"{job['name'].rsplit('/', 1)[-1]}:{line}"
    else:
        name, step_type, label = f"{job['name']}::worker", "worker", "Ray workers"
    step = {"stepType": step_type, "workloadName": job["name"], "label": label}
    owner = _facet(job.get("facets") or {}, "ownership")
    facets: dict[str, Any] = {"lineageNb_step": step} | ({"ownership": owner} if owner else {})
    return {"namespace": job["namespace"], "name": name[:MAX_TEXT], "facets": facets}


def _evidence(dataset: dict[str, Any]) -> int:
    facets = dataset.get("inputFacets")
    if isinstance(facets, dict) and _facet(facets, "lineageNb_evidence").get("evidence") == "inferred":
        return INFERRED
    return DIRECT


def _facet(facets: dict[str, Any], key: str) -> dict[str, Any]:
    value = facets.get(key)
    return value if isinstance(value, dict) else {}


def _plain_facet(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if not k.startswith("_")}


def json_text(value: Any) -> str:
    """Sorted-key JSON for a metadata column; the standard library covers what orjson refuses."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        import json

        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


WORKLOAD_FIELDS = ROW_COLUMNS["workloads"][:8]  # what a job JSON gives (workload_fields), then the parent its event names


def workload_fields(job: dict[str, Any], producer: str) -> tuple[Any, ...]:
    """A validated job's workload columns other than its parent and its times."""
    namespace, name = job["namespace"], job["name"]
    facets = job.get("facets") or {}
    custom = _plain_facet(_facet(facets, "lineageNb_workload"))
    step = _plain_facet(_facet(facets, "lineageNb_step"))
    owners = _facet(facets, "ownership").get("owners") or []
    owner = custom.get("owner") or next((o.get("name") for o in owners if isinstance(o, dict) and o.get("name")), None)
    workload_type = str(custom.get("workloadType") or step.get("stepType") or "").lower()
    if workload_type not in KNOWN_WORKLOAD_TYPES | STEP_TYPES:
        workload_type = "external"
    metadata = custom | step
    job_type = _plain_facet(_facet(facets, "jobType"))
    if job_type:
        metadata["jobType"] = job_type
    location = _plain_facet(_facet(facets, "sourceCodeLocation"))
    if location:
        metadata["sourceCodeLocation"] = location
    documentation = _facet(facets, "documentation").get("description")
    if documentation:
        metadata["description"] = documentation
    return (
        workload_id(namespace, name), namespace, name, workload_type, producer or None,
        owner if isinstance(owner, str) else None, json_text(metadata) if metadata else None,
    )


def _run_row(event: dict[str, Any], run_uuid: str, run_id: int, workload: int, at: str) -> tuple[Any, ...]:
    run = event["run"]
    state = event.get("eventType") or "OTHER"
    facets = run.get("facets") if isinstance(run.get("facets"), dict) else {}
    parent = _facet(facets, "parent").get("run")
    parent_uuid = parent.get("runId") if isinstance(parent, dict) else None
    execution = _plain_facet(_facet(facets, "lineageNb_execution"))
    activity = execution.pop("activity", None)
    error = _facet(facets, "errorMessage").get("message")
    if error:
        execution["errorMessage"] = str(error)[:MAX_TEXT]
    engine = _plain_facet(_facet(facets, "processing_engine"))
    if engine:
        execution["processingEngine"] = engine
    rank = STATE_RANK[state]
    return (
        run_id, run_uuid.lower(), workload, parent_uuid.lower() if isinstance(parent_uuid, str) else None,
        state, rank, at if state == "START" else None, at if rank == 2 else None,
        str(activity)[:64] if activity else None, json_text(execution) if execution else None,
    )


def is_model(namespace: str, name: str, facets: dict[str, Any]) -> bool:
    dataset_type = str(_facet(facets, "datasetType").get("datasetType") or "").upper()
    return dataset_type == "MODEL" or namespace.startswith(MODEL_NAMESPACE_PREFIXES) or name.startswith("models:/")


# An artifact row is its fields, then created_at, created_by, first_seen, last_seen, then properties_json.
ARTIFACT_FIELDS = ROW_COLUMNS["artifacts"][:8] + ROW_COLUMNS["artifacts"][12:]


def artifact_fields(dataset: dict[str, Any]) -> tuple[tuple[Any, ...], list[tuple[str, str]]]:
    """A validated dataset's artifact columns other than times and creator (ARTIFACT_FIELDS),
    and the (namespace, name) of each alias it declares."""
    namespace, name = dataset["namespace"], dataset["name"]
    facets = dataset.get("facets") or {}
    schema = None
    fields = _facet(facets, "schema").get("fields")
    if isinstance(fields, list):
        schema = [{"name": str(f.get("name")), "type": str(f.get("type") or "")} for f in fields if isinstance(f, dict)]
    source_uri = _facet(facets, "dataSource").get("uri")
    properties = _facet(_facet(facets, "lineageNb_artifact"), "properties")
    description = _facet(facets, "documentation").get("description")
    if description:
        properties = {**properties, "description": description}
    version = _facet(facets, "version").get("datasetVersion")
    identifiers = _facet(facets, "symlinks").get("identifiers") or []
    aliases = [
        (ident["namespace"], ident["name"])
        for ident in identifiers
        if isinstance(ident, dict) and isinstance(ident.get("namespace"), str) and isinstance(ident.get("name"), str)
    ]
    fields_row = (
        artifact_id(namespace, name), namespace, name,
        source_uri if isinstance(source_uri, str) and source_uri else _default_uri(namespace, name),
        "model" if is_model(namespace, name, facets) else "dataset",
        _short_text(_facet(facets, "storage").get("fileFormat"), 32),
        json_text(schema) if schema else None,
        str(version) if version else None,
        json_text(properties) if properties else None,
    )
    return fields_row, aliases
def _short_text(value: Any, limit: int) -> str | None:
    """A facet value for a bounded column: PostgreSQL enforces the bound, SQLite does not."""
    return str(value)[:limit] if value not in (None, "") else None


def _default_uri(namespace: str, name: str) -> str:
    if namespace == "file":
        return f"file://{name}"
    if "://" in namespace:
        return f"{namespace.rstrip('/')}/{name.lstrip('/')}"
    return f"{namespace}:{name}"
