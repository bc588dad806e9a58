"""Small lineage stores for the widget, magic, browser tests and the widget benchmark, built from OpenLineage events."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

PRODUCER = "https://github.com/lineage-nb/lineage_nb/tests"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
XSS_NAME = "<img src=x onerror=alert(1)>"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def run_event(job: str, inputs: list[str], outputs: list[str], minute: int, namespace: str = "tests", cell: str | None = None,
              project: str | None = None) -> dict[str, Any]:
    def dataset(name: str) -> dict[str, Any]:
        facets: dict[str, Any] = {}
        if name.endswith("/model"):
            facets["datasetType"] = {"_producer": PRODUCER, "_schemaURL": PRODUCER, "datasetType": "MODEL"}
        return {"namespace": "file", "name": name, "facets": facets}

    run_facets: dict[str, Any] = {}
    job_facets: dict[str, Any] = {}
    if project is not None:
        job_facets["lineageNb_workload"] = {"_producer": PRODUCER, "_schemaURL": PRODUCER, "workloadType": "job", "workloadName": job,
                                            "owner": f"{project}-team@example.com", "project": project}
    if cell is not None:
        run_facets["lineageNb_execution"] = {"_producer": PRODUCER, "_schemaURL": PRODUCER, "cellSource": cell, "cellExecutionCount": 3}
    return {
        "eventType": "COMPLETE",
        "eventTime": (START + timedelta(minutes=minute)).isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job}/{minute}")), "facets": run_facets},
        "job": {"namespace": namespace, "name": job, "facets": job_facets},
        "inputs": [dataset(n) for n in inputs],
        "outputs": [dataset(n) for n in outputs],
    }


def chain_events() -> list[dict[str, Any]]:
    """raw -> prepare -> features -> train -> model -> score -> scores; features also feeds 30 reports (a "+N more"
    fan-out), and an XSS-named dataset is read by prepare. The chain is project "churn", the reports "reporting"."""
    events = [
        run_event("prepare", ["/data/raw.csv", f"/data/{XSS_NAME}"], ["/data/features.parquet"], 1,
                  cell="ds.write_parquet('/data/features.parquet')", project="churn"),
        run_event("train", ["/data/features.parquet"], ["/data/model"], 2, project="churn"),
        run_event("score", ["/data/model", "/data/features.parquet"], ["/data/scores.parquet"], 3, project="churn"),
    ]
    events += [run_event(f"report_{i:02d}", ["/data/features.parquet"], [f"/data/report_{i:02d}.csv"], i - 40, project="reporting") for i in range(30)]
    return events


def layered_events(workloads: int, width: int = 100, seed: int = 7) -> list[dict[str, Any]]:
    """A connected layered DAG: each workload reads two datasets of its layer and writes one of the next.

    `workloads` workloads, about as many datasets, and 3 edges per workload.
    """
    import random

    rng = random.Random(seed)
    events = []
    for i in range(workloads):
        layer, slot = divmod(i, width)
        inputs = sorted({f"/bench/l{layer}/d{slot}", f"/bench/l{layer}/d{rng.randrange(width)}"})
        while len(inputs) < 2:
            inputs = sorted({inputs[0], f"/bench/l{layer}/d{rng.randrange(width)}"})
        events.append(run_event(f"job{i}", inputs, [f"/bench/l{layer + 1}/d{slot}"], i, namespace="bench"))
    return events


def fanout_events(width: int = 60) -> list[dict[str, Any]]:
    """A DAG with a `width`-way fan-out: raw.csv -> ingest -> events.parquet -> `width` consumers, each writing a report."""
    events = [run_event("ingest", ["/fan/raw.csv"], ["/fan/events.parquet"], 0)]
    events += [run_event(f"consumer_{i:02d}", ["/fan/events.parquet"], [f"/fan/out_{i:02d}.csv"], i + 1) for i in range(width)]
    return events


def _node(node_id: str, kind: str, name: str, label: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": kind, "namespace": "file" if kind != "workload" else "tests", "name": name,
            "label": label or name.rsplit("/", 1)[-1], "expandable": False, **extra}


def notebook_graph() -> dict[str, Any]:
    """The graph contract of cell-level lineage, before the store produces it: a notebook workload whose
    three cells are its steps, a script with one step, and edges with their evidence.

    raw.csv -> [2] -> features -> [3] -> model -> [4] (inferred: the model object, loaded) -> predictions
    features -> [4];  predictions -> report.py:42 -> report.html (column lineage)
    """
    nodes = [
        _node("a1", "dataset", "/q/raw.csv"),
        _node("a2", "dataset", "/q/features"),
        _node("a3", "model", "m-630ce1fc2b5a4c0f9e1d", namespace="mlflow://q"),
        _node("a4", "dataset", "/q/predictions", focus=True),
        _node("a5", "dataset", "/q/report.html"),
        _node("w1", "workload", "/q/notebooks/quickstart.ipynb", type="notebook", compound=True),
        _node("s2", "workload", "/q/notebooks/quickstart.ipynb#2", "[2] features.write_parquet(features_path)", type="cell", parent="w1"),
        _node("s3", "workload", "/q/notebooks/quickstart.ipynb#3", "[3] model_info = mlflow.sklearn.log_model(…)", type="cell", parent="w1"),
        _node("s4", "workload", "/q/notebooks/quickstart.ipynb#4", "[4] ray.data.read_parquet(features_path)…", type="cell", parent="w1"),
        _node("w2", "workload", "/q/report.py", type="script", compound=True),
        _node("l42", "workload", "/q/report.py:42", "report.py:42", type="line", parent="w2"),
    ]
    edges = [("a1", "s2", "direct"), ("s2", "a2", "direct"), ("a2", "s3", "direct"), ("s3", "a3", "direct"),
             ("a3", "s4", "inferred"), ("a2", "s4", "direct"), ("s4", "a4", "direct"), ("a4", "l42", "direct"),
             ("l42", "a5", "column_lineage")]
    return {"nodes": nodes, "edges": [{"source": s, "target": t, "evidence": e} for s, t, e in edges], "truncated": False, "focus": ["a4"]}
