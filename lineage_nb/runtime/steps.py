"""Steps: the unit of lineage inside a workload (DESIGN.md "Step").

A notebook's step is a cell, named by the cell id the front end sent with the execute request
(nbformat 4.5), or by the prompt number when there is none, or by its source when it was run
without history (nbval) and so has no prompt number; a script's step is the calling line;
a Ray worker working for a driver's session does not know the driver's cell, so its runs share one
`worker` step. Each step is emitted as a child job of the workload (its `parent` facet names the
session run), as Airflow emits a DAG's tasks, so a job-level consumer such as Marquez draws the
same true graph that lineage_nb does.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from lineage_nb.core.facts import RunContext
from lineage_nb.core.labels import first_line
from lineage_nb.runtime.workload import Workload


@dataclass(frozen=True)
class Step:
    job_name: str
    type: str  # cell | line | worker
    label: str
    cell_id: str | None = None
    execution_count: int | None = None
    script_line: int | None = None


def _source_key(source: str | None) -> str:
    """A cell known neither by id nor by prompt number (run without history): its source names it."""
    return "src-" + hashlib.sha1((source or "").encode("utf-8", "surrogatepass")).hexdigest()[:12]


def step_of(workload: Workload, context: RunContext) -> Step:
    if workload.inherited:
        return Step(f"{workload.name}::worker", "worker", "Ray workers")
    if workload.type == "notebook":
        count = context.cell_execution_count
        prompt = f"[{count}]" if count is not None else "[ ]"
        label = f"{prompt} {first_line(context.cell_source)}".rstrip()
        key = context.cell_id or (prompt if count is not None else _source_key(context.cell_source))
        return Step(f"{workload.name}::{key}", "cell", label, cell_id=context.cell_id, execution_count=count)
    line = context.script_line
    short = workload.name.rsplit("/", 1)[-1]
    return Step(f"{workload.name}:{line if line is not None else 'main'}", "line", f"{short}:{line if line is not None else 'main'}",
                script_line=line)
