"""Time a Ray Data pipeline with lineage capture on and off, side by side in one process.

The pipeline reads 20 parquet files, maps every row and writes parquet: one Ray Data execution
on a local Ray (2 CPUs). Capture is switched with `lineage_nb.enable()` / `disable()` between
runs, which adds or removes the callback in RAY_DATA_EXECUTION_CALLBACKS (read on every plan).
Runs alternate on/off and each round swaps which state goes first, so drift and background load
hit both states alike. The emitter is flushed after each run, outside the timing.

Reported: median wall seconds per pipeline off and on and their ratio (target <= 1.01); the
median of the per-round on/off ratios (each round's pair ran back to back, so it is less exposed
to load from other processes on a shared machine); the driver process's CPU seconds per pipeline
off and on (the user thread plus the emitter thread building and storing the events); and the
time the callback itself spends on the caller's side per execution (`start_run` in
`before_execution_starts` plus `finish_run` in `after_execution_*`; target <= 0.5 ms), timed
around those functions during the "on" runs.

    .venv/bin/python benchmarks/bench_ray_overhead.py [--rounds 15] [--files 20] [--rows 5000]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")

RESULTS = Path(__file__).parent / "results" / "ray_overhead.json"
TARGET_RATIO = 1.01
TARGET_CALLBACK_MS = 0.5


def write_inputs(directory: Path, files: int, rows: int) -> None:
    import numpy as np
    import pandas as pd

    directory.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for i in range(files):
        frame = pd.DataFrame({"id": np.arange(i * rows, (i + 1) * rows), "x": rng.random(rows), "label": rng.integers(0, 5, rows)})
        frame.to_parquet(directory / f"part-{i:03d}.parquet")


def pipeline(source: Path, out: Path) -> None:
    import ray

    ray.data.read_parquet(str(source)).map(lambda r: {"id": r["id"], "x2": r["x"] * 2, "label": r["label"]}).write_parquet(str(out))


def timing(function: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - start) * 1000)

    return timed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    os.environ["LINEAGE_NB_STORE"] = str(work / "lineage.db")
    import ray
    from ray.data import DataContext

    import lineage_nb
    from lineage_nb.capture import ray_data

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    DataContext.get_current().enable_progress_bars = False
    DataContext.get_current().print_on_execution_start = False
    source = work / "raw"
    write_inputs(source, args.files, args.rows)

    callback_ms: list[float] = []
    start_ms: list[float] = []
    ray_data.start_run = timing(ray_data.start_run, start_ms)
    ray_data.finish_run = timing(ray_data.finish_run, callback_ms)
    walls: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    counter = 0

    def run(state: str) -> None:
        nonlocal counter
        counter += 1
        if state == "on":
            lineage_nb.enable()
        else:
            lineage_nb.disable()
        started, started_cpu = time.perf_counter(), time.process_time()
        pipeline(source, work / f"out-{counter}")
        walls[state].append(time.perf_counter() - started)
        lineage_nb.disable()
        lineage_nb.flush(60)
        cpu[state].append(time.process_time() - started_cpu)

    for state in ("off", "on"):  # warm-up: worker processes, imports, the store's schema
        run(state)
    walls = {"off": [], "on": []}
    cpu = {"off": [], "on": []}
    start_ms.clear()
    callback_ms.clear()
    for round_index in range(args.rounds):
        for state in (("off", "on") if round_index % 2 == 0 else ("on", "off")):
            run(state)

    per_execution = [a + b for a, b in zip(start_ms, callback_ms)]
    median_off, median_on = statistics.median(walls["off"]), statistics.median(walls["on"])
    store = lineage_nb.open_store(str(work / "lineage.db"))
    result = {
        "benchmark": "ray_overhead",
        "pipeline": f"read_parquet({args.files} files x {args.rows} rows) -> map -> write_parquet",
        "rounds": args.rounds,
        "median_s_off": round(median_off, 4),
        "median_s_on": round(median_on, 4),
        "ratio": round(median_on / median_off, 4),
        "target_ratio": TARGET_RATIO,
        "ratio_within_target": median_on / median_off <= TARGET_RATIO,
        "paired_ratio_median": round(statistics.median(on / off for on, off in zip(walls["on"], walls["off"])), 4),
        "driver_cpu_s_off": round(statistics.median(cpu["off"]), 4),
        "driver_cpu_s_on": round(statistics.median(cpu["on"]), 4),
        "driver_cpu_ratio": round(statistics.median(cpu["on"]) / statistics.median(cpu["off"]), 4),
        "callback_ms_per_execution_median": round(statistics.median(per_execution), 4),
        "callback_ms_per_execution_p90": round(percentile(per_execution, 0.9), 4),
        "callback_ms_before_execution_median": round(statistics.median(start_ms), 4),
        "callback_ms_after_execution_median": round(statistics.median(callback_ms), 4),
        "target_callback_ms": TARGET_CALLBACK_MS,
        "callback_within_target": statistics.median(per_execution) <= TARGET_CALLBACK_MS,
        "executions_captured": len(per_execution),
        "events_stored": store.counts(),
        "walls_s_off": [round(w, 4) for w in walls["off"]],
        "walls_s_on": [round(w, 4) for w in walls["on"]],
        "ray": ray.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    store.close()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    json.dump({k: v for k, v in result.items() if not k.startswith("walls")}, sys.stdout, indent=2)
    print()
    ray.shutdown()


if __name__ == "__main__":
    main()
