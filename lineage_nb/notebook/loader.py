"""The widget's ESM as anywidget is given it: a small loader that carries the bundle as a string.

anywidget imports a widget's ESM afresh for every widget (from a new blob URL each time), and
parsing and running the bundle, cytoscape included, took 57-175 ms in Chromium every time. A string
literal costs next to nothing to parse, so the loader carries the bundle as one and imports it once
per page: the first widget of a page imports it, and every other widget of that page reuses the
module. The loader needs nothing but itself, so a page that reloads, or a notebook's saved widget
state, still works.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

LOADER = """// lineage_nb widget loader (the bundle is imported once per page; see lineage_nb/notebook/loader.py)
const key = Symbol.for("lineage_nb.widget.{key}");
const code = {code};
const loaded = (globalThis[key] ??= import(URL.createObjectURL(new Blob([code], {{ type: "text/javascript" }}))));
export default {{ render: async (context) => (await loaded).default.render(context) }};
"""


def loader_esm(bundle: Path) -> str:
    """The loader for `bundle` (its key is the bundle's hash: two versions on one page stay apart)."""
    code = bundle.read_text(encoding="utf-8")
    return LOADER.format(key=hashlib.sha256(code.encode("utf-8")).hexdigest()[:16], code=json.dumps(code))
