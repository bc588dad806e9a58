"""A pytest plugin for the nbval run of a notebook: writes each executed cell's source and outputs as
JSON lines to the file named by NBVAL_OUTPUTS, so one execution serves every check of what it printed."""
from __future__ import annotations

import json
import os


def pytest_runtest_teardown(item):
    outputs = getattr(item, "test_outputs", None)
    target = os.environ.get("NBVAL_OUTPUTS")
    if outputs is None or not target:
        return
    with open(target, "a", encoding="utf-8") as lines:
        lines.write(json.dumps({"source": item.cell.source, "outputs": [dict(o) for o in outputs]}, default=str) + "\n")
