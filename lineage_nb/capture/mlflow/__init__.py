"""MLflow capture: reversible, guarded patches on the functions every model and artifact call goes through.

The hook interface (`WATCHED_MODULE`, `install`, `uninstall`, `is_installed`) is here; what is
wrapped is in `targets`, how calls are named in `naming` and `facts`, and what each call records in
the `describe_*` modules.
"""
from __future__ import annotations

from lineage_nb.capture.mlflow import lookups
from lineage_nb.capture.mlflow.observe import run_context
from lineage_nb.capture.mlflow.targets import CAPTURES
from lineage_nb.capture.recording import Library, PatchHook

WATCHED_MODULE = "mlflow"
HOOK = PatchHook(Library("mlflow", run_context), CAPTURES)
install, is_installed = HOOK.install, HOOK.is_installed


def uninstall() -> None:
    """Put every original back (by-name copies in modules imported since included) and forget cached look-ups."""
    HOOK.uninstall()
    lookups.clear()
