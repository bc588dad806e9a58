"""A self-contained, offline HTML file of a lineage graph: the widget bundle inlined, no kernel needed."""
from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

from lineage_nb.view.graph_view import GraphView

BUNDLE = Path(__file__).with_name("static") / "widget.js"

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


def export_html(graph_data: dict[str, Any], path: str | os.PathLike[str], depth: int = 1, direction: str = "both") -> Path:
    """Write `graph_data` (as `QueryService.graph` returns it) laid out, as one HTML file that works offline."""
    view = GraphView(None, focus=graph_data.get("focus", []), depth=depth, direction=direction)
    elements = view.build(graph_data)
    focus = [n for n in graph_data["nodes"] if n.get("focus")]
    title = "Lineage of " + ", ".join(n.get("name", n["id"]) for n in focus) if focus else "Lineage graph"
    state = {"mode": "graph", "snapshot": elements, "revision": view.revision, "depth": depth, "direction": direction,
             "selected": "", "panel": {}, "table": {}, "message": "", "node_count": len(elements)}
    bundle = base64.b64encode(BUNDLE.read_bytes()).decode("ascii")
    target = Path(path)
    target.write_text(PAGE.format(title=html.escape(title), state=json_for_script(state), bundle=bundle), encoding="utf-8")
    return target
