"""Time MLflow calls with lineage capture on and off, side by side in one process.

The calls are `log_artifact` (the one where hook overhead shows: the call itself takes about a
millisecond) and `log_model` (sklearn), plus `pyfunc.load_model` (it also reads the downloaded
MLmodel file). Real MLflow with a sqlite tracking store in a temporary directory. Capture is
switched by installing and uninstalling the MLflow hooks between blocks. Blocks alternate
on/off and each round swaps which state goes first, so drift and background load hit both
states alike. The emitter is flushed between blocks, outside the timing, so one state's queued
events are not written while the other state is timed.

A third state, "on, events stored after the block", swaps in an emitter whose thread only runs
while flushing, so the hook's own user-thread cost is seen without the emitter's concurrent work.

Reported per call: median milliseconds off and on, the added milliseconds (difference of the
medians) and the ratio on/off, in wall-clock time and in the user thread's own CPU time
(`time.thread_time`). The two differ when the emitter thread, building and storing the events of
earlier calls, holds the GIL while the user's thread waits for it. The target is at most 0.5 ms
added on the user's thread.

    .venv/bin/python benchmarks/bench_mlflow_overhead.py [--rounds 30]
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
from typing import Callable

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

RESULTS = Path(__file__).parent / "results" / "mlflow_overhead.json"
TARGET_ADDED_MS = 0.5
REQUIREMENTS = ["scikit-learn"]  # given, so log_model does not spawn its requirement-inference subprocess


def timed_block(call: Callable[[int], object], calls: int, counter: list[int]) -> list[tuple[float, float]]:
    """(wall ms, this thread's CPU ms) per call."""
    times = []
    for _ in range(calls):
        counter[0] += 1
        start, start_cpu = time.perf_counter(), time.thread_time()
        call(counter[0])
        times.append(((time.perf_counter() - start) * 1000, (time.thread_time() - start_cpu) * 1000))
    return times


def deferred_emitter() -> object:
    """An emitter whose thread runs only while flushing: events of a timed block are built and
    stored after the block. Isolates the hook's own cost from the emitter's concurrent work."""
    from lineage_nb.runtime.emitter import Emitter

    class DeferredEmitter(Emitter):
        deferring = True

        def _ensure_thread(self) -> None:
            if not self.deferring:
                super()._ensure_thread()

        def flush(self, timeout: float = 10.0) -> bool:
            self.deferring = False
            try:
                return super().flush(timeout)
            finally:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                if self._thread is not None:
                    self._thread.join(timeout)
                self.deferring = True

    return DeferredEmitter()


STATES = ("off", "on", "on_deferred")


def compare(name: str, call: Callable[[int], object], rounds: int, calls: int, switch: Callable[[str], None]) -> dict:
    import lineage_nb

    samples: dict[str, list[tuple[float, float]]] = {state: [] for state in STATES}
    counter = [0]
    for state in STATES:  # warm caches and imports in every path before timing
        switch(state)
        call(0)
    for round_number in range(rounds):
        order = STATES[round_number % 3 :] + STATES[: round_number % 3]
        for state in order:
            switch(state)
            samples[state] += timed_block(call, calls, counter)
            lineage_nb.flush(timeout=60)
    off, on, deferred = (statistics.median(wall for wall, _ in samples[state]) for state in STATES)
    off_cpu, on_cpu, deferred_cpu = (statistics.median(cpu for _, cpu in samples[state]) for state in STATES)
    result = {
        "call": name,
        "calls_per_state": len(samples["on"]),
        "median_ms_off": round(off, 4),
        "median_ms_on": round(on, 4),
        "added_ms": round(on - off, 4),
        "ratio": round(on / off, 4),
        "user_thread_cpu_ms_off": round(off_cpu, 4),
        "user_thread_cpu_ms_on": round(on_cpu, 4),
        "user_thread_cpu_added_ms": round(on_cpu - off_cpu, 4),
        "within_target": on - off <= TARGET_ADDED_MS,
        "median_ms_on_events_stored_after_block": round(deferred, 4),
        "added_ms_events_stored_after_block": round(deferred - off, 4),
        "user_thread_cpu_added_ms_events_stored_after_block": round(deferred_cpu - off_cpu, 4),
    }
    print(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="on/off block pairs per call (default %(default)s)")
    parser.add_argument("--store", help="lineage store path or URL (default: a file in a temporary directory)")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval seconds (diagnoses GIL hand-over delays)")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["LINEAGE_NB_STORE"] = args.store or str(root / "lineage.db")
        import mlflow
        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        import lineage_nb
        from lineage_nb.capture import mlflow as capture

        lineage_nb.enable()

        from lineage_nb.runtime import emitter
        normal, deferred = emitter.get_emitter(), deferred_emitter()

        def switch(state: str) -> None:
            emitter.set_emitter(deferred if state == "on_deferred" else normal)
            if state == "off":
                capture.uninstall()
            else:
                assert capture.install()

        mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
        mlflow.set_experiment(experiment_id=mlflow.create_experiment("bench", artifact_location=str(root / "artifacts")))
        features = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.linspace(1, 0, 50)})
        model = LogisticRegression().fit(features, (features.a > 0.5).astype(int))
        artifact = root / "metrics.txt"
        artifact.write_text("accuracy 0.9\n")

        results = []
        with mlflow.start_run():
            results.append(compare("log_artifact", lambda i: mlflow.log_artifact(str(artifact), artifact_path=f"a{i % 50}"), args.rounds, 20, switch))
            info = mlflow.sklearn.log_model(model, name="bench-model", pip_requirements=REQUIREMENTS)
            results.append(
                compare("log_model", lambda i: mlflow.sklearn.log_model(model, name=f"m{i}", pip_requirements=REQUIREMENTS), max(6, args.rounds // 4), 2, switch)
            )
            results.append(compare("pyfunc.load_model", lambda i: mlflow.pyfunc.load_model(info.model_uri), max(6, args.rounds // 2), 5, switch))
        capture.uninstall()
        emitter.set_emitter(normal)
        lineage_nb.flush(timeout=60)

    report = {
        "benchmark": "mlflow_overhead",
        "target_added_ms": TARGET_ADDED_MS,
        "results": results,
        "environment": {
            "python": platform.python_version(),
            "mlflow": mlflow.__version__,
            "cpus": os.cpu_count(),
            "load_average_1m": os.getloadavg()[0],
            "switch_interval_s": sys.getswitchinterval(),
            "platform": platform.platform(),
        },
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
