"""`status`: capture state in this process, the store asked about, its counts, and what failed, dropped or was forwarded."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lineage_nb.capture import installed_hooks
from lineage_nb.core import errors
from lineage_nb.core.naming import strip_credentials
from lineage_nb.core.settings import settings
from lineage_nb.query.service import QueryService, open_service
from lineage_nb.runtime.emitter import EmitterStats, current_emitter


def status(service: QueryService | None = None, store: str | None = None) -> dict[str, Any]:
    """The answer for `store` (a path or URL; default: where this process captures to), or for `service`."""
    emitter = current_emitter()
    target = store or (emitter.store_url if emitter is not None else settings().store)
    counts: dict[str, Any]
    try:
        asked = service or open_service(target)
        try:
            counts = dict(asked.counts())
            location = asked.location
        finally:
            if service is None:
                asked.close()
    except Exception as exc:  # noqa: BLE001 - status must always answer
        counts, location = {"error": str(exc)}, strip_credentials(str(target))
    stats = emitter.stats if emitter is not None else EmitterStats()
    hooks = installed_hooks()
    return {
        "enabled": settings().enabled and hooks != [],
        "hooks": hooks,
        "store": location,
        "store_counts": counts,
        "emitter": asdict(stats) | {"pending": emitter.pending() if emitter is not None else 0},
        "errors": errors.error_counts(),
    }
