"""Build OpenLineage RunEvents from plain facts, with openlineage-python's event_v2/facet_v2 classes.

Runs in the emitter thread. Knows OpenLineage; knows nothing of Ray or MLflow internals.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any, ClassVar

import attr
from openlineage.client import event_v2, facet_v2

from lineage_nb.core.facts import ActivityFact, ArtifactFact, ColumnOrigin, RunContext
from lineage_nb.core.naming import dataset_name, infer_format, redact_text, strip_credentials
from lineage_nb.core.settings import settings
from lineage_nb.core.version import __version__
from lineage_nb.runtime.sinks import Outgoing
from lineage_nb.runtime.steps import step_of
from lineage_nb.runtime.workload import Workload

PRODUCER = f"https://github.com/lineage-nb/lineage_nb/tree/v{__version__}"
SCHEMA_BASE = f"https://raw.githubusercontent.com/lineage-nb/lineage_nb/v{__version__}/lineage_nb/spec"
INTEGRATION = "LINEAGE_NB"
MAX_FILES_IN_VERSION = 10_000


@attr.define
class WorkloadJobFacet(facet_v2.JobFacet):
    """`lineageNb_workload`: who runs the workload and on what."""

    workloadType: str
    workloadName: str
    workloadId: str
    owner: str | None = attr.field(default=None)
    project: str | None = attr.field(default=None)
    host: str | None = attr.field(default=None)
    rayVersion: str | None = attr.field(default=None)
    pythonVersion: str | None = attr.field(default=None)
    osVersion: str | None = attr.field(default=None)
    lineageNbVersion: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/WorkloadJobFacet.json#/$defs/WorkloadJobFacet"


@attr.define
class ExecutionRunFacet(facet_v2.RunFacet):
    """`lineageNb_execution`: what started a child run (cell or script line) and its MLflow/Ray context."""

    activity: str
    cellId: str | None = attr.field(default=None)
    cellExecutionCount: int | None = attr.field(default=None)
    cellSource: str | None = attr.field(default=None)
    scriptPath: str | None = attr.field(default=None)
    scriptLine: int | None = attr.field(default=None)
    mlflowRunId: str | None = attr.field(default=None)
    mlflowExperimentId: str | None = attr.field(default=None)
    mlflowTrackingUri: str | None = attr.field(default=None)
    rayJobId: str | None = attr.field(default=None)
    rayNodeId: str | None = attr.field(default=None)
    _additional_skip_redact: ClassVar[list[str]] = ["activity"]

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/ExecutionRunFacet.json#/$defs/ExecutionRunFacet"


@attr.define
class ArtifactDatasetFacet(facet_v2.DatasetFacet):
    """`lineageNb_artifact`: artifact metadata with no standard facet (model id, flavors, registry name)."""

    properties: dict[str, Any] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/ArtifactDatasetFacet.json#/$defs/ArtifactDatasetFacet"


@attr.define
class StepJobFacet(facet_v2.JobFacet):
    """`lineageNb_step`: this job is one step (a cell, a calling line) of the workload its parent facet names."""

    stepType: str
    workloadName: str
    cellId: str | None = attr.field(default=None)
    executionCount: int | None = attr.field(default=None)
    scriptLine: int | None = attr.field(default=None)
    label: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/StepJobFacet.json#/$defs/StepJobFacet"


@attr.define
class EvidenceInputDatasetFacet(facet_v2.InputDatasetFacet):
    """`lineageNb_evidence`: an input the run is inferred to have used (held in the process when it wrote Python-built data)."""

    evidence: str = attr.field(default="inferred")

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/EvidenceInputDatasetFacet.json#/$defs/EvidenceInputDatasetFacet"


WORKLOAD_FACET = "lineageNb_workload"
STEP_FACET = "lineageNb_step"
EVIDENCE_FACET = "lineageNb_evidence"
EXECUTION_FACET = "lineageNb_execution"
ARTIFACT_FACET = "lineageNb_artifact"


def _job(workload: Workload) -> event_v2.Job:
    meta = workload.metadata
    facets: dict[str, Any] = {
        "jobType": facet_v2.job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=INTEGRATION, jobType=workload.type.upper(), producer=PRODUCER
        ),
        WORKLOAD_FACET: WorkloadJobFacet(producer=PRODUCER, **meta),
    }
    if meta.get("owner"):
        facets["ownership"] = facet_v2.ownership_job.OwnershipJobFacet(
            owners=[facet_v2.ownership_job.Owner(name=str(meta["owner"]), type="MAINTAINER")], producer=PRODUCER
        )
    if workload.source_path and os.path.isabs(workload.source_path):
        facets["sourceCodeLocation"] = facet_v2.source_code_location_job.SourceCodeLocationJobFacet(
            type="file", url=f"file://{workload.source_path}", path=workload.source_path, producer=PRODUCER
        )
    return event_v2.Job(namespace=workload.namespace, name=workload.name, facets=facets)


def _step_job(workload: Workload, context: RunContext) -> event_v2.Job:
    step = step_of(workload, context)
    owner = workload.metadata.get("owner")
    facets: dict[str, Any] = {
        "jobType": facet_v2.job_type_job.JobTypeJobFacet(processingType="BATCH", integration=INTEGRATION, jobType="TASK", producer=PRODUCER),
        STEP_FACET: StepJobFacet(
            stepType=step.type, workloadName=workload.name, cellId=step.cell_id, executionCount=step.execution_count,
            scriptLine=step.script_line, label=redact_text(step.label), producer=PRODUCER,
        ),
    }
    if owner:
        facets["ownership"] = facet_v2.ownership_job.OwnershipJobFacet(
            owners=[facet_v2.ownership_job.Owner(name=str(owner), type="MAINTAINER")], producer=PRODUCER
        )
    return event_v2.Job(namespace=workload.namespace, name=step.job_name, facets=facets)


def session_event(workload: Workload, state: str, at: datetime) -> event_v2.RunEvent:
    run = event_v2.Run(runId=workload.session_run_id, facets={})
    event = event_v2.RunEvent(
        eventType=event_v2.RunState[state], eventTime=at.isoformat(), run=run, job=_job(workload), producer=PRODUCER
    )
    return event


def child_event(
    workload: Workload,
    run_id: str,
    fact: ActivityFact,
    state: str,
    at: datetime,
    error: tuple[str, str] | None,
) -> event_v2.RunEvent:
    context = fact.context
    facets: dict[str, Any] = {
        "parent": facet_v2.parent_run.ParentRunFacet(
            run=facet_v2.parent_run.Run(runId=workload.session_run_id),
            job=facet_v2.parent_run.Job(namespace=workload.namespace, name=workload.name),
            producer=PRODUCER,
        ),
        EXECUTION_FACET: _execution_facet(fact.activity, context),
    }
    if context.engine:
        facets["processing_engine"] = facet_v2.processing_engine_run.ProcessingEngineRunFacet(
            version=context.engine_version or "unknown", name=context.engine, openlineageAdapterVersion=__version__, producer=PRODUCER
        )
    if error is not None:
        facets["errorMessage"] = _error_facet(error)
    outputs = _distinct([event_v2.OutputDataset(**_dataset_fields(a, workload)) for a in fact.outputs])
    event = event_v2.RunEvent(
        eventType=event_v2.RunState[state],
        eventTime=at.isoformat(),
        run=event_v2.Run(runId=run_id, facets=facets),
        job=_step_job(workload, context),
        inputs=_inputs(fact, workload, written={(d.namespace, d.name) for d in outputs}),
        outputs=outputs,
        producer=PRODUCER,
    )
    return event


def finished_child_events(
    workload: Workload, run_id: str, fact: ActivityFact, started_at: datetime, ended_at: datetime, error: tuple[str, str] | None
) -> list[Outgoing]:
    """START and the terminal event of a call that already finished. They differ only in type, time and
    error facet, so the event is built and converted to its dict once (most of a tiny pandas read's cost)."""
    from openlineage.client.serde import Serde

    start = child_event(workload, run_id, fact, "START", started_at, None)
    start_data = Serde.to_dict(start)
    state = "FAIL" if error else "COMPLETE"
    run = start.run if error is None else event_v2.Run(runId=run_id, facets={**start.run.facets, "errorMessage": _error_facet(error)})
    terminal = attr.evolve(start, eventType=event_v2.RunState[state], eventTime=ended_at.isoformat(), run=run)
    terminal_data = {**start_data, "eventType": state, "eventTime": terminal.eventTime}
    if error is not None:
        terminal_data["run"] = Serde.to_dict(run)
    return [Outgoing(start_data, start), Outgoing(terminal_data, terminal)]


def _error_facet(error: tuple[str, str]) -> facet_v2.error_message_run.ErrorMessageRunFacet:
    message, stack = error
    return facet_v2.error_message_run.ErrorMessageRunFacet(
        message=redact_text(message), programmingLanguage="python", stackTrace=redact_text(stack), producer=PRODUCER
    )


def _inputs(fact: ActivityFact, workload: Workload, written: set[tuple[str, str]]) -> list[event_v2.InputDataset]:
    """Direct inputs, then inferred ones (marked by their input facet); each dataset once, direct first.
    Held data the run overwrites is not an inferred input of itself."""
    direct = [event_v2.InputDataset(**_dataset_fields(a, workload)) for a in fact.inputs]
    inferred = [
        event_v2.InputDataset(**_dataset_fields(a, workload), inputFacets={EVIDENCE_FACET: EvidenceInputDatasetFacet(producer=PRODUCER)})
        for a in fact.inferred_inputs
    ]
    return _distinct(direct + [d for d in inferred if (d.namespace, d.name) not in written])


def _distinct(datasets: list[Any]) -> list[Any]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for dataset in datasets:
        if (dataset.namespace, dataset.name) not in seen:
            seen.add((dataset.namespace, dataset.name))
            kept.append(dataset)
    return kept


def _execution_facet(activity: str, context: RunContext) -> ExecutionRunFacet:
    return ExecutionRunFacet(
        activity=activity,
        cellId=context.cell_id,
        cellExecutionCount=context.cell_execution_count,
        cellSource=redact_text(context.cell_source) if context.cell_source else None,
        scriptPath=context.script_path,
        scriptLine=context.script_line,
        mlflowRunId=context.mlflow_run_id,
        mlflowExperimentId=context.mlflow_experiment_id,
        mlflowTrackingUri=redact_text(context.mlflow_tracking_uri) if context.mlflow_tracking_uri else None,
        rayJobId=context.ray_job_id,
        rayNodeId=context.ray_node_id,
        producer=PRODUCER,
    )


def _dataset_fields(artifact: ArtifactFact, workload: Workload) -> dict[str, Any]:
    namespace, name, uri = _identity(artifact, workload)
    facets: dict[str, Any] = {
        "dataSource": facet_v2.datasource_dataset.DatasourceDatasetFacet(name=namespace, uri=redact_text(uri), producer=PRODUCER)
    }
    file_format = artifact.format or (infer_format(artifact.location) if artifact.location else None)
    if file_format:
        storage_layer = namespace.split("://")[0] if "://" in namespace else namespace
        facets["storage"] = facet_v2.storage_dataset.StorageDatasetFacet(
            storageLayer=storage_layer, fileFormat=file_format, producer=PRODUCER
        )
    if artifact.schema:
        facets["schema"] = facet_v2.schema_dataset.SchemaDatasetFacet(fields=_schema_fields(artifact.schema), producer=PRODUCER)
    version = artifact.version or (files_fingerprint(artifact.files) if artifact.files else None)
    if version:
        facets["version"] = facet_v2.dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=version, producer=PRODUCER)
    if artifact.kind == "model":
        facets["datasetType"] = facet_v2.dataset_type_dataset.DatasetTypeDatasetFacet(datasetType="MODEL", producer=PRODUCER)
    if artifact.aliases:
        facets["symlinks"] = facet_v2.symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                facet_v2.symlinks_dataset.Identifier(namespace=strip_credentials(ns), name=strip_credentials(n), type=t)
                for ns, n, t in artifact.aliases
            ],
            producer=PRODUCER,
        )
    if artifact.properties:
        facets[ARTIFACT_FACET] = ArtifactDatasetFacet(properties=_redacted(artifact.properties), producer=PRODUCER)
    if artifact.column_lineage:
        facets["columnLineage"] = _column_lineage_facet(artifact.column_lineage, workload)
    fields: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    if artifact.columns_read is not None:  # only inputs carry it: it describes the run's read
        fields["inputFacets"] = {COLUMNS_READ_FACET: ColumnsReadInputDatasetFacet(fields=_schema_fields(artifact.columns_read), producer=PRODUCER)}
    return fields


COLUMNS_READ_FACET = "lineageNb_columnsRead"
UNKNOWN_TRANSFORMATION = "UNKNOWN"


@attr.define
class ColumnsReadInputDatasetFacet(facet_v2.InputDatasetFacet):
    """`lineageNb_columnsRead`: the columns a run read of an input it did not read whole."""

    fields: list[facet_v2.schema_dataset.SchemaDatasetFacetFields] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return f"{SCHEMA_BASE}/ColumnsReadInputDatasetFacet.json#/$defs/ColumnsReadInputDatasetFacet"


def _identity(artifact: ArtifactFact, workload: Workload) -> tuple[str, str, str]:
    """(namespace, name, uri) of an artifact, by the naming spec, with credentials stripped."""
    if artifact.namespace and artifact.name:
        namespace, name = strip_credentials(artifact.namespace), strip_credentials(artifact.name)
        return namespace, name, artifact.location or f"{namespace}/{name}"
    named = dataset_name(artifact.location or "", settings().storage_roots, workload.id)
    return named.namespace, named.name, named.uri


def _schema_fields(columns: list[tuple[str, str]]) -> list[facet_v2.schema_dataset.SchemaDatasetFacetFields]:
    return [facet_v2.schema_dataset.SchemaDatasetFacetFields(name=str(n), type=str(t)) for n, t in columns]


def _column_lineage_facet(lineage: dict[str, ColumnOrigin], workload: Workload) -> facet_v2.column_lineage_dataset.ColumnLineageDatasetFacet:
    """The standard columnLineage facet. A column whose inputs cannot be known (a Python function
    built it) is listed with no input fields and an UNKNOWN transformation, saying why."""
    column_lineage = facet_v2.column_lineage_dataset
    fields = {}
    for column, origin in lineage.items():
        if origin.unknown_because is not None:
            fields[column] = column_lineage.Fields(
                inputFields=[], transformationType=UNKNOWN_TRANSFORMATION, transformationDescription=origin.unknown_because
            )
            continue
        input_fields = []
        for source in origin.inputs:
            namespace, name, _ = _identity(source.artifact, workload)
            transformation = column_lineage.Transformation(type="DIRECT", subtype=source.subtype)
            input_fields.append(column_lineage.InputField(namespace=namespace, name=name, field=source.field, transformations=[transformation]))
        fields[column] = column_lineage.Fields(inputFields=input_fields)
    return column_lineage.ColumnLineageDatasetFacet(fields=fields, producer=PRODUCER)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(v) for v in value]
    return value


def files_fingerprint(files: list[str]) -> str:
    """A cheap dataset version for files: a hash of paths, sizes and modification times."""
    digest = hashlib.sha256()
    for path in sorted(files)[:MAX_FILES_IN_VERSION]:
        digest.update(path.encode("utf-8", "surrogateescape"))
        try:
            stat = os.stat(path)
            digest.update(f":{stat.st_size}:{stat.st_mtime_ns}".encode())
        except (OSError, ValueError):
            digest.update(b":?")
        digest.update(b"\n")
    return digest.hexdigest()[:16]
