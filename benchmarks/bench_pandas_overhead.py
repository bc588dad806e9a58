"""Time tiny pandas reads and writes with lineage capture on and off, side by side in one process.

A tiny CSV (3 rows, 3 columns) read with `pandas.read_csv`, and a tiny frame written with
`DataFrame.to_csv`: the calls where the hook's own cost shows. The original function and the
capturing wrapper alternate call by call (`overhead.compare_interleaved`), so load on the machine
hits both alike. The target is at most 0.1 ms added per tiny read.

    .venv/bin/python benchmarks/bench_pandas_overhead.py [--calls 3000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import compare_interleaved, write_report

RESULTS = Path(__file__).parent / "results" / "pandas_overhead.json"
TARGET_ADDED_MS = 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000, help="calls per state (default %(default)s)")
    parser.add_argument("--store", help="lineage store path or URL (default: a file in a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["LINEAGE_NB_STORE"] = args.store or str(root / "lineage.db")
        import pandas as pd

        import lineage_nb
        lineage_nb.enable()
        tiny = pd.DataFrame({"id": [1, 2, 3], "score": [0.1, 0.2, 0.3], "name": ["a", "b", "c"]})
        source = root / "tiny.csv"
        tiny.to_csv(source, index=False)
        read_csv, to_csv = pd.read_csv, pd.DataFrame.to_csv
        assert hasattr(read_csv, "__lineage_nb_original__") and hasattr(to_csv, "__lineage_nb_original__"), "capture is on"
        plain_read, plain_write = read_csv.__lineage_nb_original__, to_csv.__lineage_nb_original__
        results = [
            compare_interleaved("read_csv (3 rows)", lambda i: plain_read(source), lambda i: read_csv(source), args.calls, TARGET_ADDED_MS),
            compare_interleaved("to_csv (3 rows)", lambda i: plain_write(tiny, root / f"out{i % 20}.csv", index=False),
                                lambda i: to_csv(tiny, root / f"out{i % 20}.csv", index=False), args.calls, TARGET_ADDED_MS),
        ]
        lineage_nb.disable()
        lineage_nb.flush(timeout=60)
    write_report(RESULTS, "pandas_overhead", TARGET_ADDED_MS, results, {"pandas": pd.__version__})


if __name__ == "__main__":
    main()
