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


def wait_for_graph(page: Any, timeout: float = 120_000) -> int:
    page.wait_for_function(f"({CY}) && ({CY}).nodes().length > 0", timeout=timeout)
    return page.evaluate(f"({CY}).nodes().length")


def click_node(page: Any, name: str, double: bool = False, selector: int = 0) -> None:
    """Click where cytoscape drew the node whose name (or label) is `name`, in the `selector`-th graph."""
    graph = f"document.querySelectorAll('.lnb-graph')[{selector}]"
    page.evaluate(f"{graph}.scrollIntoView({{block: 'center'}})")
    point = page.evaluate(
        f"""(name) => {{
            const cy = {graph}._cyreg.cy;
            const node = cy.nodes().filter(n => n.data('name') === name || n.data('label') === name).first();
            cy.center(node);
            const box = cy.container().getBoundingClientRect();
            const p = node.renderedPosition();
            return {{x: box.left + p.x, y: box.top + p.y}};
        }}""",
        name,
    )
    if double:
        page.mouse.dblclick(point["x"], point["y"])
    else:
        page.mouse.click(point["x"], point["y"])
