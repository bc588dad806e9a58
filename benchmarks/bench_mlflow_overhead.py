"""Time MLflow calls with lineage capture on and off, side by side in one process.

The calls are `log_artifact` (the one where hook overhead shows: the call itself takes about a
millisecond) and `log_model` (sklearn), plus `pyfunc.load_model` (it also reads the downloaded
MLmodel file). Real MLflow with a sqlite tracking store in a temporary directory. See `overhead.py`
for how the states alternate and what is reported. The target is at most 0.5 ms added.

    .venv/bin/python benchmarks/bench_mlflow_overhead.py [--rounds 120]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import compare, switcher, write_report

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

RESULTS = Path(__file__).parent / "results" / "mlflow_overhead.json"
TARGET_ADDED_MS = 0.5
REQUIREMENTS = ["scikit-learn"]  # given, so log_model does not spawn its requirement-inference subprocess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=120, help="on/off block pairs per call (default %(default)s)")
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
        switch = switcher(capture)

        mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
        mlflow.set_experiment(experiment_id=mlflow.create_experiment("bench", artifact_location=str(root / "artifacts")))
        features = pd.DataFrame({"a": np.linspace(0, 1, 50), "b": np.linspace(1, 0, 50)})
        model = LogisticRegression().fit(features, (features.a > 0.5).astype(int))
        artifact = root / "metrics.txt"
        artifact.write_text("accuracy 0.9\n")

        results = []
        with mlflow.start_run():
            results.append(compare("log_artifact", lambda i: mlflow.log_artifact(str(artifact), artifact_path=f"a{i % 50}"), args.rounds, 20, switch, TARGET_ADDED_MS))
            info = mlflow.sklearn.log_model(model, name="bench-model", pip_requirements=REQUIREMENTS)
            results.append(
                compare("log_model", lambda i: mlflow.sklearn.log_model(model, name=f"m{i}", pip_requirements=REQUIREMENTS), max(6, args.rounds // 4), 2, switch, TARGET_ADDED_MS)
            )
            results.append(compare("pyfunc.load_model", lambda i: mlflow.pyfunc.load_model(info.model_uri), max(6, args.rounds // 2), 5, switch, TARGET_ADDED_MS))
        switch.restore()  # type: ignore[attr-defined]
        lineage_nb.flush(timeout=60)
    write_report(RESULTS, "mlflow_overhead", TARGET_ADDED_MS, results, {"mlflow": mlflow.__version__})


if __name__ == "__main__":
    main()
