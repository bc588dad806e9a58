"""lineage_nb: notebook-native OpenLineage lineage for Ray Data and MLflow.

Importing this package is cheap: it imports neither ray, mlflow, Jupyter nor openlineage.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
__all__ = ["enable", "disable", "flush", "open_store", "graph", "status", "load_ipython_extension", "__version__"]


def enable(store: str | None = None) -> bool:
    """Start capturing in this process: the session run, Ray Data and MLflow hooks. Idempotent.

    Returns False when LINEAGE_NB_ENABLED=false, in which case nothing is hooked.
    """
    from lineage_nb import capture, config, emitter, errors, session

    settings = config.reload_settings()
    errors.logger.setLevel(settings.log_level if settings.log_level in LOG_LEVELS else "WARNING")
    if not settings.enabled:
        return False
    if store is not None and emitter.get_emitter().store_url != store:
        old = emitter.set_emitter(emitter.Emitter(store_url=store))
        if old is not None:
            old.close()
    session.current_session()
    capture.install_all()
    return True


def disable() -> None:
    """Stop capturing: remove every hook; events already queued are still written."""
    from lineage_nb import capture

    capture.uninstall_all()


def flush(timeout: float = 10.0) -> bool:
    """Block until every event captured so far is in the store. True when nothing was left behind."""
    from lineage_nb.emitter import get_emitter

    return get_emitter().flush(timeout)


def open_store(path_or_url: str | None = None, create: bool = False) -> Any:
    """Open a lineage store for queries (default: LINEAGE_NB_STORE)."""
    from lineage_nb.store import open_store as _open

    return _open(path_or_url, create=create)


def graph(artifact: Any = None, **options: Any) -> Any:
    """The interactive lineage widget for an artifact (path, URI, models:/, Ray Dataset, ModelInfo)."""
    from lineage_nb.widget import graph_widget

    return graph_widget(artifact, **options)


def status(store: Any = None) -> dict[str, Any]:
    """Capture state, store location, event counts and lineage errors seen in this process."""
    from lineage_nb import capture, errors
    from lineage_nb.config import settings
    from lineage_nb.emitter import get_emitter
    from lineage_nb.naming import strip_credentials

    emitter = get_emitter()
    counts: dict[str, Any] = {}
    try:
        target = store or open_store(emitter.store_url)
        try:
            counts = target.counts()
        finally:
            if store is None:
                target.close()
    except Exception as exc:  # noqa: BLE001 - status must always answer
        counts = {"error": str(exc)}
    return {
        "enabled": settings().enabled and capture.installed_hooks() != [],
        "hooks": capture.installed_hooks(),
        "store": strip_credentials(emitter.store_url),
        "store_counts": counts,
        "emitter": vars(emitter.stats).copy() | {"pending": emitter.pending()},
        "errors": errors.error_counts(),
    }


def load_ipython_extension(ipython: Any) -> None:
    from lineage_nb.magic import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from lineage_nb.magic import unload_ipython_extension as _unload

    _unload(ipython)
