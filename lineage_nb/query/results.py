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


class WorkloadOverview(WorkloadEntry):
    producer: str | None
    owner: str | None
    metadata: dict[str, Any]
    upstream: list[ArtifactRow]
    upstream_count: int
    downstream: list[ArtifactRow]
    downstream_count: int
    runs: list[RunEntry]
    run_count: int


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
