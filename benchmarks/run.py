"""`make bench`: ingest, store size, query latency and cold start at 10k/100k/1M events.

Every figure is the median and p99 of repeated samples. Query kinds are measured round-robin
(one sample of each kind, then the next round), so load from anything else on the machine
lands on all of them alike. Results go to benchmarks/results/store.json and benchmarks/RESULTS.md,
beside the capture-overhead results other benchmark scripts leave in benchmarks/results/.

    .venv/bin/python -m benchmarks.run [--scales 10000 100000 1000000] [--rounds 60]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks import generate, report, stores
from lineage_nb.query import sql as queries
from lineage_nb.runtime.emitter import Emitter
from lineage_nb.store import IngestReport, open_store, payload
from lineage_nb.store.batch import GraphRows, PreparedBatch
from lineage_nb.store.compact import compact
from lineage_nb.store.derive import validate_and_derive
from lineage_nb.store.encoding import canonical, parse
from lineage_nb.store.importer import import_file
from lineage_nb.store.redaction import might_hold_secrets

RESULTS_DIR = Path(__file__).resolve().parent / "results"
STORE_RESULTS = RESULTS_DIR / "store.json"
COLD_START = """
import time
started, started_cpu = time.perf_counter(), time.process_time()
import sqlalchemy
sqlalchemy_imported = time.perf_counter()
from lineage_nb.store import open_store
imported = time.perf_counter()
store = open_store({path!r})
opened = time.perf_counter()
from lineage_nb.query import sql as queries
queries.list_artifacts(store, "dataset", limit=50)
answered = time.perf_counter()
print(sqlalchemy_imported - started, imported - started, opened - started, answered - started, time.process_time() - started_cpu)
"""


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p99": p99, "min": ordered[0], "max": ordered[-1], "samples": len(ordered)}


def machine() -> dict[str, Any]:
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": os.getloadavg(),
    }


# ---- ingest ------------------------------------------------------------------------------------
def batch_import(events: int, repeats: int) -> dict[str, Any]:
    """`lineage-nb import` of the generated file into a fresh store, repeated."""
    source = generate.ensure_file(events)
    rates, sizes = [], []
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as directory:
        for attempt in range(repeats):
            path = Path(directory) / f"import{attempt}.db"
            rates.append(stores.import_into(path, source)["events_per_second"])
            sizes.append(stores.store_bytes(path) / events)
    return {"events": events, "events_per_second": summary(rates), "bytes_per_event": statistics.median(sizes)}


def emitter_ingest(events: int) -> dict[str, Any]:
    """One event at a time through the emitter: the user thread's submit cost, and end-to-end rate."""
    with generate.ensure_file(events).open(encoding="utf-8") as handle:
        parsed = [json.loads(line) for line in handle]
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as directory:
        emitter = Emitter(store_url=str(Path(directory) / "emitter.db"), queue_size=len(parsed) + 1, forward=False)
        submit_seconds = []
        started = time.perf_counter()
        for event in parsed:
            before = time.perf_counter()
            emitter.submit_event(event)
            submit_seconds.append(time.perf_counter() - before)
        drained = emitter.flush(timeout=3_600)
        elapsed = time.perf_counter() - started
        written = emitter.stats.written
        emitter.close()
    if not drained or written != len(parsed):
        raise RuntimeError(f"emitter wrote {written} of {len(parsed)} events")
    return {
        "events": len(parsed),
        "events_per_second": len(parsed) / elapsed,
        "submit_us": {k: v * 1e6 if k != "samples" else v for k, v in summary(submit_seconds).items()},
    }


def ingest_breakdown(events: int, sample: int) -> dict[str, float]:
    """CPU µs per event of each step of ingest, each timed on its own, and of a whole one-process
    import of the same sample (with workers, every step but the SQL writes runs in them)."""
    with generate.ensure_file(events).open("rb") as handle:
        lines = [line for _, line in zip(range(sample), handle)]
    steps: dict[str, float] = {}

    def timed(step: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        steps[step] = (time.process_time() - started) * 1e6 / len(lines)
        return result

    parsed = timed("parse JSON", lambda: [parse(line) for line in lines])
    payloads = timed("canonical JSON", lambda: [canonical(event) for event in parsed])
    timed("redaction check (one RE2 scan)", lambda: [might_hold_secrets(p) for p in payloads])
    timed("event key (blake2b)", lambda: [hashlib.blake2b(p, digest_size=16).digest() for p in payloads])
    timed("compress payload", lambda: [payload.compress(p) for p in payloads])
    graph = GraphRows()
    timed("validate, derive and merge graph rows", lambda: [validate_and_derive(event, graph) for event in parsed])
    batch = PreparedBatch()
    for event in parsed:
        batch.add(event)
    rows = batch.packed_events()
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as directory:
        with open_store(Path(directory) / "writes.db", create=True) as store, store.write() as conn:
            timed("SQL writes", lambda: store.write_rows(conn, rows, batch.graph.tables(), batch.duplicates, IngestReport()))
        source = Path(directory) / "sample.jsonl"
        source.write_bytes(b"".join(lines))
        with open_store(Path(directory) / "sample.db", create=True) as store:
            started = time.process_time()
            import_file(store, source, workers=0)
            steps["total import"] = (time.process_time() - started) * 1e6 / len(lines)
    return steps


# ---- queries -----------------------------------------------------------------------------------
def query_suite(store: Any, scale: generate.Scale) -> dict[str, Callable[[], Any]]:
    """The questions users ask, aimed at the nodes that make them hardest (widest fan-out/fan-in)."""
    shapes = generate.Shapes(scale)

    def artifact(identity: tuple[str, str]) -> dict[str, Any]:
        return queries.resolve_artifact(store, namespace=identity[0], name=identity[1])

    raw = artifact(generate.SHARED_RAW)
    middle = artifact(generate.stage_output(generate.PIPELINE_LENGTH // 2))
    model = artifact(generate.model(shapes.trainer))
    trainer_ns, trainer_name = generate.workload_name(shapes.trainer)
    trainer = queries.resolve_workload(store, trainer_name, trainer_ns)
    owner = generate.owner(generate.PIPELINE_LENGTH * 3)
    return {
        "artifact_overview (2,000 consumers)": lambda: queries.artifact_overview(store, raw),
        "artifact_overview (pipeline table)": lambda: queries.artifact_overview(store, middle),
        "workload_overview (500 inputs)": lambda: queries.workload_overview(store, trainer),
        "graph depth 1 (fan-out node)": lambda: queries.graph(store, [raw["id"]], depth=1),
        "graph depth 1 (fan-in model)": lambda: queries.graph(store, [model["id"]], depth=1),
        "graph depth 3 (pipeline table)": lambda: queries.graph(store, [middle["id"]], depth=3),
        "graph depth 3 (fan-out node)": lambda: queries.graph(store, [raw["id"]], depth=3),
        "impact (fan-out node)": lambda: queries.transitive(store, raw["id"], "down"),
        "provenance (fan-in model)": lambda: queries.transitive(store, model["id"], "up"),
        "datasets --created-by --search": lambda: queries.list_artifacts(store, "dataset", created_by=owner, search="stage"),
        "datasets --search, page 3": lambda: queries.list_artifacts(store, "dataset", search="metric", offset=100),
        "models": lambda: queries.list_artifacts(store, "model"),
    }


def node_cap_honoured(result: Any) -> bool | None:
    if isinstance(result, dict) and "nodes" in result:
        real = [n for n in result["nodes"] if n.get("kind") != "more"]
        return len(real) <= queries.DEFAULT_NODE_CAP
    if isinstance(result, dict) and "workloads" in result:
        return len(result["artifacts"]) + len(result["workloads"]) < queries.TRANSITIVE_NODE_CAP
    return None


def query_latency(path: Path, scale: generate.Scale, rounds: int) -> dict[str, Any]:
    with open_store(path) as store:
        suite = query_suite(store, scale)
        samples: dict[str, list[float]] = {name: [] for name in suite}
        cpu: dict[str, list[float]] = {name: [] for name in suite}
        shape: dict[str, Any] = {}
        for name, ask in suite.items():  # warm the page cache once, as an open notebook would have
            result = ask()
            shape[name] = {"node_cap_honoured": node_cap_honoured(result), "size": _size(result)}
        for _ in range(rounds):
            for name, ask in suite.items():
                started, started_cpu = time.perf_counter(), time.thread_time()
                ask()
                samples[name].append((time.perf_counter() - started) * 1_000)
                cpu[name].append((time.thread_time() - started_cpu) * 1_000)
    return {name: {"ms": summary(values), "cpu_ms": summary(cpu[name]), **shape[name]} for name, values in samples.items()}


def _size(result: Any) -> int:
    if isinstance(result, list):
        return len(result)
    if "nodes" in result:
        return len(result["nodes"])
    if "workloads" in result and "artifacts" in result:
        return len(result["artifacts"]) + len(result["workloads"])
    return result.get("upstream_count", 0) + result.get("downstream_count", 0)


def cold_open(path: Path, repeats: int) -> dict[str, Any]:
    """Open the store in a fresh interpreter: importing the store module, opening it, and a first listing."""
    phases: dict[str, list[float]] = {"import sqlalchemy": [], "import lineage_nb.store": [], "open_store": [], "first listing": [], "cpu": []}
    for _ in range(repeats):
        output = subprocess.run([sys.executable, "-c", COLD_START.format(path=str(path))], capture_output=True, text=True, check=True)
        for phase, seconds in zip(phases, map(float, output.stdout.split())):
            phases[phase].append(seconds * 1_000)
    return {phase: summary(values) for phase, values in phases.items()}


def compaction(path: Path, scale: generate.Scale, keep_runs: int) -> dict[str, Any]:
    """`compact --keep-runs` on a copy of the store, and whether the overviews answer as before."""
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as directory:
        copy = Path(directory) / "compact.db"
        shutil.copyfile(path, copy)
        with open_store(copy) as store:
            suite = {name: ask for name, ask in query_suite(store, scale).items() if not name.startswith("workload_overview")}
            before = {name: ask() for name, ask in suite.items()}
            started = time.perf_counter()
            folded = compact(store, keep_runs=keep_runs)
            seconds = time.perf_counter() - started
            unchanged = all(ask() == before[name] for name, ask in suite.items())
        size_after = stores.store_bytes(copy)
    return {"keep_runs": keep_runs, "seconds": seconds, **vars(folded), "answers_unchanged": unchanged, "store_bytes_after": size_after}


# ---- the run -----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=60, help="samples of each query per scale")
    parser.add_argument("--import-scale", type=int, default=10_000, help="scale of the repeated batch-import runs")
    parser.add_argument("--import-repeats", type=int, default=5)
    parser.add_argument("--emitter-scale", type=int, default=10_000)
    parser.add_argument("--cold-repeats", type=int, default=15)
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": machine(), "generator": {"version": generate.GENERATOR_VERSION, "seed": 0}, "scales": {}}
    for events in args.scales:
        print(f"[bench] {events:,} events: store", flush=True)
        path, built = stores.ensure_store(events)
        entry: dict[str, Any] = {"store_bytes_per_event": stores.store_bytes(path) / events, "build": built}
        entry["counts"] = open_store(path).counts()
        print(f"[bench] {events:,} events: queries", flush=True)
        entry["queries"] = query_latency(path, generate.Scale(events), args.rounds)
        if events == max(args.scales):
            print(f"[bench] {events:,} events: cold open", flush=True)
            entry["cold_open_ms"] = cold_open(path, args.cold_repeats)
            print(f"[bench] {events:,} events: compact --keep-runs 3 on a copy", flush=True)
            entry["compaction"] = compaction(path, generate.Scale(events), keep_runs=3)
        results["scales"][str(events)] = entry
    print(f"[bench] batch import x{args.import_repeats} at {args.import_scale:,}", flush=True)
    results["batch_import"] = batch_import(args.import_scale, args.import_repeats)
    results["ingest_cpu_us_per_event"] = ingest_breakdown(args.import_scale, 5_000)
    print(f"[bench] emitter at {args.emitter_scale:,}", flush=True)
    results["emitter"] = emitter_ingest(args.emitter_scale)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    RESULTS_DIR.mkdir(exist_ok=True)
    STORE_RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    report.write(results, RESULTS_DIR)
    print(f"[bench] wrote {STORE_RESULTS} and {report.RESULTS_MD}")


if __name__ == "__main__":
    main()
