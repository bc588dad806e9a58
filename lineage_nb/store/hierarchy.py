"""Which job an event's edges belong to, and the job that one is a step or child job of."""
from __future__ import annotations

from typing import Any

from lineage_nb.core.labels import first_line
from lineage_nb.store.facets import facet
from lineage_nb.store.validate import MAX_TEXT, is_text


def step_and_parent(event: dict[str, Any], job: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The job whose edges these are, and the job it is a step or child of (None for a top-level job).

    A job whose `parent` run facet names another job is that job's child: lineage_nb's cells and
    lines, a dbt run's models, an Airflow DAG's tasks, a Spark application's actions. lineage_nb
    before schema 3 emitted a notebook's child runs under the notebook's own job; those become the
    step their execution facet names (the prompt number, as old events have no cell id), so old
    stores answer per cell too.
    """
    run = event.get("run")
    facets = run.get("facets") if isinstance(run, dict) and isinstance(run.get("facets"), dict) else {}
    parent_job = facet(facet(facets, "parent"), "job")
    if not (is_text(parent_job.get("namespace")) and is_text(parent_job.get("name"))):
        return job, None
    parent = {"namespace": parent_job["namespace"], "name": parent_job["name"]}
    if (parent["namespace"], parent["name"]) != (job["namespace"], job["name"]):
        return job, parent
    execution = facet(facets, "lineageNb_execution")
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
    owner = facet(job.get("facets") or {}, "ownership")
    facets: dict[str, Any] = {"lineageNb_step": step} | ({"ownership": owner} if owner else {})
    return {"namespace": job["namespace"], "name": name[:MAX_TEXT], "facets": facets}
