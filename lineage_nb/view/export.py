"""A self-contained, offline HTML file of a lineage graph: the widget bundle inlined, no kernel needed.

It is the same widget over a snapshot: the graph as queried (every hop up to the exported depth,
laid out once), each node's panel, and the depth and direction it was exported with. The front end
(js/src/snapshot.js) answers the widget's intents from that snapshot: expand and collapse within
the exported hops, a smaller depth or one direction, find, reset.
"""
from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

from lineage_nb.core import errors
from lineage_nb.query.service import QueryService
from lineage_nb.view.graph_view import GraphView
from lineage_nb.view.panels import panel_for

BUNDLE = Path(__file__).with_name("static") / "widget.js"
PANEL_LIMIT = 500  # nodes whose panels the file carries; beyond that, nodes show their own fields

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>body {{ margin: 16px; }}</style>
</head>
<body>
<h2>{title}</h2>
<div id="lineage"></div>
<script type="application/json" id="lineage-state">{state}</script>
<script type="module">
const bundle = "{bundle}";
const widget = await import("data:text/javascript;base64," + bundle);
const state = JSON.parse(document.getElementById("lineage-state").textContent);
widget.renderStandalone(document.getElementById("lineage"), state);
</script>
</body>
</html>
"""


def json_for_script(value: Any) -> str:
    """JSON that cannot end its <script> element or open markup, whatever the data says."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def snapshot_state(graph_data: dict[str, Any], depth: int = 1, direction: str = "both", service: QueryService | None = None) -> dict[str, Any]:
    """The widget state of an export: every element laid out, with panels when a service can tell them."""
    view = GraphView(service, focus=graph_data.get("focus", []), depth=depth, direction=direction)
    elements = view.build(graph_data)
    panels: dict[str, Any] = {}
    if service is not None:
        for node, info in list(view.nodes.items())[:PANEL_LIMIT]:
            workload = view.nodes.get(info.get("parent", "")) if info["kind"] != "more" else None
            try:
                panels[node] = panel_for(service, info, workload)
            except Exception as exc:  # noqa: BLE001 - a missing panel leaves the node's own fields
                errors.report("export panel", exc)
    return {"mode": "graph", "snapshot": elements, "revision": view.revision, "depth": depth, "direction": direction,
            "focus": view.focus, "selected": "", "panel": {}, "table": {}, "back": "", "message": "",
            "node_count": len(view.nodes), "panels": panels, "exported": {"depth": depth, "direction": direction}}


def export_html(graph_data: dict[str, Any], path: str | os.PathLike[str], depth: int = 1, direction: str = "both",
                service: QueryService | None = None) -> Path:
    """Write `graph_data` (as `QueryService.graph` returns it, queried with `depth` and `direction`) as one
    HTML file that works offline; with the `service` it came from, node panels work too."""
    state = snapshot_state(graph_data, depth, direction, service)
    focus = [n for n in graph_data["nodes"] if n.get("focus")]
    title = "Lineage of " + ", ".join(n.get("name", n["id"]) for n in focus) if focus else "Lineage graph"
    bundle = base64.b64encode(BUNDLE.read_bytes()).decode("ascii")
    target = Path(path)
    target.write_text(PAGE.format(title=html.escape(title), state=json_for_script(state), bundle=bundle), encoding="utf-8")
    return target
