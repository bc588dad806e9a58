"""What a job's, a run's or a dataset's facets give the store: its columns, and the dataset facts kept apart.

Pure functions of the JSON, so a batch derives them once per distinct job or dataset.
Dataset facts are the latest value of each standard facet a producer may send about a dataset
(`dataSource`, `columnLineage`, `dataQualityMetrics`, each `dataQualityAssertions` entry,
`inputStatistics`, `outputStatistics`), stored as (key, JSON) in `artifact_facets`.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from lineage_nb.store.ids import artifact_id, workload_id
from lineage_nb.store.validate import MAX_TEXT, STATE_RANK, is_text

KNOWN_WORKLOAD_TYPES = {"notebook", "script", "job", "service"}
STEP_TYPES = {"cell", "line", "worker"}  # lineage_nb's steps (runtime/steps.py), child jobs of a notebook or script
MODEL_NAMESPACE_PREFIXES = ("mlflow://", "models:", "mlflow-artifacts:")
MAX_SQL = 100_000
ASSERTION_KEY = "assertion:"


def facet(facets: dict[str, Any], key: str) -> dict[str, Any]:
    value = facets.get(key)
    return value if isinstance(value, dict) else {}


def plain_facet(value: dict[str, Any]) -> dict[str, Any]:
    """A facet without its `_producer` and `_schemaURL`."""
    return {k: v for k, v in value.items() if not k.startswith("_")}


def json_text(value: Any) -> str:
    """Sorted-key JSON for a metadata column; the standard library covers what orjson refuses."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        import json

        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# ---- jobs and runs ------------------------------------------------------------------------------
def workload_fields(job: dict[str, Any], producer: str) -> tuple[Any, ...]:
    """A validated job's workload columns other than its parent and its times."""
    namespace, name = job["namespace"], job["name"]
    facets = job.get("facets") or {}
    custom = plain_facet(facet(facets, "lineageNb_workload"))
    step = plain_facet(facet(facets, "lineageNb_step"))
    owners = facet(facets, "ownership").get("owners") or []
    owner = custom.get("owner") or next((o.get("name") for o in owners if isinstance(o, dict) and o.get("name")), None)
    workload_type = str(custom.get("workloadType") or step.get("stepType") or "").lower()
    if workload_type not in KNOWN_WORKLOAD_TYPES | STEP_TYPES:
        workload_type = "external"
    metadata = custom | step
    job_type = plain_facet(facet(facets, "jobType"))
    if job_type:
        metadata["jobType"] = job_type
    location = plain_facet(facet(facets, "sourceCodeLocation"))
    if location:
        metadata["sourceCodeLocation"] = location
    documentation = facet(facets, "documentation").get("description")
    if documentation:
        metadata["description"] = documentation
    sql = facet(facets, "sql")
    if isinstance(sql.get("query"), str) and sql["query"]:
        metadata["sql"] = {"query": sql["query"][:MAX_SQL], **({"dialect": str(sql["dialect"])} if sql.get("dialect") else {})}
    return (
        workload_id(namespace, name), namespace, name, workload_type, producer or None,
        owner if isinstance(owner, str) else None, json_text(metadata) if metadata else None,
    )


def run_row(event: dict[str, Any], run_uuid: str, run_id: int, workload: int, at: str) -> tuple[Any, ...]:
    run = event["run"]
    state = event.get("eventType") or "OTHER"
    facets = run.get("facets") if isinstance(run.get("facets"), dict) else {}
    parent = facet(facets, "parent").get("run")
    parent_uuid = parent.get("runId") if isinstance(parent, dict) else None
    execution = plain_facet(facet(facets, "lineageNb_execution"))
    activity = execution.pop("activity", None)
    error = facet(facets, "errorMessage").get("message")
    if error:
        execution["errorMessage"] = str(error)[:MAX_TEXT]
    engine = plain_facet(facet(facets, "processing_engine"))
    if engine:
        execution["processingEngine"] = engine
    rank = STATE_RANK[state]
    return (
        run_id, run_uuid.lower(), workload, parent_uuid.lower() if isinstance(parent_uuid, str) else None,
        state, rank, at if state == "START" else None, at if rank == 2 else None,
        str(activity)[:64] if activity else None, json_text(execution) if execution else None,
    )


# ---- datasets -----------------------------------------------------------------------------------
class DatasetInfo(NamedTuple):
    """What a dataset's JSON (without its run-specific input/output facets) gives the store."""

    fields: tuple[Any, ...]  # the artifact columns other than its times (ARTIFACT_FIELDS)
    aliases: list[tuple[str, str]]  # (namespace, name) of each symlink
    facts: list[tuple[str, str]]  # (key, JSON) of dataset facts
    lineage_inputs: list[tuple[str, str]]  # datasets its columnLineage names, itself left out


def is_model(namespace: str, name: str, facets: dict[str, Any]) -> bool:
    dataset_type = str(facet(facets, "datasetType").get("datasetType") or "").upper()
    return dataset_type == "MODEL" or namespace.startswith(MODEL_NAMESPACE_PREFIXES) or name.startswith("models:/")


def dataset_info(dataset: dict[str, Any]) -> DatasetInfo:
    namespace, name = dataset["namespace"], dataset["name"]
    facets = dataset.get("facets") or {}
    schema = None
    fields = facet(facets, "schema").get("fields")
    if isinstance(fields, list):
        schema = [{"name": str(f.get("name")), "type": str(f.get("type") or "")} for f in fields if isinstance(f, dict)]
    properties = facet(facet(facets, "lineageNb_artifact"), "properties")
    description = facet(facets, "documentation").get("description")
    if description:
        properties = {**properties, "description": description}
    version = facet(facets, "version").get("datasetVersion")
    identifiers = facet(facets, "symlinks").get("identifiers") or []
    aliases = [
        (ident["namespace"], ident["name"])
        for ident in identifiers
        if isinstance(ident, dict) and isinstance(ident.get("namespace"), str) and isinstance(ident.get("name"), str)
    ]
    row = (
        artifact_id(namespace, name), namespace, name, dataset_uri(namespace, name),
        "model" if is_model(namespace, name, facets) else "dataset",
        _short_text(facet(facets, "storage").get("fileFormat"), 32),
        json_text(schema) if schema else None,
        str(version) if version else None,
        json_text(properties) if properties else None,
    )
    lineage, lineage_inputs = column_lineage(facet(facets, "columnLineage"), (namespace, name))
    facts = dataset_facts(facets)
    if lineage:
        facts.append(("columnLineage", json_text(lineage)))
    return DatasetInfo(row, aliases, facts, lineage_inputs)


def dataset_facts(facets: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, JSON) of the facts in dataset, input or output facets, other than column lineage."""
    facts = []
    source = facet(facets, "dataSource")
    if source:
        facts.append(("dataSource", json_text({"name": _short_text(source.get("name"), MAX_TEXT), "uri": _short_text(source.get("uri"), MAX_TEXT)})))
    for key in ("dataQualityMetrics", "inputStatistics", "outputStatistics"):
        value = plain_facet(facet(facets, key))
        if value:
            facts.append((key, json_text(value)))
    for assertion in facet(facets, "dataQualityAssertions").get("assertions") or []:
        if isinstance(assertion, dict) and is_text(assertion.get("assertion")):
            entry = {"assertion": assertion["assertion"], "column": None, "success": assertion.get("success") is True}
            entry.update((k, assertion[k]) for k in ("column", "name", "severity") if is_text(assertion.get(k)))
            # One entry per test: a test's own name when the producer gives one (dbt does), else what and where it checks.
            identity = [entry["name"]] if "name" in entry else [entry["assertion"], entry["column"]]
            facts.append((ASSERTION_KEY + json_text(identity), json_text(entry)))
    return facts


def column_lineage(lineage: dict[str, Any], itself: tuple[str, str]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The columnLineage facet as [{column, inputs: [{namespace, name, column, transformations}]}],
    and the datasets it names (per column or for the whole dataset), without `itself`."""
    columns, named = [], {}
    fields = lineage.get("fields")
    for column, spec in sorted(fields.items()) if isinstance(fields, dict) else ():
        if not isinstance(spec, dict):
            continue
        inputs = [entry for field in spec.get("inputFields") or [] if (entry := _input_field(field, spec)) is not None]
        columns.append({"column": column, "inputs": inputs})
        named.update(((e["namespace"], e["name"]), None) for e in inputs)
    for field in lineage.get("dataset") or [] if isinstance(lineage.get("dataset"), list) else []:
        entry = _input_field(field, {})
        if entry is not None:
            named[(entry["namespace"], entry["name"])] = None
    named.pop(itself, None)
    return columns, list(named)


def _input_field(field: Any, spec: dict[str, Any]) -> dict[str, Any] | None:
    if not (isinstance(field, dict) and is_text(field.get("namespace")) and is_text(field.get("name"))):
        return None
    transformations = [plain_facet(t) for t in field.get("transformations") or [] if isinstance(t, dict)]
    if not transformations and spec.get("transformationType"):  # the facet's deprecated per-column form
        transformations = [{"type": spec["transformationType"], "description": spec.get("transformationDescription")}]
    column = field.get("field")
    return {"namespace": field["namespace"], "name": field["name"], "column": column if isinstance(column, str) else None,
            "transformations": transformations}


def dataset_uri(namespace: str, name: str) -> str:
    """A dataset's URI from its identity, as the naming spec combines them (never from dataSource)."""
    if namespace == "file":
        return f"file://{name}"
    if "://" in namespace:
        return f"{namespace.rstrip('/')}/{name.lstrip('/')}"
    return f"{namespace}:{name}"


def _short_text(value: Any, limit: int) -> str | None:
    """A facet value for a bounded column: PostgreSQL enforces the bound, SQLite does not."""
    return str(value)[:limit] if value not in (None, "") else None
