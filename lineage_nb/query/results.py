"""The typed answers of `QueryService`, which are also the stable `--json` contract of the CLI.

TypedDicts, because every answer crosses JSON (the CLI's --json, the read API, the widget):
they are plain dicts at run time and documented shapes to a reader. Keys may be added, never
renamed or removed.
"""
from __future__ import annotations

from typing import Any, TypedDict

from typing_extensions import NotRequired


class ArtifactRow(TypedDict):
    id: str
    namespace: str
    name: str
    uri: str | None
    kind: str  # dataset | model
    format: str | None
    created_at: str | None
    created_by: str | None


class SchemaField(TypedDict):
    name: str
    type: str


class WorkloadEntry(TypedDict):
    id: str
    namespace: str
    name: str
    type: str  # notebook | script | job | service | external
    last_run_at: str


class RunEntry(TypedDict):
    run_id: str
    state: str
    started_at: str | None
    ended_at: str | None
    activity: str | None
    context: dict[str, Any]


class DataSource(TypedDict):
    name: str | None
    uri: str | None


class ColumnSource(TypedDict):
    namespace: str
    name: str
    column: str | None
    transformations: list[dict[str, Any]]  # the columnLineage facet's: type, subtype, description, masking


class ColumnLineage(TypedDict):
    column: str
    inputs: list[ColumnSource]


class Assertion(TypedDict):
    assertion: str  # the kind of test: not_null, unique, ...
    column: str | None
    success: bool
    at: str  # when the producer last reported it
    name: NotRequired[str]  # the test's own name, when the producer gives one (dbt does)
    severity: NotRequired[str]


class Quality(TypedDict):
    """The latest result of each quality assertion (failed first) and the latest quality metrics."""

    assertions: list[Assertion]
    passed: int
    failed: int
    metrics: dict[str, Any] | None  # dataQualityMetrics: rowCount, bytes, columnMetrics, ...


class ProducingSql(TypedDict):
    query: str
    dialect: str | None
    statements: int  # more than one when it was gathered from the writer's child jobs
    workload: dict[str, str]  # namespace, name


class ArtifactOverview(ArtifactRow):
    schema: list[SchemaField]
    version: str | None
    last_seen: str
    properties: dict[str, Any]
    upstream: list[WorkloadEntry]
    upstream_count: int
    downstream: list[WorkloadEntry]
    downstream_count: int
    written_by_run: RunEntry | None
    write_status: str  # complete | failed (only failed or aborted writes) | in_progress | unknown (no writer run known)
    only_failed_writes: bool
    data_source: DataSource | None  # the dataSource facet: the database or service the dataset lives in
    column_lineage: list[ColumnLineage]
    quality: Quality
    sql: ProducingSql | None
    input_statistics: dict[str, Any] | None  # inputStatistics: rowCount, size, fileCount
    output_statistics: dict[str, Any] | None  # outputStatistics


class ChildEntry(WorkloadEntry):
    run_count: int
    input_count: int
    output_count: int
    child_count: int


class WorkloadOverview(WorkloadEntry):
    producer: str | None
    owner: str | None
    metadata: dict[str, Any]
    upstream: list[ArtifactRow]  # what its (and its steps') events list as inputs
    upstream_count: int
    column_lineage_upstream: list[ArtifactRow]  # inputs named only by an output's columnLineage facet
    column_lineage_upstream_count: int
    downstream: list[ArtifactRow]
    downstream_count: int
    runs: list[RunEntry]
    run_count: int
    parent: str | None  # the node id of the job this one is a step or child job of
    parent_workload: WorkloadEntry | None
    children: list[ChildEntry]  # its child jobs (steps), newest first, up to a page
    child_count: int


class GraphNode(TypedDict):
    id: str
    kind: str  # dataset | model | workload | more
    namespace: str
    name: str
    label: str
    distance: NotRequired[int]
    expandable: NotRequired[bool]
    focus: NotRequired[bool]
    type: NotRequired[str]
    format: NotRequired[str | None]
    producer: NotRequired[str | None]


class GraphEdge(TypedDict):
    source: str
    target: str


class Graph(TypedDict):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool
    focus: list[str]


class Reached(TypedDict):
    """Everything up- or downstream of an artifact (impact, provenance), nearest first."""

    artifacts: list[GraphNode]
    workloads: list[GraphNode]
    truncated: bool


class ImportReport(TypedDict):
    file: str
    accepted: int
    duplicates: int
    errors: list[str]
    skipped_file: bool


class Counts(TypedDict):
    events: int
    artifacts: int
    workloads: int
    runs: int
