"""The CLI's wall time from a shell: `lineage-nb show ARTIFACT --json` on a small store, and `lineage-nb --help`.

Targets (issue 13): show ≤ 200 ms and --help ≤ 80 ms, wall median on this machine. Beside them, in the
same rounds, the floor any Python CLI pays (`python -c pass`) and `import sqlalchemy` alone, so a slow
machine shows up as a slow floor rather than as a regression. Commands are run round-robin, one
sample of each per round. The read path's import breakdown comes from `python -X importtime`.

    .venv/bin/python -m benchmarks.bench_cli [--rounds 25]   (writes benchmarks/results/cli.json)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(os.environ.get("LINEAGE_NB_SHARED") or ROOT.parent / "shared") / "fixtures" / "openlineage" / "marquez-food-delivery.json"
RESULTS = ROOT / "benchmarks" / "results" / "cli.json"
CLI = [sys.executable, "-m", "lineage_nb.cli"]
TARGETS_MS = {"show --json": 200.0, "--help": 80.0}


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def import_breakdown(command: list[str]) -> dict[str, float]:
    """Cumulative import time (ms) of the top-level packages a command loads, largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command[1:]], capture_output=True, text=True, check=True)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not cumulative.isdigit():
            continue
        top = name.strip().split(".")[0]
        if name.strip() == top or (top == "lineage_nb" and name.strip().count(".") == 1):
            key = name.strip() if top == "lineage_nb" else top
            totals[key] = max(totals.get(key, 0.0), int(cumulative) / 1000)
    return dict(sorted(totals.items(), key=lambda item: -item[1])[:12])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    # What `pip install` leaves: compiled modules. An editable install under PYTHONDONTWRITEBYTECODE=1 (set on
    # this machine) would otherwise compile lineage_nb's sources on every run, which no installed CLI does.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "lineage_nb")], check=True)
    with tempfile.TemporaryDirectory() as directory:
        store = str(Path(directory) / "small.db")
        subprocess.run([*CLI, "--store", store, "import", str(FIXTURE)], check=True, stdout=subprocess.DEVNULL)
        commands = {
            "show --json": [*CLI, "--store", store, "show", "public.orders", "--json"],
            "--help": [*CLI, "--help"],
            "python -c pass": [sys.executable, "-c", "pass"],
            "import sqlalchemy": [sys.executable, "-c", "import sqlalchemy"],
        }
        for command in commands.values():  # warm the page cache and .pyc files
            _wall(command)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                samples[name].append(_wall(command))
        breakdown = import_breakdown(commands["show --json"])
    medians = {name: statistics.median(values) for name, values in samples.items()}
    result = {
        "benchmark": "CLI wall time (ms), median of round-robin samples",
        "rounds": args.rounds,
        "median_ms": {name: round(value, 1) for name, value in medians.items()},
        "p90_ms": {name: round(sorted(values)[int(0.9 * (len(values) - 1))], 1) for name, values in samples.items()},
        "targets_ms": TARGETS_MS,
        "targets_met": {name: medians[name] <= target for name, target in TARGETS_MS.items()},
        "show_over_python_floor_ms": round(medians["show --json"] - medians["python -c pass"], 1),
        "show_import_breakdown_ms": breakdown,
        "load_average": os.getloadavg(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
