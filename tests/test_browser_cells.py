"""Cell-level lineage as a user sees it: a real notebook in JupyterLab (which sends cell ids), real pandas,
the notebook drawn as a compound node holding its cells, the inferred edge dashed, the prompt numbers right."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from browser_support import CY, chromium, edge_problems, geometry, jupyter_server, open_notebook, run_all_cells, wait_for_graph, write_notebook

from lineage_nb.cli.main import main

pytestmark = pytest.mark.browser
ARTIFACTS = Path(os.environ.get("LINEAGE_NB_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "lineage_nb_screenshots")

CELLS = [
    "%load_ext lineage_nb",
    "import os\nimport pandas as pd\n"
    "raw_path, features_path, out_path = (os.path.join(os.getcwd(), n) for n in ('raw.csv', 'features.parquet', 'scored.csv'))\n"
    "with open(raw_path, 'w') as f:\n    f.write('x,y\\n1,2\\n3,4\\n')",
    "df = pd.read_csv(raw_path)",
    "df.assign(z=df.x * 2).to_parquet(features_path)",
    "scored = pd.read_parquet(features_path)\nscored.assign(s=scored.z + 1).to_csv(out_path)",
    "%lineage $out_path --depth 4 --direction up",
]


def test_the_notebook_is_drawn_as_its_cells_with_dashed_inferred_edges(tmp_path, capsys):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    store = tmp_path / "lineage.db"
    write_notebook(tmp_path / "cells.ipynb", CELLS)
    env = {"LINEAGE_NB_STORE": str(store)}
    with jupyter_server(tmp_path, env) as server, chromium(tmp_path / "profile") as browser:
        page = open_notebook(browser, server, "cells.ipynb")
        run_all_cells(page)
        try:
            wait_for_graph(page, timeout=240_000)
        finally:
            page.screenshot(path=ARTIFACTS / "10-notebook-as-cells-page.png", full_page=True)
        page.wait_for_function(f"({CY}).nodes(':parent').length > 0", timeout=60_000)
        drawn = page.evaluate(
            f"""() => {{
                const cy = {CY};
                const compound = cy.nodes(':parent').first();
                return {{
                    notebook: compound.data('name'),
                    cells: compound.children().map(n => n.data('label')),
                    dashed: cy.edges().filter(e => e.style('line-style') === 'dashed').map(e => [e.source().data('label') || e.source().data('name'), e.target().data('label')]),
                }};
            }}"""
        )
        page.locator(".lnb-root").screenshot(path=ARTIFACTS / "10-notebook-as-cells.png")
        through = edge_problems(geometry(page))
        page.close()
    assert through == [], "raw.csv -> [5] goes round [4], not through it (which would read as [4] -> [5])"
    assert drawn["notebook"].endswith("cells.ipynb")
    assert sorted(label.split(" ")[0] for label in drawn["cells"]) == ["[4]", "[5]"], drawn  # the prompt numbers the user saw
    assert any(label.startswith("[4] df.assign(z=df.x * 2).to_parquet") for label in drawn["cells"]), drawn
    # raw.csv was held (read into pandas in cell 3) when cells 4 and 5 wrote Python-built data: inferred, dashed
    assert {edge[1].split(" ")[0] for edge in drawn["dashed"] if edge[0] == "raw.csv"} == {"[4]", "[5]"}, drawn

    capsys.readouterr()
    assert main(["--store", str(store), "show", str(tmp_path / "scored.csv"), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["written_by_run"]["context"]["cellExecutionCount"] == 5
    assert shown["written_by_run"]["context"]["cellId"], "JupyterLab sends nbformat cell ids; the store keeps them"

