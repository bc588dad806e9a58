"""Side-panel content: artifact and workload overviews, trimmed to what the panel shows."""
from __future__ import annotations

from typing import Any

from lineage_nb.query.service import NotFound, QueryService
from lineage_nb.view.labels import model_name

WORKLOAD_FACTS = ("workloadId", "owner", "project", "host", "rayVersion", "pythonVersion", "osVersion")
PANEL_COLUMNS = 100  # column-lineage rows a panel shows; the rest are counted


def artifact_panel(service: QueryService, namespace: str, name: str) -> dict[str, Any]:
    overview: dict[str, Any] = dict(service.artifact(namespace=namespace, name=name))
    writer = overview.pop("written_by_run", None) or {}
    context = writer.get("context") or {}
    overview["written_by"] = {
        "cell_source": context.get("cellSource"),
        "cell": context.get("cellExecutionCount"),
        "script": context.get("scriptPath"),
        "script_line": context.get("scriptLine"),
        "started_at": writer.get("started_at"),
        "state": writer.get("state"),
    }
    properties = overview.pop("properties", None) or {}
    if overview.get("kind") == "model":
        overview["model"] = {
            "display_name": model_name(properties),
            "flavors": ", ".join(properties.get("flavors") or []) or None,
            "run_id": properties.get("runId"),
            "model_id": properties.get("modelId"),
            "registered": properties.get("registeredModelName"),
            "registered_version": properties.get("registeredModelVersion"),
        }
    lineage = overview.get("column_lineage") or []
    overview["column_lineage"], overview["column_lineage_count"] = lineage[:PANEL_COLUMNS], len(lineage)
    return {"kind": "artifact", "data": overview}


def workload_panel(service: QueryService, namespace: str, name: str) -> dict[str, Any]:
    overview: dict[str, Any] = dict(service.workload(name, namespace))
    metadata = overview.pop("metadata", None) or {}
    overview["facts"] = {key: metadata.get(key) for key in WORKLOAD_FACTS}
    if not overview["facts"]["owner"]:
        overview["facts"]["owner"] = overview.get("owner")
    runs = overview.pop("runs", None) or []
    overview["last_run"] = runs[0] if runs else None
    return {"kind": "workload", "data": overview}


def step_panel(node: dict[str, Any], workload: dict[str, Any]) -> dict[str, Any]:
    """A notebook cell, script line or child job, with the workload it belongs to."""
    data = {k: v for k, v in node.items() if isinstance(v, (str, int, float)) and k not in ("parent", "distance")}
    data["workload"] = {k: workload.get(k) for k in ("id", "name", "namespace", "type")}
    return {"kind": "step", "data": data}


def panel_for(service: QueryService, node: dict[str, Any], workload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The overview for a node; `workload` is the compound a step belongs to."""
    if node["kind"] == "more":
        return {"kind": "more", "data": {"label": node.get("label", ""), "count": node.get("count")}}
    if workload is not None:
        return step_panel(node, workload)
    try:
        if node["kind"] == "workload":
            return workload_panel(service, node["namespace"], node["name"])
        return artifact_panel(service, node["namespace"], node["name"])
    except NotFound:
        return {"kind": "node", "data": {k: v for k, v in node.items() if isinstance(v, (str, int, float))}}


def related_nodes(panel: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes a panel links to, so a click on a link can be resolved without trusting the page."""
    data = panel.get("data") or {}
    linked = []
    for key in ("upstream", "downstream"):
        for entry in data.get(key) or []:
            kind = "workload" if panel["kind"] == "artifact" else entry.get("kind", "dataset")
            linked.append({"id": entry["id"], "kind": kind, "namespace": entry["namespace"], "name": entry["name"]})
    return linked
