"""MLflow capture: reversible, guarded patches on the functions every model and artifact call goes through.

The hook interface (`WATCHED_MODULE`, `install`, `uninstall`, `is_installed`) is here; what is
wrapped is in `targets`, how calls are named in `naming` and `facts`, and what each call records in
the `describe_*` modules.
"""
from __future__ import annotations

import sys

from lineage_nb.capture.mlflow import lookups
from lineage_nb.capture.mlflow.observe import run_context
from lineage_nb.capture.mlflow.targets import CAPTURES, TARGETS
from lineage_nb.capture.patching import Patches
from lineage_nb.capture.recording import Library, wrapper_for
from lineage_nb.core import errors
from lineage_nb.core.settings import settings

WATCHED_MODULE = "mlflow"
LIBRARY = Library("mlflow", run_context)

_patches = Patches("mlflow")
_warned_unsupported = False


def install() -> bool:
    """Patch every choke point, or none when this MLflow version does not look like the one we know."""
    global _warned_unsupported
    if not settings().enabled:
        return False
    if _patches.installed:
        return True
    unsupported = _patches.unsupported(TARGETS)
    if unsupported:
        if not _warned_unsupported:
            _warned_unsupported = True
            version = getattr(sys.modules.get("mlflow"), "__version__", "?")
            errors.logger.warning("MLflow %s is not supported by lineage capture (changed: %s); MLflow calls are not captured", version, ", ".join(unsupported))
        return False
    _patches.apply(TARGETS, wrapper_for(LIBRARY, CAPTURES))
    return True


def uninstall() -> None:
    """Put every original back, including the by-name copies in modules imported after install."""
    _patches.remove()
    lookups.clear()


def is_installed() -> bool:
    return _patches.installed
