"""`make demo`: run the quickstart notebook headlessly on the default store and write a lineage report.

Outputs go to demo_output/: the executed notebook, lineage_report.md and lineage_graph.html.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
OUT = ROOT / "demo_output"


def run_notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    os.environ["JPY_SESSION_NAME"] = str(NOTEBOOK)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    nbformat.write(notebook, OUT / "quickstart.ipynb")


def write_report() -> Path:
    from lineage_nb import open_store
    from lineage_nb.query import sql as queries
    from lineage_nb.view.export import export_html

    with open_store() as store:
        workload = queries.resolve_workload(store, str(NOTEBOOK))
        overview = queries.workload_overview(store, workload)
        lines = [
            f"# Lineage report: {NOTEBOOK.name}",
            "",
            f"Store: `{store.location}`; workload `{workload['name']}` ({workload['type']}), {overview['run_count']} runs.",
            "",
            "## Artifacts the notebook wrote",
            "",
        ]
        for artifact in overview["downstream"]:
            full = queries.resolve_artifact(store, namespace=artifact["namespace"], name=artifact["name"])
            provenance = queries.transitive(store, full["id"], "up")
            sources = ", ".join(f"`{a['name']}`" for a in provenance["artifacts"]) or "none"
            lines.append(f"- **{artifact['kind']}** `{artifact['name']}` ({artifact['format'] or 'unknown format'}); upstream: {sources}")
        lines += ["", "## Artifacts the notebook read", ""]
        lines += [f"- {a['kind']} `{a['name']}`" for a in overview["upstream"]]
        graph = queries.graph(store, [workload["id"]], depth=3)
        export_html(graph, OUT / "lineage_graph.html")
    report = OUT / "lineage_report.md"
    report.write_text("\n".join(lines) + "\n")
    return report


def main() -> int:
    OUT.mkdir(exist_ok=True)
    print(f"running {NOTEBOOK.relative_to(ROOT)} headlessly (store: {os.environ.get('LINEAGE_NB_STORE', '~/.lineage_nb/lineage.db')})")
    run_notebook()
    report = write_report()
    print(report.read_text())
    print(f"wrote {OUT.relative_to(ROOT)}/quickstart.ipynb, {report.name} and lineage_graph.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
