"""Where the team's shared folder is (OpenLineage specs and fixtures): beside the checkout, as in the
workspace, or named by LINEAGE_NB_SHARED for a clone made elsewhere (CI clones into a temporary folder)."""
from __future__ import annotations

import os
from pathlib import Path

CANDIDATES = [Path(__file__).resolve().parents[1].parent / "shared", Path("/work/shared")]


def shared_dir() -> Path:
    named = os.environ.get("LINEAGE_NB_SHARED")
    for candidate in ([Path(named)] if named else []) + CANDIDATES:
        if (candidate / "spec" / "OpenLineage.json").is_file():
            return candidate
    raise RuntimeError("the shared folder (spec/, fixtures/) is not beside the checkout: set LINEAGE_NB_SHARED to it")


SHARED = shared_dir()
