"""Widget speed in real JupyterLab + headless Chromium: first paint (200 and 2,000 nodes) and expand round trip.

First paint is from pressing Shift+Enter on `lineage_nb.graph(...)` to cytoscape's first frame, so it
includes the kernel's query and layout and the transfer. The expand round trip is from the tap on a `+`
node to the frame that shows the kernel's delta, with 2,000 nodes shown. Sizes are interleaved.
Run: .venv/bin/python -m benchmarks.bench_widget  (writes benchmarks/results/widget.json)

With `--baseline DIR` (a directory holding another lineage_nb, e.g. `git archive REV lineage_nb | tar -x -C DIR`)
the same measurements run for both, round by round in one browser, each kernel importing its own package,
and the result adds each figure's ratio (this checkout / baseline): on a shared machine the ratio is the
figure that survives the load.

Page scripts here must not return cytoscape objects: Playwright serialises a returned value, and a
collection drags in the whole graph (the first version of this harness took 38 s and 2.7 GB of heap
per tap that way, and crashed the tab).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import chromium, jupyter_server, open_notebook, write_notebook  # noqa: E402
from widget_data import layered_events  # noqa: E402

from lineage_nb.view.graph_view import ROUTE_LATER  # noqa: E402

ROUNDS = 7
EXPANDS_PER_ROUND = 3
SIZES = {"200": (100, 200, "/bench/l1/d50"), "2000": (1000, 2000, "/bench/l5/d50")}  # label: (workloads, node cap, start)


def graph_cell(size: str) -> str:
    return f"import lineage_nb\nw{size} = lineage_nb.graph('{SIZES[size][2]}', depth=30, max_nodes={SIZES[size][1]}, store=r'{{}}')\nw{size}"


def marks(page) -> dict[str, float]:
    return page.evaluate("Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name.replace('lineage-nb:', ''), m.startTime]))")


def first_paint(page, cell: int, routes_follow: bool = False) -> dict[str, float]:
    """Milliseconds from Ctrl+Enter to the view (kernel, transfer), to cytoscape built, and to its first frame.

    `routes_follow`: the view's first frame has straight edges and its routes follow as a delta (a big view
    of this checkout, lineage_nb/view/graph_view.py ROUTE_LATER): also from Ctrl+Enter to the frame that shows
    them ("routed"), waited for so that they do not land in the expand round trips."""
    page.evaluate("performance.clearMarks()")
    page.locator(".jp-Cell").nth(cell).locator(".jp-InputArea-editor").click()
    started = page.evaluate("performance.now()")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("performance.getEntriesByName('lineage-nb:painted').length > 0", timeout=60_000)
    if routes_follow:
        page.wait_for_function("performance.getEntriesByName('lineage-nb:routes-painted').length > 0", timeout=60_000)
    at = marks(page)
    took = {"total": at["painted"] - started, "to_view": at["view-created"] - started,
            "build": at["graph-created"] - at["graph-creating"], "first_frame": at["painted"] - at["graph-created"]}
    if routes_follow:
        took["routed"] = at["routes-painted"] - started
    return took


def expand_round_trip(page, output: int) -> dict[str, float]:
    """Milliseconds from the tap on a `+` node to the kernel's delta arriving, and to the frame that shows it."""
    cy = f"document.querySelectorAll('.lnb-graph')[{output}]._cyreg.cy"
    page.evaluate("performance.clearMarks()")
    before = page.evaluate(f"({cy}).nodes().length")
    # The tap goes through cytoscape's own event (the browser tests click with the mouse).
    page.evaluate(f"() => {{ ({cy}).nodes('[?expandable][!expanded][kind != \"more\"]').first().emit('tap'); }}")
    page.wait_for_function("performance.getEntriesByName('lineage-nb:delta-painted').length > 0", timeout=60_000)
    at = marks(page)
    assert page.evaluate(f"({cy}).nodes().length") > before, "the expand added nothing"
    return {"total": at["delta-painted"] - at["expand-sent"], "to_delta": at["delta-received"] - at["expand-sent"]}


def load_ext_ms() -> float:
    code = ("import time\nfrom IPython.testing.globalipapp import start_ipython\nip = start_ipython()\n"
            "t = time.perf_counter(); ip.run_line_magic('load_ext', 'lineage_nb'); print((time.perf_counter() - t) * 1000)")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"LINEAGE_NB_STORE": f"{tmp}/l.db", "PATH": "/usr/bin:/bin", "HOME": tmp}
        return float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()[-1])


def median(samples: list[dict[str, float]], part: str) -> float:
    return round(statistics.median(x[part] for x in samples), 1)


def summary(paint: dict[str, list[dict[str, float]]], expand: list[dict[str, float]]) -> dict:
    routed = {size: median(v, "routed") for size, v in paint.items() if v and all("routed" in x for x in v)}
    return {
        "first_paint_ms_median": {size: median(v, "total") for size, v in paint.items()},
        **({"routes_painted_ms_median": routed} if routed else {}),
        "first_paint_breakdown_ms_median": {size: {part: median(v, part) for part in ("to_view", "build", "first_frame")} for size, v in paint.items()},
        "first_paint_ms_all": {size: [round(x["total"], 1) for x in v] for size, v in paint.items()},
        "expand_round_trip_ms_median_at_2000": median(expand, "total"),
        "expand_to_delta_received_ms_median": median(expand, "to_delta"),
        "expand_round_trip_ms_all": [round(x["total"], 1) for x in expand],
    }


def ratios(current: dict, baseline: dict) -> dict:
    """current / baseline for each median."""
    return {
        "first_paint": {size: round(current["first_paint_ms_median"][size] / baseline["first_paint_ms_median"][size], 2) for size in SIZES},
        "expand_round_trip": round(current["expand_round_trip_ms_median_at_2000"] / baseline["expand_round_trip_ms_median_at_2000"], 2),
    }


def main(baseline: str | None = None, rounds: int = ROUNDS) -> dict:
    import lineage_nb

    root = Path(tempfile.mkdtemp(prefix="bench-widget-"))
    cells = ["%load_ext lineage_nb"]
    for size, (workloads, _cap, _start) in SIZES.items():
        path = root / f"store{size}.db"
        with lineage_nb.open_store(str(path), create=True) as store:
            store.ingest(layered_events(workloads))
        cells.append(graph_cell(size).format(path))
    variants = {"current": str(ROOT)} | ({"baseline": str(Path(baseline).resolve())} if baseline else {})
    paint = {name: {size: [] for size in SIZES} for name in variants}
    expand: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    nodes = {}
    load_before = os.getloadavg()
    with contextlib.ExitStack() as stack:
        browser = stack.enter_context(chromium(root / "profile"))
        pages = {}
        for name, package in variants.items():
            (root / name).mkdir()
            write_notebook(root / name / "bench.ipynb", cells)
            server = stack.enter_context(jupyter_server(root / name, {"PYTHONPATH": package}))
            page = pages[name] = open_notebook(browser, server, "bench.ipynb")
            page.locator(".jp-Cell").nth(0).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+Enter")
        for round_ in range(rounds + 1):  # round 0 warms the kernels and the browser up
            order = list(pages.items())
            for name, page in order if round_ % 2 else order[::-1]:  # which goes first alternates round by round
                page.bring_to_front()  # a background tab does not paint
                for index, size in enumerate(SIZES, start=1):
                    took = first_paint(page, index, routes_follow=name == "current" and SIZES[size][1] > ROUTE_LATER)
                    if round_:
                        paint[name][size].append(took)
                for index, size in enumerate(SIZES):
                    nodes[size] = page.evaluate(f"(() => {{ const cy = document.querySelectorAll('.lnb-graph')[{index}]._cyreg.cy; return [cy.nodes().length, cy.edges().length]; }})()")
                for _ in range(EXPANDS_PER_ROUND):
                    took = expand_round_trip(page, 1)
                    if round_:
                        expand[name].append(took)
    load_after = os.getloadavg()
    loads = [load_ext_ms() for _ in range(5)]
    result = summary(paint["current"], expand["current"])
    if baseline:
        result["baseline"] = summary(paint["baseline"], expand["baseline"])
        result["ratio_current_over_baseline"] = ratios(result, result["baseline"])
    result |= {
        "shown_nodes_edges": nodes,
        "load_ext_ms_median": round(statistics.median(loads), 1),
        "targets_ms": {"first_paint_200": 300, "first_paint_2000": 1500, "expand_round_trip": 100, "load_ext": 300},
        "rounds": rounds,
        "expands_per_round": EXPANDS_PER_ROUND,
        "load_average_1_5_15": {"before": [round(x, 1) for x in load_before], "after": [round(x, 1) for x in load_after]},
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    shutil.rmtree(root, ignore_errors=True)
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "results" / "widget.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="DIR", help="a directory holding another lineage_nb to measure side by side")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"measured rounds (default {ROUNDS})")
    args = parser.parse_args()
    print(json.dumps(main(args.baseline, args.rounds), indent=2))
