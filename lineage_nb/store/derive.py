"""Turn one OpenLineage event (a dict) into graph rows; reject malformed events with a clear reason."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lineage_nb.store.schema import INPUT, OUTPUT, stable_id

STATE_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
KNOWN_WORKLOAD_TYPES = {"notebook", "script", "job", "service"}
MODEL_NAMESPACE_PREFIXES = ("mlflow://", "models:", "mlflow-artifacts:")
_FRACTION = re.compile(r"(\.\d{6})\d+")
MAX_TEXT = 4096


class InvalidEvent(ValueError):
    """An event that cannot be ingested; the message says which field and why."""


@dataclass
class DerivedRows:
    workloads: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    run_io: list[dict[str, Any]] = field(default_factory=list)
    workload_io: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)


def normalize_time(value: Any, where: str = "eventTime") -> str:
    """Any ISO-8601 date-time -> 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' in UTC, so strings sort as times."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(f"{where} must be an ISO-8601 date-time string")
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


def _facet(facets: dict[str, Any], key: str) -> dict[str, Any]:
    value = facets.get(key)
    return value if isinstance(value, dict) else {}


def _plain_facet(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if not k.startswith("_")}


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


def validate(event: Any) -> str:
    """Check the fields ingest relies on; return the normalized event time."""
    if not isinstance(event, dict):
        raise InvalidEvent(f"an event must be a JSON object, not {type(event).__name__}")
    at = normalize_time(event.get("eventTime"))
    _text(event, "producer", "event")
    kind = event_kind(event)
    if kind == "run":
        run = _object(event, "run", "event", required=True)
        run_id = _text(run, "runId", "run")
        try:
            uuid.UUID(run_id)
        except ValueError:
            raise InvalidEvent(f"run.runId {run_id[:60]!r} is not a UUID") from None
        state = event.get("eventType", "OTHER")
        if state not in STATE_RANK:
            raise InvalidEvent(f"eventType {str(state)[:30]!r} is not one of {', '.join(STATE_RANK)}")
    if kind in ("run", "job"):
        job = _object(event, "job", "event", required=True)
        _text(job, "namespace", "job")
        _text(job, "name", "job")
        for direction in ("inputs", "outputs"):
            items = event.get(direction) or []
            if not isinstance(items, list):
                raise InvalidEvent(f"event.{direction} must be a list")
            for index, dataset in enumerate(items):
                _check_dataset(dataset, f"{direction}[{index}]")
    else:
        _check_dataset(event.get("dataset"), "dataset")
    return at


def _check_dataset(dataset: Any, where: str) -> None:
    if not isinstance(dataset, dict):
        raise InvalidEvent(f"{where} must be an object")
    _text(dataset, "namespace", where)
    _text(dataset, "name", where)
    if dataset.get("facets") is not None and not isinstance(dataset["facets"], dict):
        raise InvalidEvent(f"{where}.facets must be an object")


def artifact_id(namespace: str, name: str) -> int:
    return stable_id("artifact", namespace, name)


def workload_id(namespace: str, name: str) -> int:
    return stable_id("workload", namespace, name)


def run_row_id(run_uuid: str) -> int:
    return stable_id("run", run_uuid.lower())


def derive(event: dict[str, Any], at: str) -> DerivedRows:
    """Graph rows for a validated event. Pure: the same event always gives the same rows."""
    rows = DerivedRows()
    kind = event_kind(event)
    if kind == "dataset":
        rows.artifacts.append(_artifact_row(event["dataset"], at, None))
        rows.aliases.extend(_alias_rows(event["dataset"]))
        return rows
    job = event["job"]
    job_facets = _object(job, "facets", "job")
    workload = _workload_row(job, job_facets, event.get("producer", ""), at)
    rows.workloads.append(workload)
    owner = workload["owner"] or job["name"]
    run_id = None
    if kind == "run":
        run_id = run_row_id(event["run"]["runId"])
        rows.runs.append(_run_row(event, run_id, workload["id"], at))
    for direction, key in ((INPUT, "inputs"), (OUTPUT, "outputs")):
        for dataset in event.get(key) or []:
            artifact = _artifact_row(dataset, at, owner if direction == OUTPUT else None)
            rows.artifacts.append(artifact)
            rows.aliases.extend(_alias_rows(dataset))
            if run_id is not None:
                rows.run_io.append({"run_id": run_id, "direction": direction, "artifact_id": artifact["id"]})
            rows.workload_io.append(
                {"workload_id": workload["id"], "direction": direction, "artifact_id": artifact["id"], "first_at": at, "last_at": at}
            )
    return rows


def _workload_row(job: dict[str, Any], facets: dict[str, Any], producer: str, at: str) -> dict[str, Any]:
    custom = _plain_facet(_facet(facets, "lineageNb_workload"))
    job_type = _plain_facet(_facet(facets, "jobType"))
    owners = _facet(facets, "ownership").get("owners") or []
    owner = custom.get("owner") or next((o.get("name") for o in owners if isinstance(o, dict) and o.get("name")), None)
    workload_type = str(custom.get("workloadType") or "").lower()
    if workload_type not in KNOWN_WORKLOAD_TYPES:
        workload_type = "external"
    metadata = dict(custom)
    if job_type:
        metadata["jobType"] = job_type
    location = _plain_facet(_facet(facets, "sourceCodeLocation"))
    if location:
        metadata["sourceCodeLocation"] = location
    documentation = _facet(facets, "documentation").get("description")
    if documentation:
        metadata["description"] = documentation
    return {
        "id": workload_id(job["namespace"], job["name"]),
        "namespace": job["namespace"],
        "name": job["name"],
        "type": workload_type,
        "producer": producer or None,
        "owner": owner if isinstance(owner, str) else None,
        "metadata_json": json.dumps(metadata, sort_keys=True) if metadata else None,
        "first_seen": at,
        "last_run_at": at,
    }


def _run_row(event: dict[str, Any], run_id: int, workload: int, at: str) -> dict[str, Any]:
    run = event["run"]
    state = event.get("eventType") or "OTHER"
    facets = run.get("facets") if isinstance(run.get("facets"), dict) else {}
    parent = _facet(facets, "parent").get("run")
    parent_uuid = parent.get("runId") if isinstance(parent, dict) else None
    execution = _plain_facet(_facet(facets, "lineageNb_execution"))
    context = {k: v for k, v in execution.items() if k != "activity"}
    error = _facet(facets, "errorMessage").get("message")
    if error:
        context["errorMessage"] = str(error)[:MAX_TEXT]
    engine = _plain_facet(_facet(facets, "processing_engine"))
    if engine:
        context["processingEngine"] = engine
    return {
        "id": run_id,
        "run_uuid": run["runId"].lower(),
        "workload_id": workload,
        "parent_run_uuid": parent_uuid.lower() if isinstance(parent_uuid, str) else None,
        "state": state,
        "state_rank": STATE_RANK[state],
        "started_at": at if state == "START" else None,
        "ended_at": at if STATE_RANK[state] == 2 else None,
        "activity": str(execution.get("activity"))[:64] if execution.get("activity") else None,
        "context_json": json.dumps(context, sort_keys=True) if context else None,
        "_at": at,
    }


def is_model(namespace: str, name: str, facets: dict[str, Any]) -> bool:
    dataset_type = str(_facet(facets, "datasetType").get("datasetType") or "").upper()
    return dataset_type == "MODEL" or namespace.startswith(MODEL_NAMESPACE_PREFIXES) or name.startswith("models:/")


def _artifact_row(dataset: dict[str, Any], at: str, created_by: str | None) -> dict[str, Any]:
    namespace, name = dataset["namespace"], dataset["name"]
    facets = dataset.get("facets") if isinstance(dataset.get("facets"), dict) else {}
    fields = _facet(facets, "schema").get("fields")
    schema = (
        [{"name": str(f.get("name")), "type": str(f.get("type") or "")} for f in fields if isinstance(f, dict)]
        if isinstance(fields, list)
        else None
    )
    source_uri = _facet(facets, "dataSource").get("uri")
    properties = _plain_facet(_facet(facets, "lineageNb_artifact")).get("properties") or {}
    description = _facet(facets, "documentation").get("description")
    if description:
        properties = {**properties, "description": description}
    version = _facet(facets, "version").get("datasetVersion")
    return {
        "id": artifact_id(namespace, name),
        "namespace": namespace,
        "name": name,
        "uri": source_uri if isinstance(source_uri, str) and source_uri else _default_uri(namespace, name),
        "kind": "model" if is_model(namespace, name, facets) else "dataset",
        "format": _short_text(_facet(facets, "storage").get("fileFormat"), 32),
        "schema_json": json.dumps(schema) if schema else None,
        "version": str(version) if version else None,
        "created_at": at if created_by else None,
        "created_by": created_by,
        "first_seen": at,
        "last_seen": at,
        "properties_json": json.dumps(properties, sort_keys=True) if properties else None,
    }


def _short_text(value: Any, limit: int) -> str | None:
    """A facet value for a bounded column: PostgreSQL enforces the bound, SQLite does not."""
    return str(value)[:limit] if value not in (None, "") else None


def _default_uri(namespace: str, name: str) -> str:
    if namespace == "file":
        return f"file://{name}"
    if "://" in namespace:
        return f"{namespace.rstrip('/')}/{name.lstrip('/')}"
    return f"{namespace}:{name}"


def _alias_rows(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    facets = dataset.get("facets") if isinstance(dataset.get("facets"), dict) else {}
    identifiers = _facet(facets, "symlinks").get("identifiers") or []
    target = artifact_id(dataset["namespace"], dataset["name"])
    return [
        {"namespace": ident["namespace"], "name": ident["name"], "artifact_id": target}
        for ident in identifiers
        if isinstance(ident, dict) and isinstance(ident.get("namespace"), str) and isinstance(ident.get("name"), str)
    ]
