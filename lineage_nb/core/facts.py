"""Plain facts that capture hooks report. Hooks know Ray or MLflow, never OpenLineage."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArtifactFact:
    """A dataset or model a run read or wrote.

    Give `location` (a path or URI, named later through `naming`) or an explicit
    `namespace` and `name` (models, SQL tables).

    `schema` is the dataset's own: what was written, or what a read of every column saw. A read
    of some columns only records them in `columns_read`, which describes the run's input edge,
    not the dataset. `column_lineage` (outputs only) says where each written column came from.
    """

    location: str | None = None
    namespace: str | None = None
    name: str | None = None
    kind: str = "dataset"
    format: str | None = None
    schema: list[tuple[str, str]] | None = None
    version: str | None = None
    files: list[str] | None = None
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    columns_read: list[tuple[str, str]] | None = None
    column_lineage: dict[str, ColumnOrigin] | None = None


@dataclass
class ColumnInput:
    """An input column a written column was computed from."""

    artifact: ArtifactFact
    field: str
    subtype: str = "IDENTITY"  # OpenLineage DIRECT subtypes: IDENTITY, TRANSFORMATION, AGGREGATION


@dataclass
class ColumnOrigin:
    """Where a written column came from: its input columns, or why they cannot be known."""

    inputs: list[ColumnInput] = field(default_factory=list)
    unknown_because: str | None = None  # e.g. built by a Python function, which could read anything


@dataclass
class RunContext:
    """Where a run was started: read on the user's thread, because `after_*` hooks may run elsewhere."""

    cell_id: str | None = None  # the nbformat 4.5 cell id the front end sent with the execute request
    cell_execution_count: int | None = None  # the prompt number the user sees, [N]
    cell_source: str | None = None
    script_path: str | None = None
    script_line: int | None = None
    mlflow_run_id: str | None = None
    mlflow_experiment_id: str | None = None
    mlflow_tracking_uri: str | None = None
    ray_job_id: str | None = None
    ray_node_id: str | None = None
    engine: str | None = None
    engine_version: str | None = None


@dataclass
class ActivityFact:
    """One child run of the workload's session: a Ray Data execution, an MLflow call or a pandas read or write.

    `inputs` are what the call itself read (direct). Two flags tell the session about data in the
    Python process (cell-level lineage, DESIGN.md "Held data"):
    - `holds`: the call brought its inputs' data into the process (a Ray execution that does not end
      in a write, an MLflow load or download, a pandas read); they stay held until the kernel restarts.
    - `python_built`: what the call writes was built in Python (in-memory data, a Python function in a
      Ray plan, an MLflow log_*, a pandas write), so everything held so far is an inferred input.
    """

    activity: str
    inputs: list[ArtifactFact] = field(default_factory=list)
    outputs: list[ArtifactFact] = field(default_factory=list)
    context: RunContext = field(default_factory=RunContext)
    holds: bool = False
    python_built: bool = False
    inferred_inputs: list[ArtifactFact] = field(default_factory=list)  # filled in by the session, not by hooks
