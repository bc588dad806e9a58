"""lineage_nb: notebook-native OpenLineage lineage for Ray Data, MLflow and pandas.

The public API. Importing this package is cheap: it imports neither ray, mlflow, Jupyter,
openlineage nor SQLAlchemy; each function loads the layer it needs (see DESIGN.md):

    core ← store ← runtime ← capture | query ← view ← commands | http ← cli | notebook
"""
from __future__ import annotations

from typing import Any

from lineage_nb.core.version import __version__

__all__ = ["enable", "disable", "flush", "open_store", "open_service", "graph", "status", "load_ipython_extension", "__version__"]


def enable(store: str | None = None) -> bool:
    """Start capturing in this process: the session run and the hooks LINEAGE_NB_CAPTURE selects. Idempotent.

    Returns False when LINEAGE_NB_ENABLED=false, in which case nothing is hooked.
    """
    from lineage_nb.capture.control import enable as _enable

    return _enable(store)


def disable() -> None:
    """Stop capturing: remove every hook; events already queued are still written."""
    from lineage_nb.capture.control import disable as _disable

    _disable()


def flush(timeout: float = 10.0) -> bool:
    """Block until every event captured so far is stored (and forwarded). True only when nothing was lost."""
    from lineage_nb.capture.control import flush as _flush

    return _flush(timeout)


def open_store(path_or_url: str | None = None, create: bool = False) -> Any:
    """Open a SQLite or PostgreSQL lineage store (default: LINEAGE_NB_STORE) for SQL-level work."""
    from lineage_nb.store import open_store as _open

    return _open(path_or_url, create=create)


def open_service(path_or_url: str | None = None) -> Any:
    """The `QueryService` of a store or a `serve` endpoint (default: LINEAGE_NB_STORE): the questions the CLI asks."""
    from lineage_nb.query.service import open_service as _open

    return _open(path_or_url)


def graph(artifact: Any = None, **options: Any) -> Any:
    """The interactive lineage widget for an artifact (path, URI, models:/, Ray Dataset, ModelInfo)."""
    from lineage_nb.notebook.graph import graph_widget

    return graph_widget(artifact, **options)


def status(store: str | None = None) -> dict[str, Any]:
    """Capture state, the store (default: where this process captures to), its counts, and lineage errors seen."""
    from lineage_nb.commands.status import status as _status

    return _status(store=store)


def load_ipython_extension(ipython: Any) -> None:
    from lineage_nb.notebook.magic import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from lineage_nb.notebook.magic import unload_ipython_extension as _unload

    _unload(ipython)
