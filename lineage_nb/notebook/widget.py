"""The anywidget model: traitlets for what the front end shows, custom messages for user intents.

Elements travel as a `snapshot` trait when a whole view is laid out and as `delta` messages after
that, so an expansion never resends the graph and the saved widget state stays small. A big view's
snapshot has straight edges: their routes (view/routing.py) follow as a delta as soon as the front end
has it (its `ready`), so the first frame does not wait for them. The front end's protocol (the
messages both ways) is described in js/src/protocol.js.
"""
from __future__ import annotations

from typing import Any, Callable

import anywidget
import traitlets

from lineage_nb.core import errors
from lineage_nb.notebook.loader import loader_esm
from lineage_nb.query.service import DEFAULT_NODE_CAP, NotFound, QueryService
from lineage_nb.view import panels
from lineage_nb.view.export import BUNDLE
from lineage_nb.view.graph_view import DIRECTIONS, Delta, GraphView
from lineage_nb.view.labels import model_name

MAX_UI_DEPTH = 10
ARTIFACT_COLUMNS = ["name", "namespace", "format", "created_by", "created_at"]
WORKLOAD_COLUMNS = ["name", "type", "owner", "project", "last_run_at", "reads", "writes"]


class LineageWidget(anywidget.AnyWidget):
    _esm = loader_esm(BUNDLE)
    mode = traitlets.Unicode("graph").tag(sync=True)  # "graph" or "table"
    snapshot = traitlets.List().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)
    focus = traitlets.List().tag(sync=True)
    depth = traitlets.Int(1).tag(sync=True)
    direction = traitlets.Unicode("both").tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    panel = traitlets.Dict().tag(sync=True)
    table = traitlets.Dict().tag(sync=True)
    back = traitlets.Unicode("").tag(sync=True)  # title of the table this graph was opened from
    message = traitlets.Unicode("").tag(sync=True)
    node_count = traitlets.Int(0).tag(sync=True)

    def __init__(self, service: QueryService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.view: GraphView | None = None
        self._home: tuple[list[str], int, str] | None = None
        self._known: dict[str, dict[str, Any]] = {}
        self._front_end = False  # a front end has said it is ready: a new view's routes can follow it at once
        self.on_msg(self._on_message)

    # ---- views ----------------------------------------------------------------------------------
    def show_graph(self, focus: list[str], depth: int = 1, direction: str = "both", node_cap: int = DEFAULT_NODE_CAP, data: dict[str, Any] | None = None) -> None:
        self.view = GraphView(self.service, focus, depth, direction, node_cap)
        if self._home is None:
            self._home = (list(focus), depth, direction)
        elements = self.view.build(data, route_later=True)
        self._remember(self.view.nodes.values())
        with self.hold_sync():
            self.mode, self.focus, self.depth, self.direction = "graph", list(focus), depth, direction
            self.snapshot, self.revision = elements, self.view.revision
            self.node_count = len(self.view.nodes)
            self.message = "(truncated: raise the node cap)" if (data or {}).get("truncated") else ""
            self._follow_selection()
        if self._front_end:
            self._send_routes()

    def show_table(self, title: str, rows: list[dict[str, Any]], columns: list[str], filters: dict[str, Any] | None = None) -> None:
        rows = [dict(row) for row in rows]
        for row in rows:
            if row.get("kind") == "model":
                row["label"] = model_name(row.get("properties") or {}) or row["name"]
        self._remember(rows)
        with self.hold_sync():
            self.table = {"title": title, "rows": rows, "columns": columns, "filters": filters}
            self.mode, self.back, self.message = "table", "", ""

    def select(self, node: str) -> None:
        """Open the node's panel; an empty id closes it."""
        if not node:
            self.selected, self.panel = "", {}
            return
        info = self._known.get(node)
        if info is None:
            return
        panel = panels.panel_for(self.service, info, self._workload_of(node))
        self._remember(panels.related_nodes(panel))
        self.selected, self.panel = node, panel

    def navigate(self, node: str) -> None:
        """A new view centred on a node, keeping the current depth and direction; its overview opens."""
        if node not in self._known:
            return
        from_table = self.mode == "table"
        self.show_graph([node], min(self.depth, MAX_UI_DEPTH), self.direction)
        self.select(node)
        if from_table:
            self.back = self.table.get("title", "")

    def _workload_of(self, node: str) -> dict[str, Any] | None:
        parent = (self._known.get(node) or {}).get("parent")
        return self._known.get(parent) if parent and self._known.get(node, {}).get("kind") != "more" else None

    def _remember(self, nodes: Any) -> None:
        for node in nodes:
            self._known[node["id"]] = node

    def _follow_selection(self) -> None:
        """The panel belongs to a drawn node: it closes when that node leaves the view."""
        if self.selected and (self.view is None or self.view.drawn_as(self.selected) is None):
            self.selected, self.panel = "", {}

    # ---- messages from the front end ------------------------------------------------------------
    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        handler = self._handlers().get(content.get("type", ""))
        if handler is None:
            return
        try:
            handler(content)
        except NotFound as exc:
            self.message = str(exc)
        except Exception as exc:  # noqa: BLE001 - a widget click must never raise into the kernel
            self.message = "lineage widget error; see lineage_nb.status()"
            errors.report("widget", exc)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {
            "ready": self._on_ready,
            "expand": lambda m: self._change(lambda v: v.expand(str(m["id"]))),
            "collapse": lambda m: self._change(lambda v: v.collapse(str(m["id"]))),
            "toggle_steps": lambda m: self._change(lambda v: v.toggle_steps(str(m["id"]))),
            "expand_all": lambda m: self._change(lambda v: v.expand_all()),
            "select": lambda m: self.select(str(m["id"])),
            "navigate": lambda m: self.navigate(str(m["id"])),
            "options": self._on_options,
            "reset": self._on_reset,
            "search": self._on_search,
            "filter": self._on_filter,
            "back": self._on_back,
        }

    def _on_ready(self, content: dict[str, Any]) -> None:
        self._front_end = True
        if self.view is None:
            return
        if self.view.revision != content.get("revision"):
            self.view.route_pending()  # the replacement carries them
            self.send({"type": "replace", "revision": self.view.revision, "elements": self.view.elements()})
            self.view.prepare_growth()
        else:
            self._send_routes()

    def _send_routes(self) -> None:
        """The routes of a view that went out with straight edges, if they are still to come."""
        if self.view is None:
            return
        delta = self.view.route_pending()
        if not delta.empty:
            self.view.revision += 1
            self.send(delta.as_message(self.view.revision))
        self.view.prepare_growth()  # while the front end draws the routes

    def _change(self, change: Callable[[GraphView], Delta]) -> None:
        if self.view is None:
            return
        delta = change(self.view)
        self._remember(self.view.nodes.values())
        with self.hold_sync():
            self.message = delta.note
            if delta.empty:
                return
            self.view.revision += 1
            self.node_count = len(self.view.nodes)
            self._follow_selection()
        self.send(delta.as_message(self.view.revision))

    def _on_options(self, content: dict[str, Any]) -> None:
        depth = int(content.get("depth", self.depth))
        direction = str(content.get("direction", self.direction))
        if not 1 <= depth <= MAX_UI_DEPTH or direction not in DIRECTIONS:
            self.message = f"depth must be 1-{MAX_UI_DEPTH} and direction one of {', '.join(DIRECTIONS)}"
            return
        self.show_graph(self.focus, depth, direction)

    def _on_reset(self, _content: dict[str, Any]) -> None:
        if self._home is not None:
            self.show_graph(*self._home)
            self.message = "back to the first view"

    def _on_back(self, _content: dict[str, Any]) -> None:
        if self.table:
            self.mode, self.back, self.message = "table", "", ""

    def _on_search(self, content: dict[str, Any]) -> None:
        """Search the store when the text names nothing shown: the first match becomes the focus."""
        text = str(content.get("text", "")).strip()
        rows: list[Any] = []
        if text:
            rows = list(self.service.artifacts(search=text, limit=1)) or list(self.service.workloads(search=text, limit=1))
        if not rows:
            self.message = f"nothing named like {text!r}, here or in the store"
            return
        self._remember(rows)
        self.navigate(rows[0]["id"])
        self.message = f"{rows[0]['name']} is not in the graph you had: this is its own graph"

    def _on_filter(self, content: dict[str, Any]) -> None:
        table = dict(self.table)
        filters = dict(table.get("filters") or {})
        filters.update({key: content.get(key) or None for key in ("search", "created_by", "project")})
        if filters.get("kind") == "workload":
            rows = self.service.workloads(filters["search"], project=filters["project"])
        else:
            rows = self.service.artifacts(filters.get("kind"), filters["created_by"], filters["search"], project=filters["project"])
        self.show_table(table.get("title", ""), list(rows), table.get("columns", []), filters)
