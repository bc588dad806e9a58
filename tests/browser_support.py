"""Real JupyterLab / Notebook 7 on loopback and Debian's Chromium, for browser tests and the widget benchmark."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import nbformat

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CY = "document.querySelector('.lnb-graph')?._cyreg?.cy"


def write_notebook(path: Path, sources: list[str]) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_server(root: Path, env: dict[str, str]) -> Iterator[str]:
    """JupyterLab with isolated config dirs; yields the base URL with its token as `?token=`."""
    home = root / ".jupyter-isolated"
    dirs = {k: home / k.lower() for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    full_env = os.environ | {k: str(v) for k, v in dirs.items()} | env
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(
        [str(bin_dir / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={root}"],
        env=full_env, stdout=subprocess.DEVNULL, stderr=open(root / "jupyter.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"jupyter lab did not start: {(root / 'jupyter.log').read_text()[-2000:]}") from None
                time.sleep(0.3)
        yield f"{base}|{token}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                       headless=True, viewport={"width": 1500, "height": 1000})
        try:
            yield context
        finally:
            context.close()


def open_notebook(context: Any, server: str, name: str, ui: str = "lab") -> Any:
    base, token = server.split("|")
    page = context.new_page()
    path = f"/lab/tree/{name}?reset&token={token}" if ui == "lab" else f"/notebooks/{name}?token={token}"
    page.goto(base + path)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    select_kernel = page.locator(".jp-Dialog .jp-mod-accept", has_text="Select")
    try:
        select_kernel.wait_for(timeout=5_000)
        select_kernel.click()
    except Exception:  # noqa: BLE001 - no kernel dialog: the notebook's kernel started by itself
        pass
    return page


def run_all_cells(page: Any) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def graph_js(index: int = 0) -> str:
    return f"document.querySelectorAll('.lnb-graph')[{index}]._cyreg.cy"


def wait_for_graph(page: Any, timeout: float = 120_000, index: int = 0) -> int:
    cy = f"document.querySelectorAll('.lnb-graph')[{index}]?._cyreg?.cy"
    page.wait_for_function(f"({cy}) && ({cy}).nodes().length > 0", timeout=timeout)
    return page.evaluate(f"({cy}).nodes().length")


def node_ids(page: Any, index: int = 0) -> set[str]:
    return set(page.evaluate(f"({graph_js(index)}).nodes().map(n => n.id())"))


def wait_for_more_nodes(page: Any, than: int, index: int = 0, timeout: float = 60_000) -> None:
    page.wait_for_function(f"({graph_js(index)}).nodes().length > {than}", timeout=timeout)


def settle(page: Any) -> None:
    """Wait until no graph is about to move (the view refits shortly after its panel opens or closes)."""
    page.wait_for_function("!document.querySelector('.lnb-graph[data-pending]')")


def click_node(page: Any, name: str, double: bool = False, selector: int = 0) -> None:
    """Click where cytoscape drew the node whose name (or label) is `name`, in the `selector`-th graph.

    The graph's own viewport is left alone (the widget decides what is in view); only the page scrolls.
    """
    graph = f"document.querySelectorAll('.lnb-graph')[{selector}]"
    settle(page)
    page.evaluate(f"{graph}.scrollIntoView({{block: 'center'}})")
    locate = f"""(name) => {{
            const cy = {graph}._cyreg.cy;
            const node = cy.nodes().filter(n => n.data('name') === name || n.data('label') === name).first();
            const box = cy.container().getBoundingClientRect();
            const p = node.renderedPosition();
            return {{x: box.left + p.x, y: box.top + p.y}};
        }}"""
    point = page.evaluate(locate, name)
    for _ in range(20):  # JupyterLab may still be scrolling its notebook
        page.wait_for_timeout(100)
        again = page.evaluate(locate, name)
        if again == point:
            break
        point = again
    if double:
        page.mouse.dblclick(point["x"], point["y"])
    else:
        page.mouse.click(point["x"], point["y"])


# What the user sees of the `index`-th graph, in pixels of its container: the free area beside the panel,
# each node's drawn box, its caption's measured width, and each edge's ends.
GEOMETRY = """(index) => {
  const root = document.querySelectorAll('.lnb-root')[index];
  const container = root.querySelector('.lnb-graph');
  const cy = container._cyreg.cy;
  const panel = root.querySelector('.lnb-panel');
  const frame = container.getBoundingClientRect();
  const covered = panel.childElementCount ? panel.getBoundingClientRect() : null;
  const options = { includeLabels: false, includeOverlays: false, includeUnderlays: false };
  const measure = document.createElement('canvas').getContext('2d');
  const nodes = cy.nodes().map((n) => {
    const b = n.renderedBoundingBox(options);
    measure.font = `${n.style('font-style')} ${n.style('font-weight')} ${n.style('font-size')} ${n.style('font-family')}`;
    const lines = String(n.data('caption') || '').split(String.fromCharCode(10));
    return {
      id: n.id(), name: n.data('name') || n.data('label'), compound: n.isParent(), parent: n.isChild() ? n.parent().id() : null,
      box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, x: n.position('x'), width: n.width() * cy.zoom(),
      text: Math.max(...lines.map((line) => measure.measureText(line).width)) * cy.zoom(),
    };
  });
  const segmentPoints = (e) => (e.style('curve-style').includes('segments') ? e.renderedSegmentPoints() || [] : []);
  const drawnLine = (e) => [e.renderedSourceEndpoint(), ...segmentPoints(e), e.renderedTargetEndpoint()].map((p) => [p.x, p.y]);
  const edges = cy.edges().map((e) => ({
    id: e.id(), back: Boolean(e.data('back')), source: e.source().id(), target: e.target().id(),
    curve: e.style('curve-style'), line: drawnLine(e),
  }));
  return {
    zoom: cy.zoom(), nodes, edges,
    free: { x1: 0, y1: 0, x2: covered ? covered.left - frame.left : frame.width, y2: frame.height },
  };
}"""


def geometry(page: Any, index: int = 0) -> dict[str, Any]:
    return page.evaluate(GEOMETRY, index)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x1"] < b["x2"] - 0.5 and b["x1"] < a["x2"] - 0.5 and a["y1"] < b["y2"] - 0.5 and b["y1"] < a["y2"] - 0.5


def _inside(box: dict[str, float], area: dict[str, float]) -> bool:
    return box["x1"] >= area["x1"] - 1 and box["x2"] <= area["x2"] + 1 and box["y1"] >= area["y1"] - 1 and box["y2"] <= area["y2"] + 1


def readability_problems(g: dict[str, Any], must_see: set[str] | None = None) -> list[str]:
    """What keeps the graph from being read as drawn: nodes outside the area beside the panel (all of them,
    or `must_see`), a zoom under 0.5, overlapping nodes, a node inside a compound not its own, an edge
    pointing left that is not marked as closing a cycle, a caption wider than its node."""
    problems = []
    if g["zoom"] < 0.5:
        problems.append(f"zoom {g['zoom']:.2f} < 0.5")
    by_id = {n["id"]: n for n in g["nodes"]}
    for node in g["nodes"]:
        if (must_see is None or node["id"] in must_see) and not _inside(node["box"], g["free"]):
            problems.append(f"{node['name']} outside the free area")
    leaves = [n for n in g["nodes"] if not n["compound"]]
    for i, a in enumerate(leaves):
        for b in leaves[i + 1 :]:
            if _overlap(a["box"], b["box"]):
                problems.append(f"{a['name']} overlaps {b['name']}")
        if not a["compound"] and a["text"] > a["width"] - 26 * g["zoom"]:
            problems.append(f"caption of {a['name']} ({a['text']:.0f}px) does not fit its node ({a['width']:.0f}px)")
    for compound in (n for n in g["nodes"] if n["compound"]):
        for other in leaves:
            if other["parent"] != compound["id"] and _overlap(compound["box"], other["box"]):
                problems.append(f"{other['name']} is drawn inside {compound['name']}")
    for edge in g["edges"]:
        source, target = by_id[edge["source"]], by_id[edge["target"]]
        if not edge["back"] and source["x"] >= target["x"]:
            problems.append(f"edge {source['name']} -> {target['name']} points left")
    return problems


def _through(p: list[float], q: list[float], box: dict[str, float], inset: float = 2, samples: int = 80) -> bool:
    """Whether segment p-q has a point inside the box shrunk by `inset` px (sampled)."""
    for i in range(samples + 1):
        x, y = p[0] + (q[0] - p[0]) * i / samples, p[1] + (q[1] - p[1]) * i / samples
        if box["x1"] + inset < x < box["x2"] - inset and box["y1"] + inset < y < box["y2"] - inset:
            return True
    return False


def edge_problems(g: dict[str, Any]) -> list[str]:
    """Edges drawn through a node other than their ends (or through a compound holding neither end), as
    cytoscape drew them: from the source's border along the route's segments to the target's border.
    Back edges (curved, red) are left out."""
    by_id = {n["id"]: n for n in g["nodes"]}
    problems = []
    for edge in g["edges"]:
        if edge["back"]:
            continue
        ends = {edge["source"], edge["target"]}
        holding = {by_id[e]["parent"] for e in ends if by_id[e]["parent"]}
        line = edge["line"]
        for node in g["nodes"]:
            if node["id"] in ends or node["id"] in holding:
                continue
            if any(_through(p, q, node["box"]) for p, q in zip(line, line[1:])):
                problems.append(f"edge {by_id[edge['source']]['name']} -> {by_id[edge['target']]['name']} runs through {node['name']}")
    return problems
