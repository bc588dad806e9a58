"""The quickstart's cells print what the user asked for and nothing else: no Ray, Ray Data, MLflow or
capture log lines (the pink stderr blocks of a notebook), with capture on."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"


def test_the_quickstart_prints_no_log_noise(tmp_path, monkeypatch):
    monkeypatch.setenv("LINEAGE_NB_STORE", str(tmp_path / "lineage.db"))
    monkeypatch.setenv("QUICKSTART_DIR", str(tmp_path))
    monkeypatch.setenv("JPY_SESSION_NAME", str(NOTEBOOK))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    noise = []
    for index, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and (output.name == "stderr" or any(w in output.text for w in ("INFO", "WARNING"))):
                noise.append(f"cell {index} ({cell.source.splitlines()[0]}): {output.text[:300]}")
            assert output.output_type != "error", f"cell {index} failed: {output.get('evalue')}"
    assert noise == [], "\n".join(noise)
    assert os.path.exists(tmp_path / "predictions")
