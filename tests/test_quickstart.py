"""The quickstart notebook runs headlessly under nbval, and its lineage lands in the store as the tour says."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lineage_nb.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """Run the notebook once: its store, its working directory, and what it left in notebooks/."""
    root = tmp_path_factory.mktemp("quickstart")
    store, work = root / "lineage.db", root / "work"
    work.mkdir()
    before = tree(NOTEBOOK.parent)
    env = os.environ | {
        "LINEAGE_NB_STORE": str(store),
        "QUICKSTART_DIR": str(work),
        "JPY_SESSION_NAME": str(NOTEBOOK),  # what JupyterLab sets: the workload is named after the notebook
        "RAY_DISABLE_USAGE_STATS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "NBVAL_OUTPUTS": str(root / "outputs.jsonl"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-p", "nbval_outputs", "-q", str(NOTEBOOK)],
        cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    cells = [json.loads(line) for line in (root / "outputs.jsonl").read_text().splitlines()]
    return {"store": store, "work": work, "left_in_notebooks": tree(NOTEBOOK.parent) - before, "cells": cells}


def test_the_quickstart_prints_no_log_noise(quickstart):
    """Its cells print what the user asked for and nothing else: no Ray, Ray Data, MLflow or capture log
    lines (the pink stderr blocks of a notebook), with capture on."""
    code_cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    assert [c["source"] for c in quickstart["cells"]] == [c.source for c in code_cells], "every code cell ran"
    noise = []
    for index, cell in enumerate(quickstart["cells"]):
        for output in cell["outputs"]:
            if output["output_type"] == "stream" and (output["name"] == "stderr" or any(w in output["text"] for w in ("INFO", "WARNING"))):
                noise.append(f"cell {index} ({cell['source'].splitlines()[0]}): {output['text'][:300]}")
    assert noise == [], "\n".join(noise)


def cli_json(capsys, store: Path, *argv: str):
    capsys.readouterr()
    code = main(["--store", str(store), *argv, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_quickstart_leaves_nothing_in_the_notebooks_folder(quickstart):
    assert quickstart["left_in_notebooks"] == set()
    assert (quickstart["work"] / "mlartifacts").is_dir(), "MLflow's model artifacts go to QUICKSTART_DIR"


def test_predictions_provenance_reaches_the_raw_csv_features_and_model(quickstart, capsys):
    work = quickstart["work"]
    found = cli_json(capsys, quickstart["store"], "provenance", str(work / "predictions"))
    by_name = {a["name"]: a for a in found["artifacts"]}
    assert str(work / "raw.csv") in by_name
    assert str(work / "features") in by_name
    models = [a for a in found["artifacts"] if a["kind"] == "model"]
    assert len(models) == 1, found["artifacts"]


def test_models_lists_the_logged_model_with_its_id_and_uri(quickstart, capsys):
    rows = cli_json(capsys, quickstart["store"], "models")
    assert len(rows) == 1, rows
    model = rows[0]
    assert model["kind"] == "model"
    assert model["name"].startswith("m-"), "an MLflow model is named by its model id"
    assert model["uri"].startswith("mlflow://") and model["uri"].endswith("/" + model["name"]), "the tracking store, then the id"


def test_show_names_the_cell_that_wrote_each_artifact(quickstart, capsys):
    """nbval runs cells without history, so there is no prompt number to show ("[ ]"); the cell is still its own
    step. Prompt numbers and cell ids as JupyterLab sends them: tests/test_browser_cells.py."""
    for artifact in ("features", "predictions"):
        shown = cli_json(capsys, quickstart["store"], "show", str(quickstart["work"] / artifact))
        (producer,) = shown["upstream"]
        assert producer["type"] == "cell" and producer["label"].startswith("[ ] "), producer
        assert f"write_parquet({artifact}_path)" in shown["written_by_run"]["context"]["cellSource"]
        parent = cli_json(capsys, quickstart["store"], "workload", str(NOTEBOOK))
        assert parent["type"] == "notebook" and producer["parent"] == parent["id"]


def _short(found: dict, work: Path) -> set[str]:
    return {"model" if a["kind"] == "model" else a["name"].removeprefix(str(work) + "/") for a in found["artifacts"]}


EXPECTED = {  # issue 14's acceptance table: what each question must answer, exactly
    ("provenance", "features"): {"raw.csv"},
    ("provenance", "model"): {"features", "raw.csv"},
    ("provenance", "predictions"): {"features", "model", "raw.csv"},
    ("impact", "raw.csv"): {"features", "model", "predictions"},
    ("impact", "model"): {"predictions"},
    ("impact", "features"): {"model", "predictions"},
}


@pytest.mark.parametrize(("question", "artifact"), list(EXPECTED))
def test_provenance_and_impact_are_exact_at_cell_level(quickstart, capsys, question, artifact):
    work = quickstart["work"]
    if artifact == "model":
        (model,) = cli_json(capsys, quickstart["store"], "models")
        reference = ["--namespace", model["namespace"], "--name", model["name"]]
    else:
        reference = [str(work / artifact)]
    assert _short(cli_json(capsys, quickstart["store"], question, *reference), work) == EXPECTED[(question, artifact)]
