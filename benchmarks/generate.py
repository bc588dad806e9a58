"""Seeded synthetic lineage: valid OpenLineage RunEvents with the shapes real teams produce.

Shapes, all present at every scale:
- long pipelines: workloads form chains of PIPELINE_LENGTH stages, each reading the previous stage's output;
- wide fan-in: one training workload reads FAN_IN datasets and writes a model;
- wide fan-out: one raw dataset is read by FAN_OUT workloads;
- repeated runs: every workload runs RUNS_PER_WORKLOAD times over the generated period;
- partitions: some workloads write a new `date=` partition dataset on each run;
- cycles: some workloads read and rewrite their own output.

Each run emits START, RUNNING events and a COMPLETE (or FAIL) event, so a scale of N events has
N / EVENTS_PER_RUN runs. `python -m benchmarks.generate 1000000` writes (or reuses) the JSONL file.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

GENERATOR_VERSION = 2
DATA_DIR = Path(__file__).resolve().parent / "data"
EVENTS_PER_RUN = 5  # START, 3 x RUNNING, COMPLETE/FAIL
RUNS_PER_WORKLOAD = 10
WORKLOADS_PER_EVENT = 1 / 50
SIDE_OUTPUTS = 1
PIPELINE_LENGTH = 12
FAN_IN = 500
FAN_OUT = 2_000
OWNERS = 40
START_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
RUN_SPACING = timedelta(seconds=37)

PRODUCER = "https://github.com/lineage-nb/lineage_nb/tree/v0.1.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET_BASE = "https://openlineage.io/spec/facets/1-0-1"
NAMESPACES = ("analytics", "ml-platform", "ingest", "finance")
BUCKETS = ("s3://lake-raw", "s3://lake-curated", "gs://ml-features", "file")
FIELD_TYPES = ("int64", "string", "double", "timestamp[us]", "bool", "list<string>")
FORMATS = ("parquet", "csv", "json", "delta")
WORKLOAD_TYPES = ("notebook", "script", "job", "job", "external")


@dataclass(frozen=True)
class Scale:
    events: int

    @property
    def runs(self) -> int:
        return self.events // EVENTS_PER_RUN

    @property
    def workloads(self) -> int:
        return max(PIPELINE_LENGTH, int(self.events * WORKLOADS_PER_EVENT))

    @property
    def fan_in(self) -> int:
        return min(FAN_IN, self.workloads - 1)

    @property
    def fan_out(self) -> int:
        return min(FAN_OUT, self.workloads // 2)


def data_path(events: int, seed: int) -> Path:
    return DATA_DIR / f"lineage-{events}-seed{seed}-v{GENERATOR_VERSION}.jsonl"


# ---- identities: pure functions of indices, so any part of the graph can be named without state ----
def workload_name(w: int) -> tuple[str, str]:
    pipeline, stage = divmod(w, PIPELINE_LENGTH)
    namespace = NAMESPACES[pipeline % len(NAMESPACES)]
    kind = WORKLOAD_TYPES[w % len(WORKLOAD_TYPES)]
    if kind == "notebook":
        return namespace, f"/home/user{pipeline % OWNERS}/pipeline{pipeline}/stage{stage:02d}.ipynb"
    if kind == "script":
        return namespace, f"/srv/jobs/pipeline{pipeline}/stage{stage:02d}.py"
    return namespace, f"pipeline{pipeline}.stage{stage:02d}"


def owner(w: int) -> str:
    return f"user{(w // PIPELINE_LENGTH) % OWNERS}@example.com"


def stage_output(w: int) -> tuple[str, str]:
    """The table a workload writes; the next stage of its pipeline reads it."""
    bucket = BUCKETS[w % len(BUCKETS)]
    pipeline, stage = divmod(w, PIPELINE_LENGTH)
    path = f"/data/pipeline{pipeline}/stage{stage:02d}/table"
    return (bucket, path) if bucket == "file" else (bucket, path.lstrip("/"))


def side_output(w: int, k: int) -> tuple[str, str]:
    return "s3://lake-curated", f"reports/workload{w}/metric{k}"


def partition(w: int, run_of_workload: int) -> tuple[str, str]:
    day = START_TIME.date() + timedelta(days=run_of_workload)
    return "s3://lake-raw", f"events/source{w}/date={day.isoformat()}"


def raw_source(pipeline: int) -> tuple[str, str]:
    return "s3://lake-raw", f"landing/source{pipeline % 997}/export"


SHARED_RAW = ("s3://lake-raw", "landing/clickstream/all")


def model(w: int) -> tuple[str, str]:
    return "mlflow://tracking.example.com", f"m-{uuid.UUID(int=w + 1).hex}"


# ---- the graph: which artifacts a workload reads and writes on one of its runs ---------------------
class Shapes:
    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        workloads = scale.workloads
        self.trainer = workloads - 1
        self.fan_out_readers = set(range(0, workloads, max(1, workloads // scale.fan_out))[: scale.fan_out])
        self.fan_in_inputs = [stage_output(w) for w in range(0, workloads - 1, max(1, (workloads - 1) // scale.fan_in))][: scale.fan_in]

    def is_partitioned(self, w: int) -> bool:
        return w % 4 == 1

    def is_cyclic(self, w: int) -> bool:
        return w % 7 == 3

    def io(self, w: int, run_of_workload: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(inputs, outputs) of one run of workload `w`."""
        if w == self.trainer:
            return self.fan_in_inputs, [model(w)]
        pipeline, stage = divmod(w, PIPELINE_LENGTH)
        inputs = [stage_output(w - 1)] if stage else [raw_source(pipeline)]
        if w in self.fan_out_readers:
            inputs.append(SHARED_RAW)
        outputs = [stage_output(w)] + [side_output(w, k) for k in range(SIDE_OUTPUTS)]
        if self.is_cyclic(w):
            inputs.append(stage_output(w))
        if self.is_partitioned(w):
            outputs.append(partition(w, run_of_workload))
        if stage == PIPELINE_LENGTH - 1:
            outputs.append(model(w))
        return inputs, outputs


# ---- events ------------------------------------------------------------------------------------
def _facet(facet_class: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": f"{FACET_BASE}/{facet_class}.json#/$defs/{facet_class}", **fields}


def _schema_fields(namespace: str, name: str) -> list[dict[str, str]]:
    rng = random.Random(f"{namespace}{name}")
    return [{"name": f"col_{i}_{rng.randrange(1000)}", "type": rng.choice(FIELD_TYPES)} for i in range(rng.randrange(4, 12))]


def _dataset(identity: tuple[str, str], full: bool, rows: int | None) -> dict[str, Any]:
    namespace, name = identity
    if namespace.startswith("mlflow://"):
        facets: dict[str, Any] = {"datasetType": _facet("DatasetTypeDatasetFacet", datasetType="MODEL", subType="sklearn")}
        return {"namespace": namespace, "name": name, "facets": facets}
    facets = {}
    if full:
        uri = f"file://{name}" if namespace == "file" else f"{namespace}/{name}"
        facets = {
            "schema": _facet("SchemaDatasetFacet", fields=_schema_fields(namespace, name)),
            "dataSource": _facet("DatasourceDatasetFacet", name=namespace, uri=uri),
            "storage": _facet("StorageDatasetFacet", storageLayer="default", fileFormat=FORMATS[len(name) % len(FORMATS)]),
        }
    dataset: dict[str, Any] = {"namespace": namespace, "name": name, "facets": facets}
    if rows is not None:
        dataset["outputFacets"] = {"outputStatistics": _facet("OutputStatisticsOutputDatasetFacet", rowCount=rows, size=rows * 64)}
    return dataset


def _job(w: int) -> dict[str, Any]:
    namespace, name = workload_name(w)
    kind = WORKLOAD_TYPES[w % len(WORKLOAD_TYPES)]
    facets: dict[str, Any] = {
        "jobType": _facet("JobTypeJobFacet", processingType="BATCH", integration="RAY" if kind != "external" else "SPARK", jobType="JOB"),
        "ownership": _facet("OwnershipJobFacet", owners=[{"name": owner(w), "type": "MAINTAINER"}]),
    }
    if kind != "external":
        facets["lineageNb_workload"] = _facet(
            "WorkloadJobFacet",
            workloadType=kind,
            workloadName=name,
            workloadId=uuid.UUID(int=(w + 1) << 64).hex,
            owner=owner(w),
            project=f"pipeline{w // PIPELINE_LENGTH}",
            host=f"node-{w % 16}.cluster.local",
            rayVersion="2.60.0",
            pythonVersion="3.12.3",
            osVersion="Linux-6.8.0-x86_64",
        )
    return {"namespace": namespace, "name": name, "facets": facets}


def _run_facets(w: int, run: int, parent: str | None) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "processing_engine": _facet("ProcessingEngineRunFacet", version="2.60.0", name="ray", openlineageAdapterVersion="1.54.0"),
        "lineageNb_execution": _facet(
            "ExecutionRunFacet",
            activity="ray_data.write" if w % 3 else "mlflow.log_model",
            cellExecutionCount=run % 40 + 1,
            cellSource=f"ds = ray.data.read_parquet(path_{w})\nds.map_batches(stage_{w % 9}).write_parquet(out)",
        ),
    }
    if parent:
        facets["parent"] = _facet(
            "ParentRunFacet", run={"runId": parent}, job={"namespace": workload_name(w)[0], "name": workload_name(w)[1]}
        )
    return facets


def _time(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_events(shapes: Shapes, run: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """The events of global run number `run`: START, RUNNING x3, then COMPLETE or FAIL."""
    workloads = shapes.scale.workloads
    w = run % workloads
    run_of_workload = run // workloads
    run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    parent = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if w % 5 == 0 else None
    inputs, outputs = shapes.io(w, run_of_workload)
    started = START_TIME + RUN_SPACING * run
    job = _job(w)
    base = {"producer": PRODUCER, "schemaURL": SCHEMA_URL, "job": job}
    failed = rng.random() < 0.03
    rows = rng.randrange(1_000, 5_000_000)
    ends = ("FAIL" if failed else "COMPLETE",)
    for step, state in enumerate(("START", "RUNNING", "RUNNING", "RUNNING") + ends):
        at = started + timedelta(seconds=step * 6 + rng.random())
        event = {**base, "eventType": state, "eventTime": _time(at), "run": {"runId": run_id, "facets": {}}}
        if state == "START":
            event["run"]["facets"] = _run_facets(w, run, parent)
            event["inputs"] = [_dataset(d, True, None) for d in inputs]
            event["outputs"] = [_dataset(d, True, None) for d in outputs]
        elif state == "RUNNING":
            event["outputs"] = [_dataset(outputs[0], False, rows * step // 4)]
        else:
            if failed:
                event["run"]["facets"] = {"errorMessage": _facet("ErrorMessageRunFacet", message="ValueError: bad batch", programmingLanguage="python")}
            event["inputs"] = [_dataset(d, False, None) for d in inputs]
            event["outputs"] = [_dataset(d, False, None if failed else rows) for d in outputs]
        yield event


def generate(events: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Exactly `events` events (a multiple of EVENTS_PER_RUN is best), deterministic for a seed."""
    shapes = Shapes(Scale(events))
    rng = random.Random(seed)
    produced = 0
    for run in range(shapes.scale.runs + 1):
        for event in run_events(shapes, run, rng):
            if produced == events:
                return
            produced += 1
            yield event


def ensure_file(events: int, seed: int = 0) -> Path:
    """The JSONL file for a scale, generated once and reused (benchmarks/data/ is not committed)."""
    path = data_path(events, seed)
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial{os.getpid()}")
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with partial.open("w", encoding="utf-8") as handle:
        batch: list[str] = []
        for event in generate(events, seed):
            batch.append(encode(event))
            if len(batch) == 10_000:
                handle.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            handle.write("\n".join(batch) + "\n")
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, nargs="+", help="scales to generate, e.g. 10000 100000 1000000")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for events in args.events:
        print(ensure_file(events, args.seed))


if __name__ == "__main__":
    main()
