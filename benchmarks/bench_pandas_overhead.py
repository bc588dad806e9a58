"""Time tiny pandas reads and writes with lineage capture on and off, side by side in one process.

A tiny CSV (3 rows, 3 columns) read with `pandas.read_csv`, and a tiny frame written with
`DataFrame.to_csv`: the calls where the hook's own cost shows. See `overhead.py` for how the states
alternate and what is reported. The target is at most 0.1 ms added per tiny read.

    .venv/bin/python benchmarks/bench_pandas_overhead.py [--rounds 30] [--calls 50]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import compare, switcher, write_report

RESULTS = Path(__file__).parent / "results" / "pandas_overhead.json"
TARGET_ADDED_MS = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="rounds of off/on/on-deferred blocks (default %(default)s)")
    parser.add_argument("--calls", type=int, default=50, help="calls per block (default %(default)s)")
    parser.add_argument("--store", help="lineage store path or URL (default: a file in a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["LINEAGE_NB_STORE"] = args.store or str(root / "lineage.db")
        import pandas as pd

        import lineage_nb
        from lineage_nb.capture import pandas as hook

        lineage_nb.enable()
        switch = switcher(hook)
        tiny = pd.DataFrame({"id": [1, 2, 3], "score": [0.1, 0.2, 0.3], "name": ["a", "b", "c"]})
        source = root / "tiny.csv"
        tiny.to_csv(source, index=False)
        results = [
            compare("read_csv (3 rows)", lambda i: pd.read_csv(source), args.rounds, args.calls, switch, TARGET_ADDED_MS),
            compare("to_csv (3 rows)", lambda i: tiny.to_csv(root / f"out{i % 20}.csv", index=False), args.rounds, args.calls, switch, TARGET_ADDED_MS),
        ]
        switch.restore()  # type: ignore[attr-defined]
        lineage_nb.flush(timeout=60)
    write_report(RESULTS, "pandas_overhead", TARGET_ADDED_MS, results, {"pandas": pd.__version__})


if __name__ == "__main__":
    main()
