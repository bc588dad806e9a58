"""Small lineage stores for the widget, magic, browser tests and the widget benchmark, built from OpenLineage events."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

PRODUCER = "https://github.com/lineage-nb/lineage_nb/tests"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
XSS_NAME = "<img src=x onerror=alert(1)>"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def run_event(job: str, inputs: list[str], outputs: list[str], minute: int, namespace: str = "tests", cell: str | None = None) -> dict[str, Any]:
    def dataset(name: str) -> dict[str, Any]:
        facets: dict[str, Any] = {}
        if name.endswith("/model"):
            facets["datasetType"] = {"_producer": PRODUCER, "_schemaURL": PRODUCER, "datasetType": "MODEL"}
        return {"namespace": "file", "name": name, "facets": facets}

    run_facets: dict[str, Any] = {}
    if cell is not None:
        run_facets["lineageNb_execution"] = {"_producer": PRODUCER, "_schemaURL": PRODUCER, "cellSource": cell, "cellExecutionCount": 3}
    return {
        "eventType": "COMPLETE",
        "eventTime": (START + timedelta(minutes=minute)).isoformat(),
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job}/{minute}")), "facets": run_facets},
        "job": {"namespace": namespace, "name": job, "facets": {}},
        "inputs": [dataset(n) for n in inputs],
        "outputs": [dataset(n) for n in outputs],
    }


def chain_events() -> list[dict[str, Any]]:
    """raw -> prepare -> features -> train -> scores; features also feeds 30 reports (a "+N more" fan-out),
    and an XSS-named dataset is read by prepare."""
    events = [
        run_event("prepare", ["/data/raw.csv", f"/data/{XSS_NAME}"], ["/data/features.parquet"], 1, cell="ds.write_parquet('/data/features.parquet')"),
        run_event("train", ["/data/features.parquet"], ["/data/model"], 2),
        run_event("score", ["/data/model", "/data/features.parquet"], ["/data/scores.parquet"], 3),
    ]
    events += [run_event(f"report_{i:02d}", ["/data/features.parquet"], [f"/data/report_{i:02d}.csv"], i - 40) for i in range(30)]
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
