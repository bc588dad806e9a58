"""`lineage-nb import` of a 10k-event file before and after redaction on every ingest door, side by side.

"Before" is the code at a base commit (default: where this branch left main), unpacked with `git
archive`; "after" is this checkout. Runs alternate (before, after, after with a credential planted
in every event, then again), so load from anything else on the machine lands on all of them alike.
Each figure is the wall time of the whole command, as a user sees it, in a fresh store.

    .venv/bin/python -m benchmarks.bench_import_redaction [--base 0415ba5] [--repeats 5] [--events 10000]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from benchmarks import generate

HERE = Path(__file__).resolve().parents[1]
RESULT = Path(__file__).resolve().parent / "results" / "import_redaction.json"


def unpack(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(HERE), "archive", "--format=tar", commit], check=True, capture_output=True).stdout
    tar_path = into / "base.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into / "base", filter="data")
    return into / "base"


def planted_copy(source: Path, target: Path) -> Path:
    """The same events, each with a credential in its first output's dataSource URI (redaction takes its slow path)."""
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            event = json.loads(line)
            for dataset in event.get("outputs") or event.get("inputs") or []:
                dataset.setdefault("facets", {})["dataSource"] = {"name": "s3", "uri": "s3://AKIAPLANTEDKEY12345:pLaNtEd@bucket/x"}
                break
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    return target


def import_seconds(code: Path, source: Path, store: Path) -> float:
    for leftover in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
        leftover.unlink(missing_ok=True)
    env = os.environ | {"PYTHONPATH": str(code)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lineage_nb.cli", "--store", str(store), "import", str(source), "--json"],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="0415ba5")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    source = generate.ensure_file(args.events)
    with tempfile.TemporaryDirectory(prefix="lineage-bench-") as directory:
        root = Path(directory)
        base = unpack(args.base, root)
        planted = planted_copy(source, root / "planted.jsonl")
        runs = {"before": (base, source), "after": (HERE, source), "after, credential in every event": (HERE, planted)}
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for attempt in range(args.repeats):
            for name, (code, events) in runs.items():
                seconds[name].append(import_seconds(code, events, root / "store.db"))
                print(f"[bench] {attempt + 1}/{args.repeats} {name}: {args.events / seconds[name][-1]:,.0f} ev/s", flush=True)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    result = {
        "events": args.events,
        "base": args.base,
        "events_per_second_median": {name: round(args.events / s) for name, s in medians.items()},
        "seconds": seconds,
        "after_over_before": round(medians["before"] / medians["after"], 3),
        "planted_over_before": round(medians["before"] / medians["after, credential in every event"], 3),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("events_per_second_median", "after_over_before", "planted_over_before")}, indent=2))


if __name__ == "__main__":
    main()
