"""Turning capture on and off for this process: the session run and every selected hook."""
from __future__ import annotations

from lineage_nb.capture import install_all, uninstall_all
from lineage_nb.core import errors
from lineage_nb.core.settings import reload_settings
from lineage_nb.runtime import emitter, session

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def enable(store: str | None = None) -> bool:
    """Start capturing in this process: the session run, then the hooks. Idempotent.

    Returns False when LINEAGE_NB_ENABLED=false, in which case nothing is hooked.
    """
    settings = reload_settings()
    errors.logger.setLevel(settings.log_level if settings.log_level in LOG_LEVELS else "WARNING")
    if not settings.enabled:
        return False
    if store is not None and emitter.get_emitter().store_url != store:
        old = emitter.set_emitter(emitter.Emitter(store_url=store))
        if old is not None:
            old.close()
    _import_event_modules()
    session.current_session()
    install_all()
    return True


def _import_event_modules() -> None:
    """Import what the emitter thread builds events with here, before it starts: a first import in the
    emitter thread can deadlock with MLflow's import-hook lock (see capture/mlflow/lookups.py)."""
    import openlineage.client.serde  # noqa: F401

    import lineage_nb.runtime.events  # noqa: F401


def disable() -> None:
    """Stop capturing: remove every hook; events already queued are still written."""
    uninstall_all()


def flush(timeout: float = 10.0) -> bool:
    """Block until every event captured so far is stored (and forwarded). True only when nothing was lost."""
    current = emitter.current_emitter()
    return True if current is None else current.flush(timeout)
